"""SDP as the B2BUA sees it: opaque bytes for rtpengine, plus the one fact it reads
itself, the o= line, which tells a session refresh (same version) from a new offer."""

from __future__ import annotations

from ..sip import Message

SDP = "application/sdp"


def sdp_body(message: Message) -> bytes | None:
    """The message's SDP, or None (no body, or a body of another type)."""
    if not message.body:
        return None
    ctype = message.content_type
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
