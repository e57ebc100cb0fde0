"""Emergency calls with location (issue 11, item 2) through the engine and the B2BUA.

Teams sends 112 with a multipart/mixed body (SDP + PIDF-LO, RFC 6442) and Geolocation
headers. The SDP part goes through the media relay; the carrier gets the whole multipart
with the relay's SDP and both headers (`location: pass`) or the plain SDP without them
(`drop`), and a 415 to the multipart is answered with the plain SDP. No limit refuses
an emergency call (calls.max_calls, 503 back-off), the trunk number is presented, and
the call is logged at WARNING and marked in its CDR."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import pytest
from sbc.sip import Request, Response, parse_datagram, parse_multipart
from sbc.transport import Peer

from .test_call_flow import CONFIG, TEAMS1, Rig, invite, settle
from .test_call_flow import run as run_flow

CARRIER_HOST = "127.0.0.2"
TEAMS_PEER = Peer(TEAMS1, 5061, "tls")
RELAY_SDP = b"v=0\r\no=- 2 2 IN IP4 192.0.2.10\r\ns=-\r\nt=0 0\r\nm=audio 30000 RTP/SAVP 8\r\n"
TEAMS_SDP = (b"v=0\r\no=- 5 5 IN IP4 52.114.1.1\r\ns=-\r\nc=IN IP4 52.114.1.1\r\nt=0 0\r\n"
             b"m=audio 50000 RTP/SAVP 8\r\n")
PIDF = (b'<?xml version="1.0" encoding="UTF-8"?>\r\n<presence xmlns="urn:ietf:params:xml:ns:pidf"'
        b' entity="pres:+4930123456789@contoso.com"><tuple id="t1"><status><geopriv>'
        b"<location-info><civicAddress><country>DE</country><A3>Berlin</A3></civicAddress>"
        b"</location-info></geopriv></status></tuple></presence>\r\n")
BODY = (b"--teams-boundary\r\nContent-Type: application/sdp\r\n\r\n" + TEAMS_SDP
        + b"\r\n--teams-boundary\r\nContent-Type: application/pidf+xml\r\n"
          b"Content-ID: <loc-1@teams>\r\n\r\n" + PIDF + b"\r\n--teams-boundary--\r\n")
GEOLOCATION = "<cid:loc-1@teams>"


def config_text(location: str = "pass", max_calls: int = 10) -> str:
    return CONFIG.replace("MAXCALLS", str(max_calls)).replace(
        "    allowlist: [127.0.0.2/32]\n",
        "    allowlist: [127.0.0.2/32]\n"
        f"    location: {location}\n"
        '    trunk_number: "+49301234500"\n', 1)


def run(test: Callable[[Rig], Awaitable[None]], *, location: str = "pass",
        max_calls: int = 10) -> None:
    run_flow(test, config_text=config_text(location, max_calls))


def emergency_invite(body: bytes = BODY, *, number: str = "112", withheld: bool = False,
                     call_id: str = "em1@teams") -> Request:
    caller = ('"Anonymous" <sip:anonymous@anonymous.invalid>;tag=te\r\n'
              "P-Asserted-Identity: <sip:+4930123456789@sip.pstnhub.microsoft.com;user=phone>"
              "\r\nPrivacy: id" if withheld
              else "<sip:+4930123456789@sip.pstnhub.microsoft.com;user=phone>;tag=te")
    text = (f"INVITE sip:{number}@sbc.lab.test:5061;user=phone;transport=tls SIP/2.0\r\n"
            f"Via: SIP/2.0/TLS {TEAMS1}:5061;branch=z9hG4bK{call_id.split('@')[0]}\r\n"
            "Max-Forwards: 70\r\n"
            f"From: {caller}\r\n"
            f"To: <sip:{number}@sbc.lab.test;user=phone>\r\n"
            f"Call-ID: {call_id}\r\nCSeq: 1 INVITE\r\n"
            f"Contact: <sip:{TEAMS1}:5061;transport=tls>\r\n"
            f"Geolocation: {GEOLOCATION}\r\nGeolocation-Routing: no\r\n"
            "Accept: application/sdp, application/pidf+xml\r\n"
            'Content-Type: multipart/mixed;boundary="teams-boundary"\r\n'
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    message = parse_datagram(text)
    assert isinstance(message, Request)
    return message


async def answer_from_carrier(rig: Rig, out: Request) -> None:
    rig.answer(out, 200, CARRIER_HOST, tag="cx")
    await settle(40)


def test_pass_sends_the_multipart_with_the_relays_sdp_and_the_geolocation_headers(
        caplog: pytest.LogCaptureFixture) -> None:
    async def flow(rig: Rig) -> None:
        rig.deliver(emergency_invite(), TEAMS_PEER)
        await settle()
        (out,) = rig.wire.requests("INVITE", CARRIER_HOST)
        assert out.uri.user == "112"  # type: ignore[union-attr]
        assert out.headers.get("Geolocation") == GEOLOCATION
        assert out.headers.get("Geolocation-Routing") == "no"
        ctype = out.content_type
        assert ctype is not None and ctype.essence == "multipart/mixed"
        body = parse_multipart(out.body, ctype)
        assert body.parts[0].body == RELAY_SDP  # rewritten by the relay
        assert body.parts[1].body == PIDF  # kept byte for byte
        assert body.parts[1].content_id == "loc-1@teams"  # the cid: still finds it
        # the trunk number as identity (national format), the caller's number in From
        assert out.headers.get("P-Asserted-Identity") == "<sip:0301234500@127.0.0.2;user=phone>"
        assert out.from_addr.uri.user == "030123456789"  # type: ignore[union-attr]
        await answer_from_carrier(rig, out)
        ok = [m for m, d in rig.wire.sent if isinstance(m, Response) and m.status == 200
              and d.host == TEAMS1]
        assert ok and ok[0].content_type.essence == "application/sdp"  # type: ignore[union-attr]
        (call,) = rig.manager.calls.values()
        assert call.record.emergency == "112" and call.record.location == "passed"

    with caplog.at_level(logging.INFO):
        run(flow)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("EMERGENCY call to 112" in w and "location present" in w
               and "application/pidf+xml" in w for w in warnings), warnings


def test_drop_sends_the_plain_sdp_without_geolocation() -> None:
    async def flow(rig: Rig) -> None:
        rig.deliver(emergency_invite(), TEAMS_PEER)
        await settle()
        (out,) = rig.wire.requests("INVITE", CARRIER_HOST)
        assert out.headers.get("Content-Type") == "application/sdp"
        assert out.body == RELAY_SDP
        assert "Geolocation" not in out.headers
        assert "Geolocation-Routing" not in out.headers
        (call,) = rig.manager.calls.values()
        assert call.record.location == "dropped"

    run(flow, location="drop")


def test_the_sdp_part_is_what_the_relay_gets() -> None:
    offers: list[bytes | None] = []

    async def flow(rig: Rig) -> None:
        session_of = rig.relay.session

        def recording(call_id: str, profiles: dict) -> object:  # type: ignore[type-arg]
            session = session_of(call_id, profiles)
            offer = session.offer

            async def spy(sdp: bytes | None, *, by: str, to: str) -> bytes:
                offers.append(sdp)
                return await offer(sdp, by=by, to=to)

            session.offer = spy  # type: ignore[method-assign]
            return session

        rig.relay.session = recording  # type: ignore[method-assign]
        rig.deliver(emergency_invite(), TEAMS_PEER)
        await settle()

    run(flow)
    assert offers == [TEAMS_SDP]


def test_a_415_to_the_multipart_is_answered_with_the_plain_sdp() -> None:
    async def flow(rig: Rig) -> None:
        rig.deliver(emergency_invite(), TEAMS_PEER)
        await settle()
        first = rig.wire.requests("INVITE", CARRIER_HOST)[0]
        rig.answer(first, 415, CARRIER_HOST, headers=(("Accept", "application/sdp"),))
        await settle()
        second = rig.wire.requests("INVITE", CARRIER_HOST)[1]
        assert second.call_id == first.call_id and second.cseq.number == first.cseq.number + 1
        assert second.body == RELAY_SDP and "Geolocation" not in second.headers
        await answer_from_carrier(rig, second)
        assert rig.wire.statuses(TEAMS1)[-1] == 200
        (call,) = rig.manager.calls.values()
        assert call.record.location == "refused"

    run(flow)


def test_an_emergency_call_is_taken_over_max_calls(caplog: pytest.LogCaptureFixture) -> None:
    async def flow(rig: Rig) -> None:
        from .test_call_flow import CARRIER

        rig.deliver(invite(), CARRIER)  # an ordinary call fills calls.max_calls (1)
        await settle()
        rig.deliver(emergency_invite(), TEAMS_PEER)
        await settle()
        assert len(rig.wire.requests("INVITE", CARRIER_HOST)) == 1  # the emergency call
        assert 503 not in rig.wire.statuses(TEAMS1)
        rig.deliver(invite("z9hG4bKc3", "c3@127.0.0.2"), CARRIER)  # another ordinary one
        await settle()
        assert rig.wire.statuses(CARRIER_HOST)[-1] == 503
        assert len(rig.manager.calls) == 2

    with caplog.at_level(logging.WARNING):
        run(flow, max_calls=1)
    assert any("taken over calls.max_calls" in r.getMessage() for r in caplog.records)


def test_an_emergency_call_tries_a_carrier_that_is_backing_off() -> None:
    async def flow(rig: Rig) -> None:
        rig.manager.backoff.note("Carrier", 600, asyncio.get_running_loop().time())
        rig.deliver(emergency_invite(), TEAMS_PEER)
        await settle()
        assert len(rig.wire.requests("INVITE", CARRIER_HOST)) == 1
        # an ordinary call to the same carrier is still refused
        ordinary = parse_datagram(emergency_invite(number="+4930999999", call_id="o1@teams")
                                  .to_bytes())
        rig.deliver(ordinary, TEAMS_PEER)  # type: ignore[arg-type]
        await settle()
        assert len(rig.wire.requests("INVITE", CARRIER_HOST)) == 1
        assert 503 in rig.wire.statuses(TEAMS1)

    run(flow)


def test_withheld_emergency_caller_anonymous_in_from_trunk_number_in_pai() -> None:
    async def flow(rig: Rig) -> None:
        rig.deliver(emergency_invite(withheld=True, number="+112"), TEAMS_PEER)
        await settle()
        (out,) = rig.wire.requests("INVITE", CARRIER_HOST)
        assert out.uri.user == "112"  # type: ignore[union-attr]
        assert out.from_addr.uri.user == "anonymous"  # type: ignore[union-attr]
        assert out.headers.get("P-Asserted-Identity") == "<sip:0301234500@127.0.0.2;user=phone>"
        assert out.headers.get("Privacy") == "id"
        # no header carries the caller's number (the PIDF-LO body may: it is for the
        # emergency centre, and withholding does not apply to emergency calls)
        assert not [v for _, v in out.headers if "30123456789" in v]

    run(flow)


def test_the_cdr_line_marks_the_emergency_call(caplog: pytest.LogCaptureFixture) -> None:
    async def flow(rig: Rig) -> None:
        rig.deliver(emergency_invite(), TEAMS_PEER)
        await settle()
        out = rig.wire.requests("INVITE", CARRIER_HOST)[0]
        rig.answer(out, 486, CARRIER_HOST)
        await settle()

    with caplog.at_level(logging.INFO, logger="sbc.cdr"):
        run(flow, location="drop")
    lines = [r.getMessage() for r in caplog.records if r.name == "sbc.cdr"]
    assert lines and lines[-1].endswith("emergency=112 location=dropped")


def test_a_malformed_multipart_gets_400_and_no_call() -> None:
    async def flow(rig: Rig) -> None:
        rig.deliver(emergency_invite(BODY[:-22]), TEAMS_PEER)
        await settle()
        assert rig.wire.statuses(TEAMS1) == [400]
        assert rig.wire.requests("INVITE", CARRIER_HOST) == []
        assert rig.manager.calls == {}

    run(flow)


def test_an_ordinary_number_with_a_multipart_is_no_emergency() -> None:
    async def flow(rig: Rig) -> None:
        rig.deliver(emergency_invite(number="+4930999999", call_id="o2@teams"), TEAMS_PEER)
        await settle()
        (out,) = rig.wire.requests("INVITE", CARRIER_HOST)
        assert out.headers.get("P-Asserted-Identity") == (
            "<sip:030123456789@127.0.0.2;user=phone>")  # the caller's own number
        (call,) = rig.manager.calls.values()
        assert call.record.emergency is None

    run(flow)
