"""SDP as the B2BUA sees it: opaque bytes for rtpengine, plus the one fact it reads
itself, the o= line, which tells a session refresh (same version) from a new offer.
The SDP is the body, or the SDP part of a multipart/mixed body (an emergency call with
its location, `location`)."""

from __future__ import annotations

from ..sip import MULTIPART_MIXED, Message, SipPeerError, parse_multipart

SDP = "application/sdp"


def sdp_body(message: Message) -> bytes | None:
    """The message's SDP, or None (no body, a body of another type, or a multipart
    without an SDP part)."""
    if not message.body:
        return None
    ctype = message.content_type
    if ctype is not None and ctype.essence == MULTIPART_MIXED:
        try:
            body = parse_multipart(message.body, ctype)
        except SipPeerError:
            return None
        index = body.index(SDP)
        return None if index is None else body.parts[index].body
    if ctype is None or ctype.essence != SDP:
        return None
    return message.body


def origin(sdp: bytes | None) -> bytes | None:
    """The o= line (session id and version); equal lines mean "nothing changed"."""
    if not sdp:
        return None
    for line in sdp.splitlines():
        if line.startswith(b"o="):
            return line.strip()
    return None


def inactive(sdp: bytes | None) -> bool:
    """The SDP stops media altogether (a=inactive, or the old c=0.0.0.0 hold): a call
    held like that sends no RTP, so the no-RTP watchdog must leave it alone."""
    if not sdp:
        return False
    for line in sdp.splitlines():
        line = line.strip()
        if line == b"a=inactive" or line.startswith(b"c=IN IP4 0.0.0.0"):
            return True
    return False


def media_address(sdp: bytes | None) -> str | None:
    """"IP:PORT" of the first audio stream (session or media c= line), for status."""
    if not sdp:
        return None
    host = port = None
    for raw in sdp.splitlines():
        line = raw.strip().decode("ascii", "replace")
        if line.startswith("c=") and (host is None or port is not None):
            parts = line[2:].split()
            host = parts[2].split("/")[0] if len(parts) >= 3 else host
        elif line.startswith("m=audio ") and port is None:
            fields = line.split()
            port = fields[1] if len(fields) > 1 else None
    if host is None or port is None:
        return None
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
