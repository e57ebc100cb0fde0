from __future__ import annotations

import pytest
from sbc.sip import CSeq, SipPeerError, Via, parse_cseq, parse_via
from sbc.sip.fields import is_broadcast_host, parse_call_id, parse_media_type, parse_uint


def test_via_with_lws_everywhere() -> None:
    via = parse_via("SIP  /    2.0   / UDP  192.168.255.111   ; branch= z9hG4bK30239")
    assert (via.protocol, via.version, via.transport) == ("SIP", "2.0", "UDP")
    assert via.host == "192.168.255.111" and via.port is None
    assert via.branch == "z9hG4bK30239" and via.has_cookie
    assert str(via) == "SIP/2.0/UDP 192.168.255.111;branch=z9hG4bK30239"


def test_via_params_received_rport_ipv6() -> None:
    via = parse_via(
        "SIP/2.0/tcp [2001:db8::9]:5070;branch=z9hG4bKx;received=2001:db8::1;rport=5071"
    )
    assert via.transport == "TCP" and via.host == "[2001:db8::9]" and via.port == 5070
    assert via.received == "2001:db8::1" and via.rport == 5071
    flag = parse_via("SIP/2.0/UDP h;rport;branch=z9hG4bKy")
    assert flag.rport is None and "rport" in flag.params
    assert flag.sent_by() == "h"


def test_branch_cookie() -> None:
    assert not parse_via("SIP/2.0/UDP h;branch=z9hG4bK").has_cookie
    assert not parse_via("SIP/2.0/UDP h;branch=390skdjuw").has_cookie
    assert not parse_via("SIP/2.0/UDP h").has_cookie
    assert Via("UDP", "h", 5060, {"branch": "z9hG4bK1"}).has_cookie


@pytest.mark.parametrize(
    "text",
    [
        "SIP/2.0/UDP 192.0.2.15;;",
        "SIP/2.0/UDP",
        "SIP/2.0 UDP host",
        "SIP/2.0/UDP host:70000",
        "SIP/2.0/UDP host;branch",
        "SIP/2.0/UDP host;rport=abc",
        "SIP/2.0/UDP host junk",
        "",
    ],
)
def test_bad_vias(text: str) -> None:
    with pytest.raises(SipPeerError):
        parse_via(text)


def test_cseq() -> None:
    assert parse_cseq("0009\t INVITE") == CSeq(9, "INVITE")
    assert str(CSeq(1, "OPTIONS")) == "1 OPTIONS"
    assert parse_cseq(f"{2**31 - 1} BYE").number == 2**31 - 1
    for bad in ("36893488147419103232 REGISTER", f"{2**31} BYE", "1", "INVITE 1", "-1 BYE"):
        with pytest.raises(SipPeerError):
            parse_cseq(bad)


def test_scalars_and_call_id() -> None:
    assert parse_uint(" 0068 ", "Max-Forwards", 255) == 68
    for bad in ("300", "-1", "1.5", "", "१"):
        with pytest.raises(SipPeerError):
            parse_uint(bad, "Max-Forwards", 255)
    assert parse_call_id("intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{")
    for bad in ("", "a b", "a@b@c"):
        with pytest.raises(SipPeerError):
            parse_call_id(bad)


def test_media_types() -> None:
    ct = parse_media_type("multipart/mixed;boundary=7a9cbec02ceef655")
    assert ct.essence == "multipart/mixed" and ct.params == (("boundary", "7a9cbec02ceef655"),)
    assert parse_media_type("*/*").matches("application/sdp")
    assert parse_media_type("Application/*").matches("application/sdp")
    assert not parse_media_type("text/nobodyKnowsThis").matches("application/sdp")
    with pytest.raises(SipPeerError):
        parse_media_type("sdp")


def test_broadcast_hosts() -> None:
    assert is_broadcast_host("255.255.255.255")
    assert is_broadcast_host("224.0.0.1") and is_broadcast_host("[ff02::1]")
    assert not is_broadcast_host("192.0.2.1") and not is_broadcast_host("example.com")
