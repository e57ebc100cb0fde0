"""How one side of a call wants its media: the only input the ng flags are built from."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

DEFAULT_CODECS: tuple[str, ...] = ("PCMA", "PCMU", "G722", "telephone-event")


@dataclass(frozen=True)
class LegProfile:
    """How one side of a call wants its media.

    srtp: RTP/SAVP with SDES AES_CM_128_HMAC_SHA1_80 only (Teams; a carrier if its
        profile says so), else plain RTP/AVP.
    rtcp_mux: offer rtcp-mux to this side (Teams).
    strip_ice: remove ICE attributes from SDP sent to this side (the carrier; Teams
        without media bypass).
    ice_lite: media bypass toward this side (Teams with `media_bypass`): rtpengine is an
        ICE-lite agent there, offering one candidate (its advertised address, one port,
        rtcp-mux), answering the side's checks and never sending its own.
    media_address: the address in c= and o= toward this side (the SBC's public IP).
    codecs: rtpengine codec names this side may see; all others are stripped from SDP
        sent to it. Keep "telephone-event" so RFC 4733 DTMF passes through.
    """

    srtp: bool
    rtcp_mux: bool
    strip_ice: bool
    media_address: str
    codecs: tuple[str, ...] = DEFAULT_CODECS
    ice_lite: bool = False

    def __post_init__(self) -> None:
        if self.ice_lite and self.strip_ice:
            raise ValueError("a side cannot be ICE-lite and have ICE stripped at once")
        try:
            ipaddress.ip_address(self.media_address)
        except ValueError:
            raise ValueError(f"media_address {self.media_address!r} is not an IP address") from None
        if isinstance(self.codecs, str) or not self.codecs:
            raise ValueError("codecs must be a non-empty tuple of codec names")
        if any(not name or " " in name for name in self.codecs):
            raise ValueError(f"codecs {self.codecs!r}: a name is empty or has a space")
