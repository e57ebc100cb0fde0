"""The little SDP the media plane writes or edits itself; everything else is rtpengine's.

Two jobs:
- `late_offer`: an offer on behalf of a leg that sent none (a carrier INVITE without SDP),
  so that Teams, which wants SDP in the INVITE, gets one.
- `keep_origin`: RFC 3264 §8 wants every SDP sent to one side to keep the o= username
  and session id and to raise the version exactly when something changed. Across a
  transfer the SDP comes from another party, and rtpengine 10.5 keeps only the username
  and version, never the session id, so the o= line is ours to keep steady.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# Where the late offerer "is" until its answer arrives in the ACK: TEST-NET-1 (RFC 5737)
# port 9 (discard). Not 0.0.0.0, which rtpengine reads as hold and turns into a=sendonly
# toward the other side; a few early packets to nowhere are the price.
LATE_OFFER_ADDRESS = "192.0.2.1"
LATE_OFFER_PORT = 9

# Static payload types (RFC 3551) and the one dynamic type we need for the late offer.
_LATE_OFFER_FORMATS: dict[str, tuple[int, str, str | None]] = {
    "PCMU": (0, "PCMU/8000", None),
    "PCMA": (8, "PCMA/8000", None),
    "G722": (9, "G722/8000", None),
    "G729": (18, "G729/8000", "annexb=no"),
    "CN": (13, "CN/8000", None),
    "telephone-event": (101, "telephone-event/8000", "0-16"),
}


def late_offer(codecs: Iterable[str], session_id: int) -> bytes:
    """A plain RTP/AVP offer listing `codecs` (those this module knows how to write; the
    rest are dropped). ValueError when none is left."""
    formats = [_LATE_OFFER_FORMATS[c] for c in dict.fromkeys(codecs) if c in _LATE_OFFER_FORMATS]
    if not any(name != "telephone-event/8000" for _, name, _ in formats):
        raise ValueError("no audio codec to put in a late offer")
    payloads = " ".join(str(pt) for pt, _, _ in formats)
    lines = [
        "v=0",
        f"o=- {session_id} {session_id} IN IP4 {LATE_OFFER_ADDRESS}",
        "s=-",
        f"c=IN IP4 {LATE_OFFER_ADDRESS}",
        "t=0 0",
        f"m=audio {LATE_OFFER_PORT} RTP/AVP {payloads}",
    ]
    for pt, name, fmtp in formats:
        lines.append(f"a=rtpmap:{pt} {name}")
        if fmtp:
            lines.append(f"a=fmtp:{pt} {fmtp}")
    lines += ["a=ptime:20", "a=sendrecv"]
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


@dataclass(frozen=True)
class Origin:
    """The o= line last sent to one side, and the rest of that SDP (to spot changes)."""

    username: bytes
    session_id: bytes
    version: int
    rest: bytes


def keep_origin(sdp: bytes, previous: Origin | None) -> tuple[bytes, Origin | None]:
    """`sdp` with its o= line made to follow `previous`, and the new Origin.

    The first SDP to a side passes unchanged. Later ones keep its username and session
    id; the version goes up by one when anything else in the SDP changed. An SDP without
    a well-formed o= line passes unchanged and leaves `previous` as it was.
    """
    lines = sdp.split(b"\n")
    index = next((i for i, line in enumerate(lines) if line.startswith(b"o=")), None)
    if index is None:
        return sdp, previous
    line = lines[index]
    ending = b"\r" if line.endswith(b"\r") else b""
    fields = line[2 : len(line) - len(ending)].split(b" ")
    if len(fields) != 6 or not fields[2].isdigit() or len(fields[2]) > 20:
        return sdp, previous
    rest = b"\n".join(lines[:index] + lines[index + 1 :])
    if previous is None:
        return sdp, Origin(fields[0], fields[1], int(fields[2]), rest)
    version = previous.version if rest == previous.rest else previous.version + 1
    fields[:3] = [previous.username, previous.session_id, str(version).encode("ascii")]
    lines[index] = b"o=" + b" ".join(fields) + ending
    return b"\n".join(lines), Origin(previous.username, previous.session_id, version, rest)


def media_ports(sdp: bytes) -> tuple[int, ...]:
    """The port of each m= line: what a peer sends its media to."""
    ports = []
    for line in sdp.splitlines():
        if line.startswith(b"m="):
            parts = line.split(b" ")
            port = parts[1].split(b"/")[0] if len(parts) > 1 else b""
            ports.append(int(port) if port.isdigit() and len(port) <= 5 else -1)
    return tuple(ports)


def crypto_lines(sdp: bytes) -> tuple[bytes, ...]:
    """The a=crypto lines (SDES keys), in order."""
    return tuple(line.strip() for line in sdp.splitlines() if line.startswith(b"a=crypto:"))


# ICE attributes, standard and Microsoft's own (Teams sends a=x-candidate-ipv6 lines,
# which rtpengine's ICE=remove passes through as unknown attributes).
_ICE_ATTRIBUTES = (b"a=candidate", b"a=x-candidate", b"a=remote-candidates",
                   b"a=ice-", b"a=x-ice", b"a=end-of-candidates")


def strip_ice(sdp: bytes) -> bytes:
    """`sdp` without any ICE attribute line, for a leg that must not see ICE."""
    newline = b"\r\n" if b"\r\n" in sdp else b"\n"
    kept = [line for line in sdp.split(newline)
            if not line.lstrip().lower().startswith(_ICE_ATTRIBUTES)]
    return newline.join(kept)
