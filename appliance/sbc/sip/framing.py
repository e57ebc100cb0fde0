"""`StreamFramer`: cut a TCP/TLS byte stream into SIP messages (RFC 3261 §18.3).

Framing is by Content-Length, which streams must carry. The buffer is bounded by
`Limits.max_message_size`. Between messages, CRLFCRLF is a keep-alive ping that asks
for a CRLF pong (RFC 5626 §4.4.1), and a lone CRLF (a pong) is skipped.

Two kinds of failure: a message that was framed but is bad comes out as a `BadMessage`
item (answer or drop it, then carry on); a framing failure raises `SipPeerError`, after
which the stream cannot be trusted: answer if the error allows, then close.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import SipPeerError, SipUsageError
from .message import Request, Response
from .parser import (
    DEFAULT_LIMITS,
    Limits,
    build_message,
    content_length,
    is_response_start,
    split_head,
)

PING = b"\r\n\r\n"
PONG = b"\r\n"


@dataclass(frozen=True)
class KeepAlivePing:
    """The peer sent CRLFCRLF; write `reply` back on the same connection."""

    reply: bytes = PONG


@dataclass(frozen=True)
class BadMessage:
    """A complete message that failed to parse; the stream itself is still in step."""

    error: SipPeerError


StreamEvent = Request | Response | KeepAlivePing | BadMessage


class StreamFramer:
    """Feed it bytes as they arrive; it returns whatever became complete."""

    def __init__(self, limits: Limits = DEFAULT_LIMITS) -> None:
        self.limits = limits
        self._buffer = bytearray()
        self._failed = False

    @property
    def buffered(self) -> int:
        """Bytes held while waiting for the rest of a message."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[StreamEvent]:
        """Add ``data``; return the complete messages and pings, in order."""
        if self._failed:
            raise SipUsageError("the stream failed framing earlier; close the connection")
        self._buffer += data
        events: list[StreamEvent] = []
        try:
            while self._next(events):
                pass
        except SipPeerError:
            self._failed = True
            self._buffer.clear()
            raise
        return events

    def _next(self, events: list[StreamEvent]) -> bool:
        """Take one item off the buffer into ``events``; False when more bytes are needed."""
        buf = self._buffer
        if buf.startswith(PING):
            del buf[:4]
            events.append(KeepAlivePing())
            return True
        if buf.startswith(PONG):
            if PING.startswith(bytes(buf)):
                return False  # maybe the start of a ping: wait
            del buf[:2]
            return True
        if buf[:1] in (b"\r", b"\n") and len(buf) < 2:
            return False
        end = buf.find(PING)
        if end < 0:
            if len(buf) > self.limits.max_message_size:
                raise SipPeerError(
                    513 if not is_response_start(bytes(buf)) else None,
                    "header section larger than the size limit",
                )
            return False
        head = bytes(buf[:end])
        is_response = is_response_start(head)
        start, headers, error = split_head(head, self.limits)
        length = content_length(headers, is_response)
        if length is None:
            raise SipPeerError(
                None if is_response else 400,
                "no Content-Length on a stream",
                headers=headers,
            )
        total = end + 4 + length
        if total > self.limits.max_message_size:
            raise SipPeerError(
                None if is_response else 513, "message larger than the size limit", headers=headers
            )
        if len(buf) < total:
            return False
        body = bytes(buf[end + 4 : total])
        del buf[:total]
        if error is not None:
            events.append(BadMessage(error))
            return True
        try:
            message = build_message(start, headers)
        except SipPeerError as err:
            events.append(BadMessage(err))
            return True
        message.body = body
        events.append(message)
        return True
