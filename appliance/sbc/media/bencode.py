"""Bencode, the encoding of rtpengine's "ng" control protocol, without any I/O.

    encode({"command": "ping"}) == b"d7:command4:pinge"
    decode(b"d6:result4:ponge") == {"result": b"pong"}

Values are dicts (str keys), lists, ints and byte strings; `encode` also takes str
(UTF-8) and tuples. `decode` is strict, because its input comes from the network: no
leading zeros, no "-0", no trailing bytes, no duplicate keys, keys must be UTF-8, and
nesting and sizes are bounded. Anything else raises ValueError and nothing else.
Dict keys are returned as str and need not be sorted: rtpengine does not sort them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_DEPTH = 32
MAX_INPUT = 1 << 20  # an ng reply is one UDP datagram (<= 64 KiB); this is generous
_DIGITS = frozenset(b"0123456789")


def encode(value: Any) -> bytes:
    """Bytes for `value`; dict keys are sorted as the bencode spec asks."""
    out: list[bytes] = []
    _encode(value, out, 0)
    return b"".join(out)


def _encode(value: Any, out: list[bytes], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ValueError(f"bencode: nested deeper than {MAX_DEPTH}")
    if isinstance(value, bool):  # bool is an int subclass; refuse it rather than guess
        raise ValueError("bencode: cannot encode a bool (use 0/1 or a string)")
    if isinstance(value, int):
        out.append(b"i%de" % value)
    elif isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        out.append(b"%d:" % len(raw))
        out.append(raw)
    elif isinstance(value, str):
        _encode(value.encode("utf-8"), out, depth)
    elif isinstance(value, list | tuple):
        out.append(b"l")
        for item in value:
            _encode(item, out, depth + 1)
        out.append(b"e")
    elif isinstance(value, Mapping):
        items: dict[bytes, Any] = {}
        for key, item in value.items():
            raw_key = key.encode("utf-8") if isinstance(key, str) else key
            if not isinstance(raw_key, bytes):
                raise ValueError(f"bencode: dict key {key!r} is not a string")
            if raw_key in items:
                raise ValueError(f"bencode: duplicate dict key {key!r}")
            items[raw_key] = item
        out.append(b"d")
        for raw_key in sorted(items):
            _encode(raw_key, out, depth + 1)
            _encode(items[raw_key], out, depth + 1)
        out.append(b"e")
    else:
        raise ValueError(f"bencode: cannot encode {type(value).__name__}")


def decode(data: bytes) -> Any:
    """The value in `data`, which must hold exactly one bencoded value."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ValueError("bencode: input must be bytes")
    raw = bytes(data)
    if len(raw) > MAX_INPUT:
        raise ValueError(f"bencode: input longer than {MAX_INPUT} bytes")
    value, end = _decode(raw, 0, 0)
    if end != len(raw):
        raise ValueError(f"bencode: {len(raw) - end} trailing byte(s) at offset {end}")
    return value


def _decode(data: bytes, pos: int, depth: int) -> tuple[Any, int]:
    if depth > MAX_DEPTH:
        raise ValueError(f"bencode: nested deeper than {MAX_DEPTH}")
    if pos >= len(data):
        raise ValueError("bencode: truncated input")
    lead = data[pos]
    if lead == ord("i"):
        end = data.find(b"e", pos + 1)
        if end < 0:
            raise ValueError(f"bencode: unterminated integer at offset {pos}")
        return _integer(data[pos + 1 : end], pos), end + 1
    if lead in _DIGITS:
        return _string(data, pos)
    if lead == ord("l"):
        items: list[Any] = []
        pos += 1
        while True:
            if pos >= len(data):
                raise ValueError("bencode: unterminated list")
            if data[pos] == ord("e"):
                return items, pos + 1
            item, pos = _decode(data, pos, depth + 1)
            items.append(item)
    if lead == ord("d"):
        result: dict[str, Any] = {}
        pos += 1
        while True:
            if pos >= len(data):
                raise ValueError("bencode: unterminated dict")
            if data[pos] == ord("e"):
                return result, pos + 1
            if data[pos] not in _DIGITS:
                raise ValueError(f"bencode: dict key at offset {pos} is not a string")
            raw_key, pos = _string(data, pos)
            try:
                key = raw_key.decode("utf-8")
            except UnicodeDecodeError:
                raise ValueError(f"bencode: dict key {raw_key!r} is not UTF-8") from None
            if key in result:
                raise ValueError(f"bencode: duplicate dict key {key!r}")
            result[key], pos = _decode(data, pos, depth + 1)
    raise ValueError(f"bencode: unexpected byte {bytes([lead])!r} at offset {pos}")


def _integer(digits: bytes, pos: int) -> int:
    body = digits[1:] if digits.startswith(b"-") else digits
    if (
        not body
        or len(body) > 20
        or any(b not in _DIGITS for b in body)
        or (body.startswith(b"0") and len(body) > 1)
        or digits == b"-0"
    ):
        raise ValueError(f"bencode: bad integer {digits[:24]!r} at offset {pos}")
    return int(digits)


def _string(data: bytes, pos: int) -> tuple[bytes, int]:
    colon = data.find(b":", pos, pos + 21)
    if colon < 0:
        raise ValueError(f"bencode: bad string length at offset {pos}")
    digits = data[pos:colon]
    if any(b not in _DIGITS for b in digits) or (digits.startswith(b"0") and len(digits) > 1):
        raise ValueError(f"bencode: bad string length {digits!r} at offset {pos}")
    length = int(digits)
    start = colon + 1
    if start + length > len(data):
        raise ValueError(f"bencode: string at offset {pos} runs past the end")
    return data[start : start + length], start + length
