"""RTP/SRTP endpoints and SDP for the media tests: a carrier and Teams, played by sockets.

SRTP comes from pylibsrtp (libsrtp2), keyed from the a=crypto lines of the SDP.
"""

from __future__ import annotations

import base64
import os
import re
import socket
import struct

import pylibsrtp

HOST = "127.0.0.1"
SUITE = "AES_CM_128_HMAC_SHA1_80"


def rtp_packet(seq: int, payload: bytes, *, pt: int = 8, ssrc: int = 0x1234ABCD,
               timestamp: int | None = None, marker: bool = False) -> bytes:
    ts = seq * 160 if timestamp is None else timestamp
    return struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | pt, seq & 0xFFFF,
                       ts & 0xFFFFFFFF, ssrc) + payload


def payload_of(packet: bytes) -> bytes:
    return packet[12:]


class Endpoint:
    """A UDP socket standing for one side's RTP; every receive is bounded."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((HOST, 0))
        self.port = int(self.sock.getsockname()[1])

    def send(self, data: bytes, port: int, host: str = HOST) -> None:
        self.sock.sendto(data, (host, port))

    def recv(self, timeout: float = 2.0) -> bytes:
        self.sock.settimeout(timeout)
        return self.sock.recv(4096)

    def nothing(self, wait: float = 0.3) -> bool:
        """True when no packet arrives within `wait` seconds."""
        self.sock.settimeout(wait)
        try:
            self.sock.recv(4096)
        except TimeoutError:
            return True
        return False

    def close(self) -> None:
        self.sock.close()


def srtp(key: bytes, *, outbound: bool) -> pylibsrtp.Session:
    policy = pylibsrtp.Policy(
        key=key,
        ssrc_type=(pylibsrtp.Policy.SSRC_ANY_OUTBOUND if outbound
                   else pylibsrtp.Policy.SSRC_ANY_INBOUND),
        srtp_profile=pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
    )
    return pylibsrtp.Session(policy)


def protect(session: pylibsrtp.Session, packet: bytes, mki: bytes = b"") -> bytes:
    """SRTP for `packet`; with `mki`, the MKI goes between payload and auth tag (RFC 3711
    §3.1: it is not authenticated), as Teams sends it with its "|2^31|1:1" keys."""
    protected = session.protect(packet)
    return protected[:-10] + mki + protected[-10:] if mki else protected


def new_key() -> bytes:
    return os.urandom(30)  # 16-byte master key + 14-byte salt


def inline(key: bytes) -> str:
    return base64.b64encode(key).decode("ascii")


# --- reading SDP ---------------------------------------------------------------------


def text(sdp: bytes) -> str:
    return sdp.decode("utf-8")


def lines(sdp: bytes) -> list[str]:
    return text(sdp).splitlines()


def port(sdp: bytes) -> int:
    match = re.search(r"^m=audio (\d+) ", text(sdp), re.M)
    assert match, f"no m=audio in\n{text(sdp)}"
    return int(match.group(1))


def proto(sdp: bytes) -> str:
    match = re.search(r"^m=audio \d+ (\S+) ", text(sdp), re.M)
    assert match
    return match.group(1)


def connection(sdp: bytes) -> set[str]:
    return set(re.findall(r"^c=IN IP4 (\S+)", text(sdp), re.M))


def origin(sdp: bytes) -> list[str]:
    line = next(item for item in lines(sdp) if item.startswith("o="))
    return line[2:].split(" ")


def cryptos(sdp: bytes) -> list[str]:
    return [item for item in lines(sdp) if item.startswith("a=crypto:")]


def crypto_key(sdp: bytes) -> bytes:
    found = cryptos(sdp)
    assert len(found) == 1, f"expected one a=crypto line, got {found}"
    match = re.search(r"inline:([A-Za-z0-9+/]+={0,2})", found[0])
    assert match
    raw = match.group(1)
    return base64.b64decode(raw + "=" * (-len(raw) % 4))


def codecs(sdp: bytes) -> list[str]:
    return re.findall(r"^a=rtpmap:\d+ ([^/\s]+)/", text(sdp), re.M)


def direction(sdp: bytes) -> list[str]:
    return re.findall(r"^a=(sendrecv|sendonly|recvonly|inactive)\s*$", text(sdp), re.M)


def has(sdp: bytes, prefix: str) -> bool:
    return any(item.startswith(prefix) for item in lines(sdp))


# --- writing SDP ---------------------------------------------------------------------


def sdp(*body: str) -> bytes:
    return ("\r\n".join(body) + "\r\n").encode("ascii")


def carrier_offer(rtp_port: int, *, version: int = 1, direction: str = "sendrecv",
                  g729: bool = True) -> bytes:
    """What Telekom sends: G.711 A/µ, G.722, G.729, telephone-event, plain RTP."""
    pts = "8 0 9 18 101" if g729 else "8 0 9 101"
    return sdp(
        "v=0", f"o=carrier 4711 {version} IN IP4 {HOST}", "s=-", f"c=IN IP4 {HOST}", "t=0 0",
        f"m=audio {rtp_port} RTP/AVP {pts}",
        "a=rtpmap:8 PCMA/8000", "a=rtpmap:0 PCMU/8000", "a=rtpmap:9 G722/8000",
        *(["a=rtpmap:18 G729/8000", "a=fmtp:18 annexb=no"] if g729 else []),
        "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15", "a=ptime:20",
        f"a={direction}",
    )


def carrier_answer(rtp_port: int, *, version: int = 1, direction: str = "sendrecv") -> bytes:
    return sdp(
        "v=0", f"o=carrier 815 {version} IN IP4 {HOST}", "s=-", f"c=IN IP4 {HOST}", "t=0 0",
        f"m=audio {rtp_port} RTP/AVP 8 101",
        "a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15",
        "a=ptime:20", f"a={direction}",
    )


def teams_answer(rtp_port: int, key: bytes, *, version: int = 0,
                 direction: str = "sendrecv", mki: bool = False) -> bytes:
    """Teams' answer: SRTP with its own key (lifetime 2^31, as Teams writes it, and with
    `mki` an MKI of value 1 and length 1), rtcp-mux."""
    return sdp(
        "v=0", f"o=- 5 {version} IN IP4 {HOST}", "s=session", f"c=IN IP4 {HOST}",
        "b=CT:10000000", "t=0 0",
        f"m=audio {rtp_port} RTP/SAVP 8 101", f"c=IN IP4 {HOST}", f"a=rtcp:{rtp_port}",
        f"a=crypto:1 {SUITE} inline:{inline(key)}|2^31{'|1:1' if mki else ''}",
        "a=rtcp-mux", "a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000",
        "a=fmtp:101 0-16", "a=ptime:20", f"a={direction}",
    )


def teams_offer(rtp_port: int, key: bytes, *, version: int = 0, direction: str = "sendrecv",
                mki_key: bytes | None = None) -> bytes:
    """Teams' offer (media bypass off): ICE, SILK, CN and more; with `mki_key`, a first
    SRTP key with MKI 1:1 as Teams lists it before the one without."""
    return sdp(
        "v=0", f"o=- 7 {version} IN IP4 {HOST}", "s=session", f"c=IN IP4 {HOST}",
        "b=CT:10000000", "t=0 0",
        f"m=audio {rtp_port} RTP/SAVP 104 9 103 111 18 0 8 97 101 13 118",
        f"c=IN IP4 {HOST}", f"a=rtcp:{rtp_port + 1}",
        "a=ice-ufrag:Jr2x", "a=ice-pwd:cbWPgPcUIcvc2YaUH0UrAyMb",
        "a=rtcp-mux",
        f"a=candidate:1 1 UDP 2130706431 {HOST} {rtp_port} typ host",
        f"a=candidate:1 2 UDP 2130705918 {HOST} {rtp_port + 1} typ host",
        *([f"a=crypto:2 {SUITE} inline:{inline(mki_key)}|2^31|1:1"] if mki_key else []),
        f"a=crypto:3 {SUITE} inline:{inline(key)}|2^31",
        "a=label:main-audio",
        "a=rtpmap:104 SILK/16000", "a=rtpmap:9 G722/8000", "a=rtpmap:103 SILK/8000",
        "a=rtpmap:111 SIREN/16000", "a=fmtp:111 bitrate=16000", "a=rtpmap:18 G729/8000",
        "a=fmtp:18 annexb=no", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000",
        "a=rtpmap:97 RED/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16",
        "a=rtpmap:13 CN/8000", "a=rtpmap:118 CN/16000", "a=ptime:20", f"a={direction}",
    )
