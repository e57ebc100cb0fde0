from __future__ import annotations

import pytest
from sbc.sip import AbsoluteUri, SipPeerError, SipUri, TelUri, parse_uri, uri_equal


def test_full_sip_uri() -> None:
    uri = parse_uri(
        "sips:alice:secret@[2001:db8::1]:5061;transport=tls;lr;maddr=239.1.1.1"
        "?subject=hi%20there&priority=urgent"
    )
    assert isinstance(uri, SipUri)
    assert uri.scheme == "sips" and uri.secure
    assert (uri.user, uri.password) == ("alice", "secret")
    assert (uri.host, uri.port) == ("[2001:db8::1]", 5061)
    assert uri.params == {"transport": "tls", "lr": None, "maddr": "239.1.1.1"}
    assert uri.transport == "tls" and uri.lr and uri.maddr == "239.1.1.1"
    assert uri.headers == {"subject": "hi there", "priority": "urgent"}
    assert str(uri) == (
        "sips:alice:secret@[2001:db8::1]:5061;transport=tls;lr;maddr=239.1.1.1"
        "?subject=hi%20there&priority=urgent"
    )


def test_host_only_and_scheme_case() -> None:
    uri = parse_uri("SIP:Example.COM")
    assert isinstance(uri, SipUri)
    assert uri.scheme == "sip" and uri.host == "Example.COM" and uri.user is None
    assert str(uri) == "sip:Example.COM"


def test_user_part_with_reserved_characters() -> None:
    # RFC 4475 §3.1.1.2: '?' ';' '/' ',' are user-unreserved; the password holds '&' '='.
    text = (
        "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too."
        "(doesn't-it)@example.com"
    )
    uri = parse_uri(text)
    assert isinstance(uri, SipUri)
    assert uri.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
    assert uri.password == "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"
    assert uri.host == "example.com"
    assert str(uri) == text


def test_escapes_are_resolved_and_restored() -> None:
    uri = parse_uri("sip:sips%3Auser%40example.com@example.net")
    assert isinstance(uri, SipUri)
    assert uri.user == "sips:user@example.com"
    assert str(uri) == "sip:sips%3Auser%40example.com@example.net"
    nul = parse_uri("sip:null-%00-null@example.com")
    assert isinstance(nul, SipUri) and nul.user == "null-\x00-null"
    assert str(nul) == "sip:null-%00-null@example.com"
    params = parse_uri("sip:cal%6Cer@h;%6C%72;n%61me=v%61lue%25%34%31")
    assert isinstance(params, SipUri)
    assert params.user == "caller" and params.params == {"lr": None, "name": "value%41"}


def test_tel_and_other_schemes() -> None:
    tel = parse_uri("tel:+49-30-1234;phone-context=example.com")
    assert isinstance(tel, TelUri)
    assert tel.number == "+49-30-1234" and tel.params == {"phone-context": "example.com"}
    assert str(tel) == "tel:+49-30-1234;phone-context=example.com"
    other = parse_uri("isbn:2983792873")
    assert isinstance(other, AbsoluteUri) and str(other) == "isbn:2983792873"
    assert parse_uri("soap.beep://192.0.2.103:3002").scheme == "soap.beep"


@pytest.mark.parametrize(
    "text",
    [
        "<sip:user@example.com>",
        " sip:user@example.com",
        "sip:user@example.com; lr",
        "sip:user@exa mple.com",
        "sip:a@b@c",
        "sip:user@host:99999",
        "sip:user@host:port",
        "sip:us%zzer@host",
        "sip:@host",
        "sip:user@",
        "sip:user@[::1",
        "sip:user@host?novalue",
        "sip:user@host;p=a b",
        "tel:xyz;x",
        "nocolon",
        "",
    ],
)
def test_malformed_uris_are_peer_errors(text: str) -> None:
    with pytest.raises(SipPeerError) as info:
        parse_uri(text)
    assert info.value.status == 400


def test_uri_equality_rfc3261_examples() -> None:
    # RFC 3261 §19.1.4: equivalent pairs.
    same = [
        ("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"),
        ("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"),
        ("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;newparam=5"),
        ("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
         "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"),
        ("sip:alice@atlanta.com?subject=project%20x&priority=urgent",
         "sip:alice@atlanta.com?priority=urgent&subject=project%20x"),
    ]
    for a, b in same:
        assert uri_equal(parse_uri(a), parse_uri(b)), (a, b)
    different = [
        ("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"),
        ("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"),
        ("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"),
        ("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"),
        ("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"),
        ("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"),
        ("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"),
        ("sip:a@b", "sips:a@b"),
    ]
    for a, b in different:
        assert not uri_equal(parse_uri(a), parse_uri(b)), (a, b)
    assert uri_equal(parse_uri("tel:+1-201-555-0123"), parse_uri("tel:+12015550123"))
    assert not uri_equal(parse_uri("tel:+1"), parse_uri("sip:+1@h"))


def test_copy_is_independent() -> None:
    uri = parse_uri("sip:a@b;lr")
    assert isinstance(uri, SipUri)
    other = uri.copy(port=5070)
    other.params["transport"] = "tcp"
    assert str(uri) == "sip:a@b;lr" and str(other) == "sip:a@b:5070;lr;transport=tcp"
    assert uri.hostport() == "b" and other.hostport() == "b:5070"
