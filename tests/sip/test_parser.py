from __future__ import annotations

import pytest
from sbc.sip import DEFAULT_LIMITS, Limits, Request, Response, SipPeerError, SipUri, parse_datagram

from .helpers import INVITE, OPTIONS, crlf


def test_parse_options() -> None:
    msg = parse_datagram(OPTIONS)
    assert isinstance(msg, Request)
    assert msg.method == "OPTIONS" and isinstance(msg.uri, SipUri)
    assert msg.uri.host == "sbc.example.com"
    assert msg.call_id == "opt-1@192.0.2.10"
    assert msg.cseq.number == 1 and msg.max_forwards == 70
    assert msg.top_via.branch == "z9hG4bKabc123" and msg.top_via.port == 5060
    assert msg.from_addr.tag == "f1" and msg.to_addr.tag is None
    assert msg.body == b""


def test_round_trip_is_canonical() -> None:
    msg = parse_datagram(INVITE)
    assert msg.to_bytes() == INVITE
    assert parse_datagram(msg.to_bytes()) == msg


def test_compact_forms_folding_and_content_length_recomputed() -> None:
    data = crlf(
        "INVITE sip:bob@example.com SIP/2.0\n"
        "v: SIP/2.0/UDP h;branch=z9hG4bK1\n"
        "f: <sip:a@b>;tag=1\n"
        "t: <sip:bob@example.com>\n"
        "i: abc\n"
        "CSeq: 1\n"
        "  INVITE\n"
        "m: <sip:a@h>\n"
        "c: application/sdp\n"
        "l: 3\n"
        "\n"
        "xyzTRAILING"
    )
    msg = parse_datagram(data)
    assert msg.body == b"xyz"
    assert msg.headers.get("CSeq") == "1 INVITE"
    msg.body = b"longer body"
    out = msg.to_bytes()
    assert b"Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n" in out
    assert b"Content-Length: 11\r\n\r\nlonger body" in out and b"l:" not in out


def test_response_parse_and_reason_kept() -> None:
    msg = parse_datagram(crlf(
        "SIP/2.0 180 Ringing now\n"
        "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
        "From: <sip:a@b>;tag=1\nTo: <sip:c@d>;tag=2\nCall-ID: x\nCSeq: 1 INVITE\n\n"
    ))
    assert isinstance(msg, Response)
    assert (msg.status, msg.reason) == (180, "Ringing now")
    assert msg.to_bytes().startswith(b"SIP/2.0 180 Ringing now\r\n")
    assert Response(status=486).to_bytes().startswith(b"SIP/2.0 486 Busy Here\r\n")


def test_missing_content_length_on_udp_takes_the_rest() -> None:
    msg = parse_datagram(OPTIONS.replace(b"Content-Length: 0\r\n", b"") + b"body")
    assert msg.body == b"body"


def test_leading_crlf_and_missing_final_empty_line_tolerated() -> None:
    assert isinstance(parse_datagram(b"\r\n\r\n" + OPTIONS), Request)
    assert isinstance(parse_datagram(OPTIONS[:-2]), Request)


def _status(data: bytes, limits: Limits = DEFAULT_LIMITS) -> int | None:
    with pytest.raises(SipPeerError) as info:
        parse_datagram(data, limits)
    return info.value.status


def test_peer_errors_from_the_parser() -> None:
    assert _status(b"\r\n\r\n") is None  # keep-alive
    assert _status(b"") is None
    assert _status(OPTIONS.replace(b"SIP/2.0\r\n", b"SIP/3.0\r\n", 1)) == 505
    assert _status(OPTIONS.replace(b"OPTIONS sip:", b"OPTIONS  sip:", 1)) == 400
    assert _status(OPTIONS.replace(b"OPTIONS", b"OPT<IONS", 1)) == 400
    assert _status(OPTIONS.replace(b"SIP/2.0\r\n", b"HTTP/1.1\r\n", 1)) == 400
    assert _status(OPTIONS.replace(b"Max-Forwards: 70", b"Max Forwards: 70")) == 400
    assert _status(OPTIONS.replace(b"SIP/2.0\r\nVia", b"SIP/2.0\r\n folded\r\nVia", 1)) == 400
    assert _status(OPTIONS.replace(b"Content-Length: 0", b"Content-Length: 10")) == 400
    assert _status(OPTIONS.replace(b"Content-Length: 0", b"Content-Length: 0\r\nl: 0")) == 400
    assert _status(OPTIONS.replace(b"Max-Forwards: 70\r\n", b"Max-Forwards: 70\n")) == 400
    assert _status(OPTIONS.replace(b"\r\n\r\n", b"\r\nX")) == 400
    assert _status(b"SIP/2.0 2000 OK\r\n\r\n") is None
    assert _status(b"SIP/2.0 099 Low\r\n\r\n") is None
    assert _status(b"SIP/1.0 200 OK\r\n\r\n") is None
    assert _status(b"SIP/2.0 200 OK\r\nVia x\r\n\r\n") is None
    assert _status(b"garbage") == 400


def test_error_carries_headers_for_the_answer() -> None:
    with pytest.raises(SipPeerError) as info:
        parse_datagram(OPTIONS.replace(b"SIP/2.0\r\n", b"SIP/7.0\r\n", 1))
    assert info.value.headers is not None
    assert info.value.headers.get("Call-ID") == "opt-1@192.0.2.10"


def test_size_limits() -> None:
    small = Limits(max_message_size=100)
    assert _status(OPTIONS, small) == 513
    assert _status(b"SIP/2.0 200 OK\r\n" + b"X: y\r\n" * 40 + b"\r\n", small) is None
    few = Limits(max_header_count=3)
    assert _status(OPTIONS, few) == 400
    short = Limits(max_line_length=40)
    assert _status(OPTIONS, short) == 400
    folded = OPTIONS.replace(b"Max-Forwards: 70", b"Max-Forwards:" + b"\r\n 7" * 30)
    assert _status(folded, Limits(max_line_length=60)) == 400


def test_accessor_errors_are_status_aware() -> None:
    req = parse_datagram(OPTIONS.replace(b"CSeq: 1 OPTIONS", b"CSeq: x"))
    with pytest.raises(SipPeerError) as info:
        req.cseq  # noqa: B018
    assert info.value.status == 400 and info.value.headers is req.headers
    resp = parse_datagram(b"SIP/2.0 200 OK\r\nCSeq: x\r\n\r\n")
    with pytest.raises(SipPeerError) as info:
        resp.cseq  # noqa: B018
    assert info.value.status is None
    with pytest.raises(SipPeerError):
        resp.top_via  # noqa: B018
    with pytest.raises(SipPeerError):
        resp.call_id  # noqa: B018


def test_from_to_cseq_and_call_id_are_parsed_once_per_value() -> None:
    msg = parse_datagram(OPTIONS)
    assert msg.from_addr is msg.from_addr and msg.cseq is msg.cseq  # read again: no parse
    assert "_parsed" not in vars(msg)  # nothing kept on the message itself
    assert parse_datagram(OPTIONS).from_addr is msg.from_addr  # same value, same result
    before = msg.to_addr
    msg.headers.set("To", "<sip:other@example.com>;tag=t9")  # a changed header ...
    assert msg.to_addr.tag == "t9" and msg.to_addr is not before  # ... is parsed afresh
    msg.headers.set("CSeq", "7 OPTIONS")
    assert msg.cseq.number == 7
    assert parse_datagram(msg.to_bytes()) == msg  # the memo is no part of the message


def test_a_response_reads_an_odd_from_leniently_a_request_still_refuses_it() -> None:
    odd = "<sip:us^er@h>;tag=x"  # "^" may not stand in a user part
    response = parse_datagram(crlf(
        "SIP/2.0 200 OK\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\n"
        f"From: {odd}\nTo: <sip:b@h>;tag=y\nCall-ID: c\nCSeq: 1 INVITE\n\n"))
    assert response.from_addr.tag == "x"  # kept opaque, the tag read
    request = parse_datagram(crlf(
        "OPTIONS sip:h SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK2\n"
        f"From: {odd}\nTo: <sip:b@h>\nCall-ID: c\nCSeq: 1 OPTIONS\n\n"))
    with pytest.raises(SipPeerError):
        request.from_addr  # noqa: B018  (the response's entry is not the request's)
