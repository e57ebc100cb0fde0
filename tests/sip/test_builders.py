from __future__ import annotations

import pytest
from sbc.sip import (
    Address,
    Endpoint,
    Request,
    SipUsageError,
    Via,
    build_ack,
    build_cancel,
    build_request,
    build_response,
    new_branch,
    new_call_id,
    new_tag,
    parse_datagram,
    parse_uri,
    response_destination,
    stamp_received,
)

from .helpers import INVITE, OPTIONS, counter_random


def _request(data: bytes) -> Request:
    msg = parse_datagram(data)
    assert isinstance(msg, Request)
    return msg


def test_build_response_copies_per_8_2_6() -> None:
    second_via = b"Via: SIP/2.0/TCP p2;branch=z9hG4bK2\r\nMax-Forwards"
    req = _request(INVITE.replace(b"Max-Forwards", second_via))
    resp = build_response(req, 486, to_tag="t9", headers=[("Retry-After", "60")])
    assert resp.headers.get_all("Via") == req.headers.get_all("Via")
    assert resp.headers.get("From") == req.headers.get("From")
    assert resp.headers.get("To") == "<sip:+4930123@sbc.example.com>;tag=t9"
    assert resp.headers.get("Call-ID") == "inv-1@192.0.2.10"
    assert resp.headers.get("CSeq") == "10 INVITE"
    assert resp.headers.get("Retry-After") == "60"
    assert resp.to_bytes().startswith(b"SIP/2.0 486 Busy Here\r\n")
    trying = build_response(req, 100, to_tag="t9")
    assert trying.to_addr.tag is None
    tagged = build_response(build_request_with_to_tag(), 200, to_tag="other")
    assert tagged.to_addr.tag == "already"


def build_request_with_to_tag() -> Request:
    to = b"To: <sip:sbc.example.com>"
    return _request(OPTIONS.replace(to, to + b";tag=already"))


def test_100_copies_timestamp() -> None:
    req = _request(OPTIONS.replace(b"CSeq", b"Timestamp: 54\r\nCSeq"))
    assert build_response(req, 100).headers.get("Timestamp") == "54"


def test_build_request_and_ids() -> None:
    rand = counter_random()
    via = Via("TLS", "sbc.example.com", 5061, {"branch": new_branch(rand), "rport": None})
    req = build_request(
        "OPTIONS",
        parse_uri("sip:sip.pstnhub.microsoft.com:5061;transport=tls"),
        from_addr=Address(parse_uri("sip:sbc.example.com"), params={"tag": new_tag(rand)}),
        to_addr=Address(parse_uri("sip:sip.pstnhub.microsoft.com")),
        call_id=new_call_id(rand, "sbc.example.com"),
        cseq=1,
        via=via,
        contact=Address(parse_uri("sip:sbc.example.com:5061;transport=tls")),
        headers=[("X-MS-SBC", "OpenSBC/0.1.0")],
    )
    assert req.top_via.branch == "z9hG4bK0102030405060708090a0b0c"
    assert req.from_addr.tag == "0d0e0f1011121314"
    assert req.call_id == "15161718191a1b1c1d1e1f2021222324@sbc.example.com"
    wire = req.to_bytes()
    assert parse_datagram(wire).to_bytes() == wire
    assert wire.startswith(b"OPTIONS sip:sip.pstnhub.microsoft.com:5061;transport=tls SIP/2.0\r\n")
    with pytest.raises(SipUsageError):
        build_request("OPTIONS", req.uri, from_addr=req.from_addr, to_addr=req.to_addr,
                      call_id="x", cseq=1, via=Via("UDP", "h", None, {"branch": "abc"}))
    with pytest.raises(SipUsageError):
        build_request("MESSAGE", req.uri, from_addr=req.from_addr, to_addr=req.to_addr,
                      call_id="x", cseq=1, via=via, body=b"hi")


def test_ack_and_cancel() -> None:
    route = b"Max-Forwards: 70\r\nRoute: <sip:p1;lr>"
    invite = _request(INVITE.replace(b"Max-Forwards: 70", route))
    resp = build_response(invite, 404, to_tag="t1")
    ack = build_ack(invite, resp)
    assert ack.method == "ACK" and ack.uri == invite.uri
    assert ack.headers.get_all("Via") == ["SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKinv1"]
    assert ack.headers.get("To") == resp.headers.get("To")
    assert str(ack.cseq) == "10 ACK" and ack.headers.get("Route") == "<sip:p1;lr>"
    cancel = build_cancel(invite)
    assert cancel.method == "CANCEL" and str(cancel.cseq) == "10 CANCEL"
    assert cancel.top_via.branch == "z9hG4bKinv1" and cancel.to_addr.tag is None
    assert cancel.headers.get("Route") == "<sip:p1;lr>"
    with pytest.raises(SipUsageError):
        build_cancel(ack)


def test_stamp_received_and_response_destination() -> None:
    req = _request(OPTIONS)  # Via 192.0.2.10:5060 with rport
    source = Endpoint("198.51.100.7", 40000, "udp")
    via = stamp_received(req, source)
    assert via.received == "198.51.100.7" and via.rport == 40000
    assert req.headers.get("Via") == (
        "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKabc123;rport=40000;received=198.51.100.7"
    )
    assert response_destination(req, source) == Endpoint("198.51.100.7", 40000, "udp")
    plain = _request(INVITE)  # no rport: the Via port is used, at the received address
    stamp_received(plain, Endpoint("198.51.100.7", 40000))
    assert response_destination(plain, Endpoint("198.51.100.7", 40000)) == Endpoint(
        "198.51.100.7", 5060, "udp"
    )
    same = _request(INVITE)
    stamp_received(same, Endpoint("192.0.2.10", 5060))
    assert same.top_via.received is None
    tcp = Endpoint("198.51.100.7", 40001, "tcp")
    assert response_destination(plain, tcp) is tcp and tcp.reliable
