"""REFER from Teams: Refer-To targets (E.164, x-m/x-t, long values, embedded Replaces),
Referred-By, Refer-Sub and the NOTIFY pieces; and a fuzz invariant for the parsers."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sbc.b2bua.refer import (
    MAX_HEADER,
    Replaces,
    accept_headers,
    notify_headers,
    parse_refer_to,
    parse_referred_by,
    parse_replaces,
    refer_sub_wanted,
    refer_target,
    sipfrag,
)
from sbc.sip import Request, SipPeerError, SipUri, error_response, parse_datagram

PROXY = "sip.pstnhub.microsoft.com"
MRI = "8:orgid:7ee2d9d4-6b1b-4a1d-9e5a-5f8a4bcb6d0a"
TENANT = "af9b4f6a-1234-4e2b-9a57-3c1d2e3f4a5b"
CORRELATION = "5d8a1e0c-4f7b-49b1-8c2d-0e6f9a3b7c11"
# x-tt: the transfer target's call URI, escaped inside the parameter
TARGET_URI = "sip%3A%2B4930123456%40sip.pstnhub.microsoft.com%3Buser%3Dphone"
TEAMS_USER = f"<sip:{PROXY};x-m={MRI};x-t={TENANT}>"
TEAMS_LONG = (f"<sip:{PROXY}:5061;transport=tls;x-m={MRI};x-t={TENANT};x-ti={CORRELATION};"
              f"x-tt={TARGET_URI};x-tc=8:orgid:{'0' * 40};x-ts={'a1b2c3d4' * 16}>")
REFERRED_BY = (f"<sip:{PROXY};x-m=8:orgid:11111111-2222-3333-4444-555555555555;x-t={TENANT};"
               f"x-ti={CORRELATION};x-tt={TARGET_URI}>")


def crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode()


def teams_refer(*refer_to: str, extra: str = "") -> Request:
    lines = "".join(f"Refer-To: {value}\n" for value in refer_to)
    message = parse_datagram(crlf(
        "REFER sip:+4930111@sbc.example.com:5061;transport=tls SIP/2.0\n"
        "Via: SIP/2.0/TLS 52.114.75.24:5061;branch=z9hG4bKrefer1\n"
        "Max-Forwards: 70\n"
        f"From: <sip:+4930123456@{PROXY};user=phone>;tag=teams1\n"
        "To: <sip:+4930111@sbc.example.com;user=phone>;tag=sbc1\n"
        "Call-ID: 0123456789abcdef@52.114.75.24\n"
        "CSeq: 3 REFER\n"
        f"Contact: <sip:{PROXY}:5061;transport=tls>\n"
        f"{lines}"
        f"Referred-By: {REFERRED_BY}\n"
        f"{extra}"
        "Content-Length: 0\n\n"))
    assert isinstance(message, Request)
    return message


def test_e164_target_on_the_proxy() -> None:
    target = parse_refer_to(f"<sip:+4930123456@{PROXY};user=phone>")
    assert isinstance(target.uri, SipUri)
    assert (target.uri.host, target.uri.user) == (PROXY, "+4930123456")
    assert target.number == "+4930123456"
    assert target.teams_params == {} and target.replaces is None and target.headers == {}
    assert str(target.uri) == f"sip:+4930123456@{PROXY};user=phone"


def test_teams_user_target_keeps_x_parameters() -> None:
    target = parse_refer_to(TEAMS_USER)
    assert target.number is None
    assert target.teams_params == {"x-m": MRI, "x-t": TENANT}
    assert str(target.uri) == TEAMS_USER[1:-1]  # goes back to Teams as it came


def test_teams_refer_to_of_400_characters_and_more() -> None:
    assert len(TEAMS_LONG) > 400
    target = parse_refer_to(TEAMS_LONG)
    assert list(target.teams_params) == ["x-m", "x-t", "x-ti", "x-tt", "x-tc", "x-ts"]
    assert target.teams_params["x-tt"] == f"sip:+4930123456@{PROXY};user=phone"
    assert target.uri.transport == "tls" and target.uri.port == 5061
    # escaped again on the way out, so the header still parses the same
    assert parse_refer_to(f"<{target.uri}>").teams_params == target.teams_params


def test_a_refer_to_beyond_any_sensible_length_is_refused() -> None:
    value = f"<sip:{PROXY};x-m={MRI};x-pad={'a' * MAX_HEADER}>"
    with pytest.raises(SipPeerError) as caught:
        parse_refer_to(value)
    assert caught.value.status == 400 and "too long" in caught.value.reason


@pytest.mark.parametrize("value, number", [
    ("<sip:+4930123456@sbc.example.com>", "+4930123456"),
    ("sip:+4930123456@sbc.example.com", "+4930123456"),  # addr-spec
    ("<sip:030123456@10.0.0.1;user=phone>", "030123456"),
    ("<sip:+49-30-123(456)@x.example;user=phone>", "+4930123456"),
    ("<sip:+4930123456;phone-context=+49@x.example;user=phone>", "+4930123456"),
    ('"Reception" <sip:+4930100@x.example;user=phone>;method=INVITE', "+4930100"),
    ("<sips:+4930123456@x.example>", "+4930123456"),
    ("<sip:alice@x.example>", None),
    ("<sip:+49abc@x.example;user=phone>", None),
    ("<sip:x.example>", None),
])
def test_number_of_the_user_part(value: str, number: str | None) -> None:
    assert parse_refer_to(value).number == number


def test_embedded_replaces_as_rfc3891_escapes_it() -> None:
    # RFC 3891 §7 (attended transfer): the Replaces header escaped inside Refer-To
    target = parse_refer_to("<sips:bob@example.com?Replaces=12345%40192.168.118.3%3B"
                            "to-tag%3D12345%3Bfrom-tag%3D5FFE-3994>")
    assert target.replaces == Replaces("12345@192.168.118.3", "12345", "5FFE-3994", False)
    assert target.headers == {}


def test_embedded_replaces_early_only_and_other_headers() -> None:
    target = parse_refer_to(
        f"<sip:+4930999@{PROXY};user=phone?Require=replaces&replaces=abc%40h%3B"
        "from-tag%3Df1%3Bto-tag%3Dt1%3Bearly-only&Accept-Contact=*%3Bx-a>")
    assert target.replaces == Replaces("abc@h", "t1", "f1", True)
    assert target.headers == {"Require": "replaces", "Accept-Contact": "*;x-a"}
    assert target.number == "+4930999"


@pytest.mark.parametrize("value", [
    "",
    "nonsense",
    "<tel:+4930123456>",  # not a SIP URI: nothing to send an INVITE to
    "<mailto:a@example.com>",
    "sip:+4930123@x.example?Replaces=a",  # headers need <>
    f"<sip:{PROXY}?Replaces=abc%40h%3Bto-tag%3Dt1>",  # no from-tag
    f"<sip:{PROXY}?Replaces=%3Bto-tag%3Dt1%3Bfrom-tag%3Df1>",  # no Call-ID
    "<sip:+4930123@x.example",
])
def test_unusable_refer_to_is_400(value: str) -> None:
    with pytest.raises(SipPeerError) as caught:
        parse_refer_to(value)
    assert caught.value.status == 400 and caught.value.reason


@pytest.mark.parametrize("value, expected", [
    ("425928@bobster.example.org;to-tag=7743;from-tag=6472",
     Replaces("425928@bobster.example.org", "7743", "6472", False)),
    ("98732@sip.example.com ;from-tag = r33th4x0r ;to-tag=ff87ff;early-only",
     Replaces("98732@sip.example.com", "ff87ff", "r33th4x0r", True)),
    ("abc;to-tag=1;from-tag=2;x-extra=yes", Replaces("abc", "1", "2", False)),
])
def test_parse_replaces(value: str, expected: Replaces) -> None:
    assert parse_replaces(value) == expected


@pytest.mark.parametrize("value", [
    "abc", "abc;to-tag=1", "abc;from-tag=2", "a b;to-tag=1;from-tag=2",
    'abc;to-tag="1";from-tag=2', "abc;to-tag=1;from-tag=2;;", "",
])
def test_bad_replaces_is_400(value: str) -> None:
    with pytest.raises(SipPeerError) as caught:
        parse_replaces(value)
    assert caught.value.status == 400


def test_a_whole_teams_refer() -> None:
    request = teams_refer(TEAMS_LONG)
    target = refer_target(request)
    assert target.teams_params["x-m"] == MRI
    referred_by = parse_referred_by(request.headers.get("Referred-By") or "")
    assert isinstance(referred_by.uri, SipUri)
    assert referred_by.uri.params["x-ti"] == CORRELATION
    assert referred_by.uri.params["x-tt"] == f"sip:+4930123456@{PROXY};user=phone"
    assert refer_sub_wanted(request) and accept_headers(request) == []


def test_compact_refer_to_and_referred_by() -> None:
    message = parse_datagram(crlf(
        "REFER sip:sbc.example.com SIP/2.0\n"
        "v: SIP/2.0/TLS 52.114.75.24:5061;branch=z9hG4bKc1\n"
        f"f: <sip:{PROXY}>;tag=a\nt: <sip:sbc.example.com>;tag=b\ni: c1\nCSeq: 4 REFER\n"
        f"r: <sip:+4930222@{PROXY};user=phone>\nb: {REFERRED_BY}\nl: 0\n\n"))
    assert isinstance(message, Request)
    assert refer_target(message).number == "+4930222"
    assert parse_referred_by(message.headers.get("Referred-By") or "").uri


@pytest.mark.parametrize("refer_to", [(), (TEAMS_USER, TEAMS_USER), ("<tel:+4930>",)])
def test_refer_without_exactly_one_usable_refer_to_is_answered_400(
        refer_to: tuple[str, ...]) -> None:
    request = teams_refer(*refer_to)
    with pytest.raises(SipPeerError) as caught:
        refer_target(request)
    answer = error_response(caught.value, to_tag="sbc1")
    assert answer is not None and answer.status == 400
    assert answer.call_id == "0123456789abcdef@52.114.75.24"


def test_referred_by_too_long_or_malformed() -> None:
    for value in ("<sip:x.example;x-m=" + "a" * MAX_HEADER + ">", "<sip:x.example"):
        with pytest.raises(SipPeerError):
            parse_referred_by(value)


@pytest.mark.parametrize("status, reason, body", [
    (100, None, b"SIP/2.0 100 Trying\r\n"),
    (180, None, b"SIP/2.0 180 Ringing\r\n"),
    (200, None, b"SIP/2.0 200 OK\r\n"),
    (486, "Busy Here", b"SIP/2.0 486 Busy Here\r\n"),
    (503, "Down\r\nX-Injected: 1", b"SIP/2.0 503 Down X-Injected: 1\r\n"),
    (603, "Abgelehnt \u00e4", "SIP/2.0 603 Abgelehnt \u00e4\r\n".encode()),
])
def test_sipfrag(status: int, reason: str | None, body: bytes) -> None:
    assert sipfrag(status, reason) == body


def test_notify_headers() -> None:
    sipfrag_type = ("Content-Type", "message/sipfrag;version=2.0")
    assert notify_headers(False) == [
        ("Event", "refer"), ("Subscription-State", "active;expires=60"), sipfrag_type]
    assert notify_headers(False, 120) == [
        ("Event", "refer"), ("Subscription-State", "active;expires=120"), sipfrag_type]
    assert notify_headers(True) == [
        ("Event", "refer"), ("Subscription-State", "terminated;reason=noresource"),
        sipfrag_type]
    assert notify_headers(True, event_id=7)[0] == ("Event", "refer;id=7")


@pytest.mark.parametrize("header, wanted", [
    (None, True), ("true", True), ("false", False), ("FALSE", False),
    (" false ;x=1", False), ("maybe", True),
])
def test_refer_sub(header: str | None, wanted: bool) -> None:
    extra = "" if header is None else f"Refer-Sub: {header}\nRequire: norefersub\n"
    request = teams_refer(TEAMS_USER, extra=extra)
    assert refer_sub_wanted(request) is wanted
    assert accept_headers(request) == ([] if wanted else [("Refer-Sub", "false")])


FUZZ = settings(max_examples=int(os.environ.get("SIP_FUZZ_EXAMPLES", "400")),
                deadline=None, suppress_health_check=[HealthCheck.too_slow])
ALPHABET = "aZ09+ \t:;,<>\"\\@=?%/.-_&*!~'()[]#$\x00\u00e9"
PIECES = ["<", ">", "sip:", "sips:", "tel:", "+4930", "@", PROXY, ";user=phone", ";x-m=",
          MRI, "?Replaces=", "%3B", "to-tag%3D", "from-tag%3D", "&", "=", "%40", "%", ";"]


@FUZZ
@given(st.lists(st.sampled_from(PIECES) | st.text(ALPHABET, max_size=8), max_size=14))
def test_fuzz_refer_to_parses_or_is_a_peer_error(pieces: list[str]) -> None:
    for parse in (parse_refer_to, parse_replaces, parse_referred_by):
        try:
            parse("".join(pieces))
        except SipPeerError as err:
            assert err.status == 400
