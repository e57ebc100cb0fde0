"""Fuzzing the parser with one invariant: any input parses or raises `SipPeerError`.

Inputs are arbitrary bytes, SIP-looking text built from the characters the grammar cares
about, and RFC 4475 messages with bytes inserted, deleted or replaced. Whatever parses is
pushed further (every typed accessor, validation, the error answer, serialization), and
the same inputs are fed to a `StreamFramer` in random chunks.
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sbc.sip import (
    BadMessage,
    Limits,
    Request,
    Response,
    SipPeerError,
    StreamFramer,
    error_response,
    parse_datagram,
    validate_request,
    validate_response,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "rfc4475"
CORPUS = [p.read_bytes() for p in sorted(DATA.glob("*.dat"))]
FUZZ = settings(
    max_examples=int(os.environ.get("SIP_FUZZ_EXAMPLES", "400")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
SMALL = Limits(max_message_size=4096, max_header_count=64, max_line_length=1024)

_SIP_ALPHABET = "aAzZ09 \t\r\n:;,<>\"\\@=?%/.-_+*!~'()[]#&$`{}|^\x00\x7f\u00e9"
_NAMES = ["Via", "v", "From", "f", "To", "t", "Call-ID", "i", "CSeq", "Contact", "m", "l",
          "Content-Length", "Content-Type", "c", "Max-Forwards", "Route", "Record-Route",
          "Require", "Proxy-Require", "Accept", "Content-Encoding", "Expires", "X"]


def exercise(message: Request | Response) -> None:
    """Use every accessor and the server checks; only SipPeerError may come out."""
    for name in ("vias", "top_via", "call_id", "cseq", "from_addr", "to_addr", "contacts",
                 "contact_wildcard", "routes", "record_routes", "max_forwards",
                 "content_type", "expires"):
        try:
            getattr(message, name)
        except SipPeerError:
            pass
    try:
        if isinstance(message, Request):
            validate_request(message)
        else:
            validate_response(message)
    except SipPeerError as err:
        answer = error_response(err, to_tag="fuzz")
        if answer is not None:
            parse_datagram(answer.to_bytes())  # our own answers must parse
    # What we parsed, we can write out again, and it parses back.
    again = parse_datagram(message.to_bytes())
    assert again.body == message.body


def check_datagram(data: bytes) -> None:
    for limits in (Limits(), SMALL):
        try:
            message = parse_datagram(data, limits)
        except SipPeerError:
            continue
        exercise(message)


def check_stream(data: bytes, cuts: list[int]) -> None:
    framer = StreamFramer(SMALL)
    pieces, last = [], 0
    for cut in sorted(c % (len(data) + 1) for c in cuts):
        pieces.append(data[last:cut])
        last = cut
    pieces.append(data[last:])
    try:
        for piece in pieces:
            for event in framer.feed(piece):
                if isinstance(event, (Request, Response)):
                    exercise(event)
                elif isinstance(event, BadMessage):
                    assert isinstance(event.error, SipPeerError)
    except SipPeerError:
        pass  # a framing failure: the connection would be closed


_VALUES = ["SIP/2.0/UDP h:5060;branch=z9hG4bK1;rport", "<sip:a@b>;tag=1", '"A" <sip:a@b>',
           "sip:a@b;x", "1 INVITE", "2 OPTIONS", "0", "70", "abc@h", "application/sdp",
           "timer, foo", "*", "<sip:p;lr>, <sip:q>", "tel:+4930", "<isbn:1>"]


@st.composite
def sip_like(draw: st.DrawFn) -> bytes:
    """Start line and headers from plausible pieces spliced with grammar-heavy noise."""
    noise = st.text(alphabet=_SIP_ALPHABET, max_size=40)
    plausible = st.sampled_from(_VALUES)
    text = st.one_of(plausible, noise, st.builds(str.__add__, plausible, noise))
    uri = st.one_of(st.sampled_from(["sip:a@b", "sips:[::1]:5061;lr", "tel:+1", "x:y"]), noise)
    method = draw(st.sampled_from(["INVITE", "OPTIONS", "ACK", "SIP/2.0", "BYE", "X"]))
    start = f"{method} {draw(uri)} {draw(st.sampled_from(['SIP/2.0', 'SIP/3.0', '200 OK']))}"
    lines = [start]
    for _ in range(draw(st.integers(0, 12))):
        name = draw(st.sampled_from(_NAMES))
        lines.append(f"{name}{draw(st.sampled_from([':', ' :', ': ']))}{draw(text)}")
    body = draw(st.binary(max_size=60))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogatepass") + body


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(CORPUS)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["insert", "delete", "replace", "truncate", "dup"]))
        pos = draw(st.integers(0, len(data)))
        if op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 16))]
        elif op == "replace" and pos < len(data):
            data[pos] = draw(st.sampled_from(list(b":;,<>\"\\ \r\n@=%0\x00\xff")))
        elif op == "truncate":
            del data[pos:]
        elif op == "dup":
            data[pos:pos] = data[max(0, pos - 30) : pos]
    return bytes(data)


@FUZZ
@given(st.binary(max_size=600))
def test_any_bytes(data: bytes) -> None:
    check_datagram(data)


@FUZZ
@given(sip_like())
def test_sip_like_text(data: bytes) -> None:
    check_datagram(data)


@FUZZ
@given(mutated())
def test_mutated_corpus(data: bytes) -> None:
    check_datagram(data)


@FUZZ
@given(
    st.one_of(mutated(), sip_like(), st.binary(max_size=300)),
    st.lists(st.integers(0, 5000), max_size=6),
)
def test_stream_framer(data: bytes, cuts: list[int]) -> None:
    check_stream(data, cuts)
    check_stream(data + data, cuts)
