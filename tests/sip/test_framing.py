from __future__ import annotations

import pytest
from sbc.sip import (
    BadMessage,
    KeepAlivePing,
    Limits,
    Request,
    SipPeerError,
    SipUsageError,
    StreamFramer,
)

from .helpers import INVITE, OPTIONS


def test_two_messages_in_one_chunk_and_byte_by_byte() -> None:
    framer = StreamFramer()
    out = framer.feed(OPTIONS + INVITE)
    assert [m.method for m in out if isinstance(m, Request)] == ["OPTIONS", "INVITE"]
    assert out[1].body == b"v=0\r\n"  # type: ignore[union-attr]
    framer = StreamFramer()
    events = []
    for byte in INVITE:
        events += framer.feed(bytes([byte]))
    assert len(events) == 1 and isinstance(events[0], Request) and framer.buffered == 0


def test_keepalive_ping_and_pong() -> None:
    framer = StreamFramer()
    assert framer.feed(b"\r\n\r\n") == [KeepAlivePing()]
    assert KeepAlivePing().reply == b"\r\n"
    assert framer.feed(b"\r\n") == []  # maybe a ping's first half: wait
    out = framer.feed(OPTIONS)  # so it was a pong, skipped
    assert len(out) == 1 and isinstance(out[0], Request)
    assert framer.feed(b"\r\n\r") == [] and framer.feed(b"\n") == [KeepAlivePing()]


def test_waits_for_body_within_bounds() -> None:
    framer = StreamFramer()
    assert framer.feed(INVITE[:-3]) == []
    assert framer.buffered == len(INVITE) - 3
    assert len(framer.feed(INVITE[-3:])) == 1


def test_content_length_required() -> None:
    framer = StreamFramer()
    with pytest.raises(SipPeerError) as info:
        framer.feed(OPTIONS.replace(b"Content-Length: 0\r\n", b""))
    assert info.value.status == 400 and info.value.headers is not None
    with pytest.raises(SipUsageError):
        framer.feed(OPTIONS)


def test_bounded_buffer() -> None:
    limits = Limits(max_message_size=1000)
    framer = StreamFramer(limits)
    with pytest.raises(SipPeerError) as info:
        framer.feed(b"OPTIONS sip:x SIP/2.0\r\nX: " + b"a" * 2000)
    assert info.value.status == 513
    framer = StreamFramer(limits)
    with pytest.raises(SipPeerError) as info:
        framer.feed(OPTIONS.replace(b"Content-Length: 0", b"Content-Length: 5000"))
    assert info.value.status == 513


def test_bad_message_does_not_break_the_stream() -> None:
    framer = StreamFramer()
    bad = OPTIONS.replace(b"SIP/2.0\r\n", b"SIP/7.0\r\n", 1)
    out = framer.feed(bad + OPTIONS)
    assert isinstance(out[0], BadMessage) and out[0].error.status == 505
    assert isinstance(out[1], Request)
    broken_line = OPTIONS.replace(b"Max-Forwards: 70", b"Max Forwards: 70")
    out = framer.feed(broken_line)
    assert isinstance(out[0], BadMessage) and out[0].error.status == 400


def test_bad_response_on_a_stream_is_dropped() -> None:
    framer = StreamFramer()
    out = framer.feed(b"SIP/2.0 99999 X\r\nContent-Length: 0\r\n\r\n")
    assert isinstance(out[0], BadMessage) and out[0].error.status is None
