"""sbc.media.bencode: exact bytes, strict decoding, and a fuzz test of the decoder."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sbc.media import bencode


def test_known_vectors() -> None:
    assert bencode.encode({"command": "ping"}) == b"d7:command4:pinge"
    assert bencode.decode(b"d6:result4:ponge") == {"result": b"pong"}
    assert bencode.encode([1, -3, 0, b"", "ä"]) == b"li1ei-3ei0e0:2:\xc3\xa4e"
    assert bencode.decode(b"li1ei-3ei0e0:e") == [1, -3, 0, b""]


def test_encode_sorts_keys_and_takes_tuples_and_bytes_keys() -> None:
    assert bencode.encode({"b": 1, "a": (2,), b"c": b"x"}) == b"d1:ali2ee1:bi1e1:c1:xe"


def test_decode_takes_unsorted_keys_as_rtpengine_sends_them() -> None:
    assert bencode.decode(b"d1:bi1e1:ai2ee") == {"b": 1, "a": 2}


@pytest.mark.parametrize("value", [True, 1.5, None, {1: 2}, object(), {"a": 1, b"a": 2}])
def test_encode_refuses(value: Any) -> None:
    with pytest.raises(ValueError):
        bencode.encode(value)


@pytest.mark.parametrize("data", [
    b"", b"i", b"ie", b"i-e", b"i01e", b"i-0e", b"i1", b"i1x1e", b"i" + b"1" * 30 + b"e",
    b"01:a", b"2:a", b"-1:a", b"1a", b"l", b"li1e", b"d", b"d1:a", b"di1ei2ee",
    b"d1:ai1e1:ai2ee", b"d1:\xffi1ee", b"x", b"i1ei2e", b"le ", b"e",
    b"l" * 100 + b"e" * 100,
])
def test_decode_refuses(data: bytes) -> None:
    with pytest.raises(ValueError):
        bencode.decode(data)


def test_decode_refuses_oversized_input() -> None:
    with pytest.raises(ValueError, match="longer than"):
        bencode.decode(b"0:" + b" " * bencode.MAX_INPUT)


def test_nesting_limit_is_exact() -> None:
    deep: Any = 1
    for _ in range(bencode.MAX_DEPTH):
        deep = [deep]
    assert bencode.decode(bencode.encode(deep)) == deep
    with pytest.raises(ValueError):
        bencode.encode([deep])


values = st.recursive(
    st.integers(min_value=-(10**18), max_value=10**18) | st.binary(max_size=40),
    lambda inner: st.lists(inner, max_size=5)
    | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=30,
)


@given(values)
def test_round_trip(value: Any) -> None:
    assert bencode.decode(bencode.encode(value)) == value


@given(st.binary(max_size=300))
@settings(max_examples=1500)
def test_fuzz_decoder_only_raises_value_error(data: bytes) -> None:
    try:
        bencode.decode(data)
    except ValueError:
        pass


@given(values, st.integers(min_value=0, max_value=400), st.binary(min_size=1, max_size=3))
@settings(max_examples=800)
def test_fuzz_mutated_encodings(value: Any, where: int, junk: bytes) -> None:
    data = bytearray(bencode.encode(value))
    at = where % (len(data) + 1)
    data[at:at + len(junk)] = junk
    try:
        bencode.decode(bytes(data))
    except ValueError:
        pass
