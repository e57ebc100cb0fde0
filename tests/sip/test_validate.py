from __future__ import annotations

import pytest
from sbc.sip import (
    Request,
    Response,
    ServerPolicy,
    SipPeerError,
    error_response,
    parse_datagram,
    validate_request,
    validate_response,
)

from .helpers import INVITE, OPTIONS, crlf


def _request(data: bytes) -> Request:
    msg = parse_datagram(data)
    assert isinstance(msg, Request)
    return msg


def _refusal(data: bytes, policy: ServerPolicy | None = None, for_us: bool = False) -> SipPeerError:
    with pytest.raises(SipPeerError) as info:
        validate_request(_request(data), policy or ServerPolicy(), for_us=for_us)
    return info.value


def test_good_requests_pass() -> None:
    validate_request(_request(OPTIONS))
    validate_request(_request(INVITE))
    validate_request(_request(OPTIONS.replace(b"Max-Forwards: 70\r\n", b"")))  # tolerated


def test_max_forwards_zero_unless_for_us() -> None:
    zero = OPTIONS.replace(b"Max-Forwards: 70", b"Max-Forwards: 0")
    assert _refusal(zero).status == 483
    validate_request(_request(zero), for_us=True)


def test_method_not_allowed_lists_allow() -> None:
    err = _refusal(OPTIONS.replace(b"OPTIONS", b"SUBSCRIBE"))
    assert err.status == 405
    allow = dict(err.response_headers)["Allow"]
    assert "INVITE" in allow and "SUBSCRIBE" not in allow
    validate_request(
        _request(OPTIONS.replace(b"OPTIONS", b"SUBSCRIBE")),
        ServerPolicy(allowed_methods=frozenset({"SUBSCRIBE"})),
    )


def test_content_checks() -> None:
    encoded = INVITE.replace(b"Content-Type", b"Content-Encoding: gzip\r\nContent-Type")
    err = _refusal(encoded)
    assert err.status == 415 and ("Accept-Encoding", "identity") in err.response_headers
    no_type = INVITE.replace(b"Content-Type: application/sdp\r\n", b"")
    assert _refusal(no_type).status == 415
    ok_accept = INVITE.replace(b"CSeq", b"Accept: application/*, text/plain\r\nCSeq")
    validate_request(_request(ok_accept))
    # OPTIONS bodies are not ours to read: no 415.
    validate_request(_request(OPTIONS.replace(b"Content-Length: 0", b"Content-Type: x/y")))


def test_supported_extensions_pass_and_others_fail() -> None:
    validate_request(_request(OPTIONS.replace(b"CSeq", b"Require: timer\r\nCSeq")))
    err = _refusal(OPTIONS.replace(b"CSeq", b"Require: timer, foo\r\nProxy-Require: bar\r\nCSeq"))
    assert err.status == 420 and dict(err.response_headers)["Unsupported"] == "foo, bar"
    relaxed = ServerPolicy(check_proxy_require=False)
    validate_request(_request(OPTIONS.replace(b"CSeq", b"Proxy-Require: bar\r\nCSeq")), relaxed)


def test_ack_failures_are_drops() -> None:
    ack = OPTIONS.replace(b"OPTIONS", b"ACK").replace(b"Max-Forwards: 70", b"Max-Forwards: 0")
    err = _refusal(ack)
    assert err.status is None and error_response(err) is None


def test_error_response_builds_the_answer() -> None:
    err = _refusal(OPTIONS.replace(b"CSeq", b"Require: foo\r\nCSeq"))
    resp = error_response(err, to_tag="z1")
    assert isinstance(resp, Response)
    assert resp.status == 420 and resp.headers.get("Unsupported") == "foo"
    assert resp.to_addr.tag == "z1" and resp.headers.get("CSeq") == "1 OPTIONS"
    wire = resp.to_bytes()
    assert wire.startswith(b"SIP/2.0 420 Bad Extension\r\n")
    assert error_response(SipPeerError(400, "x")) is None  # nothing to copy from


def test_validate_response() -> None:
    ok = crlf(
        "SIP/2.0 200 OK\n"
        "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
        "From: <sip:a@b>;tag=1\nTo: <sip:c@d>;tag=2\nCall-ID: x\nCSeq: 1 OPTIONS\n\n"
    )
    resp = parse_datagram(ok)
    assert isinstance(resp, Response)
    validate_response(resp)
    two_vias = ok.replace(b"Via:", b"Via: SIP/2.0/UDP p;branch=z9hG4bK0\r\nVia:")
    two = parse_datagram(two_vias)
    assert isinstance(two, Response)
    with pytest.raises(SipPeerError) as info:
        validate_response(two)
    assert info.value.status is None
    validate_response(two, uac=False)
    for bad in (ok.replace(b"Call-ID: x\r\n", b""), ok.replace(b"CSeq: 1", b"CSeq: x")):
        resp = parse_datagram(bad)
        assert isinstance(resp, Response)
        with pytest.raises(SipPeerError) as info:
            validate_response(resp)
        assert info.value.status is None
