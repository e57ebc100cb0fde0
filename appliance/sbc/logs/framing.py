"""Octet-counting framing for syslog over TCP and TLS (RFC 6587 §3.4.1, RFC 5425 §4.3).

    SYSLOG-FRAME = MSG-LEN SP SYSLOG-MSG
    MSG-LEN      = NONZERO-DIGIT *DIGIT

The decoder is here for test servers and is strict: anything else is the peer's garbage.
"""

from __future__ import annotations


class FramingError(ValueError):
    """The stream does not follow octet-counting framing (the peer's fault)."""


def encode_frame(message: bytes) -> bytes:
    """Prefix a SYSLOG-MSG with its length in octets."""
    if not message:
        raise ValueError("cannot frame an empty syslog message")
    return b"%d %s" % (len(message), message)


class FrameDecoder:
    """Feed stream bytes in, get whole messages out; buffers at most one frame."""

    def __init__(self, max_size: int = 65536) -> None:
        self._buffer = bytearray()
        self._max_size = max_size

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        messages: list[bytes] = []
        while True:
            space = self._buffer.find(b" ", 0, 12)
            if space < 0:
                if len(self._buffer) >= 12 or not self._buffer.isdigit() and self._buffer:
                    raise FramingError(f"no MSG-LEN at {bytes(self._buffer[:12])!r}")
                return messages
            digits = bytes(self._buffer[:space])
            if not digits.isdigit() or digits.startswith(b"0"):
                raise FramingError(f"bad MSG-LEN {digits!r}")
            length = int(digits)
            if length > self._max_size:
                raise FramingError(f"frame of {length} octets exceeds {self._max_size}")
            end = space + 1 + length
            if len(self._buffer) < end:
                return messages
            messages.append(bytes(self._buffer[space + 1 : end]))
            del self._buffer[:end]
