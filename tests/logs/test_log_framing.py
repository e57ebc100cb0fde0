"""Octet-counting framing (RFC 6587 §3.4.1)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sbc.logs.framing import FrameDecoder, FramingError, encode_frame


def test_encode() -> None:
    assert encode_frame(b"<134>1 - - - - - -") == b"18 <134>1 - - - - - -"
    assert encode_frame("ü".encode()) == b"2 \xc3\xbc"  # octets, not characters
    with pytest.raises(ValueError):
        encode_frame(b"")


def test_decode_across_feeds() -> None:
    stream = encode_frame(b"first") + encode_frame(b"second message") + encode_frame(b"3")
    decoder = FrameDecoder()
    out: list[bytes] = []
    for i in range(len(stream)):
        out += decoder.feed(stream[i : i + 1])
    assert out == [b"first", b"second message", b"3"]


def test_messages_may_contain_newlines_and_spaces() -> None:
    assert FrameDecoder().feed(encode_frame(b"a b\nc")) == [b"a b\nc"]


@pytest.mark.parametrize("garbage", [b"<134>1 -", b"05 hello", b"x5 hello", b"123456789012345"])
def test_garbage_is_the_peers_error(garbage: bytes) -> None:
    with pytest.raises(FramingError):
        FrameDecoder().feed(garbage)


def test_frame_bound() -> None:
    with pytest.raises(FramingError, match="exceeds"):
        FrameDecoder(max_size=10).feed(b"11 ")


@given(st.lists(st.binary(max_size=40), max_size=8))
def test_any_bytes_are_frames_or_framing_error(chunks: list[bytes]) -> None:
    decoder = FrameDecoder(max_size=1000)
    try:
        for chunk in chunks:
            for message in decoder.feed(chunk):
                assert len(message) <= 1000
    except FramingError:
        pass


@given(st.lists(st.binary(min_size=1, max_size=300), max_size=5), st.integers(1, 50))
def test_frames_survive_any_split(messages: list[bytes], step: int) -> None:
    stream = b"".join(encode_frame(m) for m in messages)
    decoder = FrameDecoder()
    out: list[bytes] = []
    for i in range(0, len(stream), step):
        out += decoder.feed(stream[i : i + step])
    assert out == messages
