"""Transfer to another Teams user, with the Refer-To Teams really sends: no user part,
only x-m/x-t (issue 11, item 1). The new INVITE takes Request-URI and To from the
Refer-To as given, passes Referred-By on and presents the PSTN caller; Teams' 200 is
ACKed and nothing fails over. A 200 whose To we cannot parse is still ACKed."""

from __future__ import annotations

from sbc.sip import Request, Response, SipUri, build_response, parse_address, parse_datagram
from sbc.transport import Peer

from .test_call_flow import CARRIER, TEAMS1, TEAMS2, Rig, invite, run, settle

PROXY = "sip.pstnhub.microsoft.com"
MRI = "8:orgid:7ee2d9d4-6b1b-4a1d-9e5a-5f8a4bcb6d0a"
TENANT = "af9b4f6a-1234-4e2b-9a57-3c1d2e3f4a5b"
TEAMS_USER = f"sip:{PROXY};user=phone;x-m={MRI};x-t={TENANT}"
REFERRED_BY = (f"<sip:+4930123456789@{PROXY};user=phone;x-m=8:orgid:11111111;"
               f"x-t={TENANT};x-ti=5d8a1e0c;x-tt=sip%3A%2B4930123456789%40{PROXY}>")
TEAMS_PEER = Peer(TEAMS1, 5061, "tls")


def withheld_invite() -> Request:
    """The carrier's caller withholds the number: anonymous From, the number in PAI."""
    raw = invite().to_bytes().replace(
        b"From: <sip:0301111111@127.0.0.2>;tag=ct",
        b'From: "Anonymous" <sip:anonymous@anonymous.invalid>;tag=ct\r\n'
        b"P-Asserted-Identity: <sip:0301111111@127.0.0.2;user=phone>\r\nPrivacy: id")
    message = parse_datagram(raw)
    assert isinstance(message, Request)
    return message


async def answered_call(rig: Rig, request: Request) -> Request:
    """The carrier's call, answered by Teams1; the INVITE Teams1 got."""
    rig.deliver(request, CARRIER)
    await settle()
    out = rig.wire.requests("INVITE", TEAMS1)[0]
    rig.answer(out, 200, TEAMS1)
    await settle()
    return out


def teams_refer(out: Request, refer_to: str) -> Request:
    text = (f"REFER sip:sbc.lab.test:5061;transport=tls SIP/2.0\r\n"
            f"Via: SIP/2.0/TLS {TEAMS1}:5061;branch=z9hG4bKref1\r\n"
            f"From: {out.headers.get('To')};tag=t1\r\nTo: {out.headers.get('From')}\r\n"
            f"Call-ID: {out.call_id}\r\nCSeq: 5 REFER\r\nMax-Forwards: 70\r\n"
            f"Contact: <sip:{PROXY}:5061;transport=tls>\r\n"
            f"Refer-To: <{refer_to}>\r\n"
            f"Referred-By: {REFERRED_BY}\r\n"
            "Content-Length: 0\r\n\r\n")
    refer = parse_datagram(text.encode())
    assert isinstance(refer, Request)
    return refer


async def transfer_invite(rig: Rig, out: Request, refer_to: str = TEAMS_USER) -> Request:
    """Teams1 sends REFER; the SBC's new INVITE to Teams1."""
    rig.deliver(teams_refer(out, refer_to), TEAMS_PEER)
    await settle()
    assert 202 in rig.wire.statuses(TEAMS1)
    rig.answer(rig.wire.requests("NOTIFY", TEAMS1)[0], 200, TEAMS1)
    await settle()
    invites = rig.wire.requests("INVITE", TEAMS1)
    assert len(invites) == 2, "the call itself, and now the transfer target"
    return invites[1]


def test_teams_user_target_without_user_part_is_called_as_microsoft_describes() -> None:
    async def flow(rig: Rig) -> None:
        out = await answered_call(rig, invite())
        new = await transfer_invite(rig, out)
        # Request-URI and To: the Refer-To URI as given, never "sip:@..."
        assert str(new.uri) == TEAMS_USER
        assert new.headers.get("To") == f"<{TEAMS_USER}>"
        wire = new.to_bytes()
        assert b"sip:@" not in wire and b":@" not in wire
        assert new.headers.get("Referred-By") == REFERRED_BY
        # the caller of the new call is the PSTN caller who stays, not the Teams user
        caller = new.from_addr.uri
        assert isinstance(caller, SipUri) and caller.user == "+49301111111"
        assert caller.host == "sbc.lab.test"
        contact = new.contacts[0].uri
        assert isinstance(contact, SipUri) and contact.user is None
        # Teams' 200 echoes that To; it is ACKed, and nothing goes to Teams2
        rig.answer(new, 200, TEAMS1, tag="t2")
        await settle(40)
        acks = [a for a in rig.wire.requests("ACK", TEAMS1) if a.call_id == new.call_id]
        assert len(acks) == 1
        assert acks[0].headers.get("To") == f"<{TEAMS_USER}>;tag=t2"
        assert rig.wire.requests("INVITE", TEAMS2) == []
        final = rig.wire.requests("NOTIFY", TEAMS1)[-1]
        assert final.body == b"SIP/2.0 200 OK\r\n"
        (call,) = rig.manager.calls.values()
        assert call.record.attempts[-1] == "transferred to Teams1"

    run(flow)


def test_transfer_of_a_withheld_caller_stays_withheld() -> None:
    async def flow(rig: Rig) -> None:
        out = await answered_call(rig, withheld_invite())
        new = await transfer_invite(rig, out)
        caller = new.from_addr.uri
        assert isinstance(caller, SipUri) and caller.user == "anonymous"
        assert new.headers.get("Privacy") == "id"
        for name, value in new.headers:
            assert "301111111" not in value, f"{name}: {value}"

    run(flow)


def test_referred_by_is_not_passed_to_the_carrier() -> None:
    async def flow(rig: Rig) -> None:
        # Teams called the PSTN: here Teams1 is leg a and refers to a phone number
        # (Teams -> Carrier), so the new INVITE goes to the carrier.
        out = await answered_call(rig, invite())
        rig.deliver(teams_refer(out, f"sip:+4930555000111@{PROXY};user=phone"), TEAMS_PEER)
        await settle()
        rig.answer(rig.wire.requests("NOTIFY", TEAMS1)[0], 200, TEAMS1)
        await settle()
        new = [r for r in rig.wire.requests("INVITE", "127.0.0.2")][-1]
        assert new.uri.user == "030555000111"  # type: ignore[union-attr]
        assert new.headers.get("Referred-By") is None

    run(flow)


def test_a_200_whose_to_we_cannot_parse_is_still_acked() -> None:
    """What Teams did: echo `To: <sip:@host;user=phone>`; only the tag matters to us."""
    async def flow(rig: Rig) -> None:
        rig.deliver(invite(), CARRIER)
        await settle()
        out = rig.wire.requests("INVITE", TEAMS1)[0]
        body = b"v=0\r\no=- 9 9 IN IP4 127.0.0.9\r\ns=-\r\nt=0 0\r\nm=audio 6000 RTP/SAVP 8\r\n"
        ok = build_response(out, 200, to_tag="t1", body=body, headers=[
            ("Content-Type", "application/sdp"),
            ("Contact", f"<sip:{TEAMS1}:5061;transport=tls>")])
        ok.headers.set("To", f"<sip:@{PROXY};user=phone>;tag=t1")
        rig.deliver(ok, TEAMS_PEER)
        await settle()
        (ack,) = rig.wire.requests("ACK", TEAMS1)
        assert ack.headers.get("To") == f"<sip:@{PROXY};user=phone>;tag=t1"  # as it came
        assert rig.wire.requests("INVITE", TEAMS2) == []
        assert rig.wire.statuses("127.0.0.2")[-1] == 200
        assert rig.manager.counters.answered == 1

    run(flow)


def test_a_response_to_without_a_tag_we_can_read_is_still_dropped() -> None:
    async def flow(rig: Rig) -> None:
        rig.deliver(invite(), CARRIER)
        await settle()
        out = rig.wire.requests("INVITE", TEAMS1)[0]
        ok: Response = build_response(out, 200, to_tag="t1")
        ok.headers.set("To", f"<sip:@{PROXY};user=phone>;tag=t 1")
        rig.deliver(ok, TEAMS_PEER)
        await settle()
        assert rig.wire.requests("ACK", TEAMS1) == []
        assert rig.engine.counters.malformed == 1

    run(flow)


def test_parse_address_stays_strict() -> None:
    import pytest
    from sbc.sip import SipPeerError

    with pytest.raises(SipPeerError):
        parse_address(f"<sip:@{PROXY};user=phone>")
