"""multipart/mixed bodies (RFC 2046 §5.1, RFC 5621): Teams' emergency INVITE carries SDP
and a PIDF-LO location (RFC 6442). Split, rewritten and joined without touching the other
parts; malformed bodies are the peer's error (400), bounded in parts and headers; any
bytes parse or raise `SipPeerError`."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sbc.sip import (
    MediaType,
    Request,
    SipPeerError,
    parse_datagram,
    parse_multipart,
    validate_request,
)
from sbc.sip.fields import parse_media_type
from sbc.sip.multipart import MAX_PARTS, BodyPart, build_multipart

SDP = (b"v=0\r\no=- 1 1 IN IP4 192.0.2.3\r\ns=-\r\nc=IN IP4 192.0.2.3\r\nt=0 0\r\n"
       b"m=audio 6000 RTP/SAVP 8\r\n")
PIDF = (b'<?xml version="1.0" encoding="UTF-8"?>\r\n'
        b'<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:alice@contoso.com">\r\n'
        b"<tuple id=\"t1\"><status><geopriv><location-info><civicAddress>"
        b"<country>DE</country><A3>Berlin</A3><RD>Unter den Linden</RD><HNO>1</HNO>"
        b"</civicAddress></location-info></geopriv></status></tuple></presence>\r\n")
CTYPE = 'multipart/mixed;boundary="boundary-1"'
BODY = (b"--boundary-1\r\nContent-Type: application/sdp\r\n\r\n" + SDP
        + b"\r\n--boundary-1\r\nContent-Type: application/pidf+xml\r\n"
          b"Content-ID: <loc1@teams.microsoft.com>\r\n\r\n" + PIDF
        + b"\r\n--boundary-1--\r\n")


def mixed(boundary: str = "boundary-1") -> MediaType:
    return parse_media_type(f'multipart/mixed;boundary="{boundary}"')


def invite(body: bytes, ctype: str = CTYPE) -> Request:
    text = (
        "INVITE sip:112@sbc.example.com;user=phone SIP/2.0\r\n"
        "Via: SIP/2.0/TLS 52.114.1.1:5061;branch=z9hG4bKe1\r\n"
        "Max-Forwards: 70\r\nFrom: <sip:+4930123@sip.pstnhub.microsoft.com>;tag=f\r\n"
        "To: <sip:112@sbc.example.com>\r\nCall-ID: e1\r\nCSeq: 1 INVITE\r\n"
        "Geolocation: <cid:loc1@teams.microsoft.com>\r\nGeolocation-Routing: no\r\n"
        f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    message = parse_datagram(text)
    assert isinstance(message, Request)
    return message


def test_teams_emergency_body_splits_into_sdp_and_location() -> None:
    body = parse_multipart(BODY, mixed())
    assert [p.content_type.essence for p in body.parts] == ["application/sdp",
                                                             "application/pidf+xml"]
    assert body.parts[0].body == SDP and body.parts[1].body == PIDF
    assert body.parts[1].content_id == "loc1@teams.microsoft.com"
    assert body.index("application/sdp") == 0 and body.index("text/plain") is None


def test_round_trip_keeps_every_part_and_rewrites_only_the_sdp() -> None:
    body = parse_multipart(BODY, mixed())
    assert body.to_bytes() == BODY
    new_sdp = b"v=0\r\no=- 2 2 IN IP4 198.51.100.1\r\ns=-\r\nt=0 0\r\nm=audio 30000 RTP/AVP 8\r\n"
    out = body.with_body(0, new_sdp)
    again = parse_multipart(out.to_bytes(), parse_media_type(out.content_type))
    assert again.parts[0].body == new_sdp
    assert again.parts[1] == body.parts[1]  # headers and octets as they came


def test_preamble_epilogue_padding_bare_lf_and_a_part_without_headers() -> None:
    text = (b"preamble text\r\n--b \t\r\n\r\nhello\r\n--b\nContent-Type: application/sdp\n\n"
            + SDP + b"\n--b--  \r\nepilogue")
    body = parse_multipart(text, mixed("b"))
    assert body.parts[0].headers == () and body.parts[0].body == b"hello"
    assert body.parts[0].content_type.essence == "text/plain"  # RFC 2046 default
    assert body.parts[1].body == SDP


def test_folded_part_header() -> None:
    text = b"--b\r\nContent-Type: application/pidf+xml;\r\n charset=utf-8\r\n\r\nx\r\n--b--"
    part = parse_multipart(text, mixed("b")).parts[0]
    assert part.content_type.essence == "application/pidf+xml"


@pytest.mark.parametrize("body, ctype, reason", [
    (BODY, "multipart/mixed", "without a boundary"),
    (BODY, 'multipart/mixed;boundary="' + "x" * 71 + '"', "bad multipart boundary"),
    (BODY, 'multipart/mixed;boundary="ends-in-space "', "bad multipart boundary"),
    (b"no boundary here", CTYPE, "without its boundary"),
    (b"--boundary-1\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n", CTYPE,
     "without its closing boundary"),
    (b"--boundary-1--\r\n", CTYPE, "without a part"),
    (b"--boundary-1junk\r\n\r\nx\r\n--boundary-1--", CTYPE, "not followed by a line end"),
    (b"--boundary-1\r\nnot a header\r\n\r\nx\r\n--boundary-1--", CTYPE, "malformed body part"),
    (b"--boundary-1\r\nContent-Type: sdp\r\n\r\nx\r\n--boundary-1--", CTYPE, "media type"),
    (b"--boundary-1\r\n" + b"X-A: 1\r\n" * 17 + b"\r\nx\r\n--boundary-1--", CTYPE,
     "more than 16 headers"),
    (b"".join(b"--boundary-1\r\n\r\nx\r\n" for _ in range(MAX_PARTS + 1)) + b"--boundary-1--",
     CTYPE, f"more than {MAX_PARTS} parts"),
])
def test_malformed_bodies_are_400_with_a_reason(body: bytes, ctype: str, reason: str) -> None:
    with pytest.raises(SipPeerError) as info:
        parse_multipart(body, parse_media_type(ctype))
    assert info.value.status == 400 and reason in info.value.reason


def test_build_multipart_quotes_its_boundary() -> None:
    body = build_multipart([BodyPart((("Content-Type", "application/sdp"),), SDP)], "a b")
    assert body.content_type == 'multipart/mixed;boundary="a b"'
    assert parse_multipart(body.to_bytes(), parse_media_type(body.content_type)) == body


def test_validate_takes_a_multipart_invite_with_an_sdp_part() -> None:
    validate_request(invite(BODY))


def test_validate_refuses_a_multipart_without_sdp_with_415_and_accept() -> None:
    only_pidf = (b"--boundary-1\r\nContent-Type: application/pidf+xml\r\n\r\n" + PIDF
                 + b"\r\n--boundary-1--\r\n")
    with pytest.raises(SipPeerError) as info:
        validate_request(invite(only_pidf))
    assert info.value.status == 415
    assert ("Accept", "application/sdp") in info.value.response_headers


def test_validate_answers_a_malformed_multipart_with_400() -> None:
    with pytest.raises(SipPeerError) as info:
        validate_request(invite(BODY[:-20]))
    assert info.value.status == 400 and "closing boundary" in info.value.reason


def test_other_multipart_subtypes_are_still_415() -> None:
    with pytest.raises(SipPeerError) as info:
        validate_request(invite(BODY, 'multipart/alternative;boundary="boundary-1"'))
    assert info.value.status == 415


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.sampled_from(["b", "boundary-1", "x y"]))
def test_any_bytes_parse_or_raise_the_peer_error(data: bytes, boundary: str) -> None:
    for body in (data, b"--" + boundary.encode() + b"\r\n" + data):
        try:
            parsed = parse_multipart(body, mixed(boundary))
        except SipPeerError as err:
            assert err.status == 400
        else:
            assert 1 <= len(parsed.parts) <= MAX_PARTS
            parse_multipart(parsed.to_bytes(), parse_media_type(parsed.content_type))
