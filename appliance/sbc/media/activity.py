"""What rtpengine's `query` reply says about a call's media, for `sbc status` and the
B2BUA's "no RTP" checks.

rtpengine 10.5 reports "last packet" in whole seconds and sets it to the stream's
creation time before any packet arrived, so a stream counts as active only once its
packet counter moved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .ng import text


@dataclass(frozen=True)
class MediaStream:
    """One leg's RTP stream as rtpengine relays it."""

    tag: str  # the leg: "a", "b", "c", ...
    local: str  # "address:port" where rtpengine receives this leg's RTP
    remote: str | None  # "address:port" it sends this leg's media to (None: not known yet)
    protocol: str  # "RTP/AVP", "RTP/SAVP"
    crypto: str | None  # SRTP suite in use toward this leg
    packets: int  # packets received from this leg
    last_packet: float | None  # unix time (whole seconds); None before the first packet


@dataclass(frozen=True)
class MediaActivity:
    """One call's media right now: what the no-RTP watchdog and `sbc status` read."""

    last_packet: float | None  # newest RTP packet on any stream of the call; None: none yet
    packets: int  # RTP packets relayed, all legs
    streams: tuple[MediaStream, ...]


def parse_query(reply: Mapping[str, Any]) -> MediaActivity:
    """MediaActivity from a `query` reply; missing or odd fields are skipped, not fatal."""
    streams: list[MediaStream] = []
    tags = reply.get("tags")
    for tag, monologue in sorted(tags.items()) if isinstance(tags, dict) else ():
        if not tag or not isinstance(monologue, dict):
            continue  # "" is a side that has not answered yet
        for media in _dicts(monologue.get("medias")):
            for stream in _dicts(media.get("streams")):
                parsed = _stream(tag, media, stream)
                if parsed is not None:
                    streams.append(parsed)
    totals = reply.get("totals")
    rtp = totals.get("RTP") if isinstance(totals, dict) else None
    packets = _int(rtp.get("packets")) if isinstance(rtp, dict) else 0
    if not packets:
        packets = sum(s.packets for s in streams)
    seen = [s.last_packet for s in streams if s.last_packet is not None]
    return MediaActivity(max(seen) if seen else None, packets, tuple(streams))


def _stream(tag: str, media: dict[str, Any], stream: dict[str, Any]) -> MediaStream | None:
    flags = _texts(stream.get("flags"))
    port = stream.get("local port")
    if "RTP" not in flags or not isinstance(port, int):
        return None  # an RTCP-only stream, or a branch whose ports are released
    stats = stream.get("stats")
    packets = _int(stats.get("packets")) if isinstance(stats, dict) else 0
    last = stream.get("last packet")
    return MediaStream(
        tag=tag,
        local=f"{text(stream.get('local address'), '?')}:{port}",
        remote=_endpoint(stream.get("endpoint")),
        protocol=text(media.get("protocol")),
        crypto=text(stream.get("crypto suite")) or None,
        packets=packets,
        last_packet=float(last) if packets and isinstance(last, int) else None,
    )


def _endpoint(value: Any) -> str | None:
    if not isinstance(value, dict) or not isinstance(value.get("port"), int):
        return None
    address = text(value.get("address"))
    return f"[{address}]:{value['port']}" if ":" in address else f"{address}:{value['port']}"


def _texts(value: Any) -> set[str]:
    if not isinstance(value, list):
        return set()
    return {text(item) for item in value if isinstance(item, bytes | str)}


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _int(value: Any) -> int:
    return value if isinstance(value, int) else 0
