"""A withheld number (issue 11, item 3; RFC 3323 §4-5, RFC 3325 §5/§7): it leaves the
SBC only in the identity header the target's profile names (the carrier here: pai),
next to `Privacy: id`. Every header of every message sent to either side is checked,
both ways: carrier -> Teams and Teams -> carrier, from INVITE to BYE."""

from __future__ import annotations

from sbc.sip import Request, Response, SipUri, parse_datagram
from sbc.transport import Peer

from .test_call_flow import CARRIER, TEAMS1, Rig, run, settle
from .test_transfer_teams_user import answered_call, withheld_invite

CARRIER_HOST = "127.0.0.2"
TEAMS_PEER = Peer(TEAMS1, 5061, "tls")
# The caller's number without country code or national prefix: found in any format
# (+49301111111, 0301111111, 49301111111) and in any header.
CARRIER_CALLER = "301111111"
TEAMS_CALLER = "30123456789"
SDP = b"v=0\r\no=- 4 4 IN IP4 127.0.0.3\r\ns=-\r\nt=0 0\r\nm=audio 6200 RTP/SAVP 8\r\n"


def sent_to(rig: Rig, host: str) -> list[Request | Response]:
    return [message for message, dest in rig.wire.sent if dest.host == host]


def leaks(message: Request | Response, digits: str, allowed: frozenset[str],
          own_target: bool) -> list[str]:
    """The header lines (and Request-URI) of `message` holding `digits`, outside `allowed`.
    `own_target`: in-dialog requests go to the Contact the peer itself sent (RFC 3261
    §12.2.1.1), which may hold its own number; that Request-URI is not checked."""
    found = [f"{name}: {value}" for name, value in message.headers
             if digits in value and name.lower() not in allowed]
    if isinstance(message, Request) and digits in str(message.uri):
        if not (own_target and message.to_addr.tag is not None):
            found.append(f"Request-URI {message.uri}")
    return found


def assert_withheld(messages: list[Request | Response], digits: str,
                    allowed: frozenset[str] = frozenset(), *,
                    own_target: bool = False) -> None:
    assert messages
    for message in messages:
        assert not leaks(message, digits, allowed, own_target), message.to_bytes().decode()
        for contact in message.contacts:
            assert not isinstance(contact.uri, SipUri) or contact.uri.user is None \
                or digits not in contact.uri.user
        if any(name.lower() in allowed for name, _ in message.headers):
            assert message.headers.get("Privacy") == "id", message.to_bytes().decode()


def test_carrier_caller_withheld_reaches_teams_without_the_number() -> None:
    async def flow(rig: Rig) -> None:
        out = await answered_call(rig, withheld_invite())
        assert out.from_addr.uri.user == "anonymous"  # type: ignore[union-attr]
        assert out.headers.get("Privacy") == "id"  # marked, though Teams gets no PAI
        assert out.contacts[0].uri.user is None  # type: ignore[union-attr]
        # Teams re-INVITEs (hold) and hangs up: both go on to the carrier and back
        reinvite = parse_datagram((
            f"INVITE sip:sbc.lab.test:5061;transport=tls SIP/2.0\r\n"
            f"Via: SIP/2.0/TLS {TEAMS1}:5061;branch=z9hG4bKre1\r\n"
            f"From: {out.headers.get('To')};tag=t1\r\nTo: {out.headers.get('From')}\r\n"
            f"Call-ID: {out.call_id}\r\nCSeq: 2 INVITE\r\nMax-Forwards: 70\r\n"
            f"Contact: <sip:{TEAMS1}:5061;transport=tls>\r\n"
            "Content-Type: application/sdp\r\n"
            f"Content-Length: {len(SDP)}\r\n\r\n").encode() + SDP)
        assert isinstance(reinvite, Request)
        rig.deliver(reinvite, TEAMS_PEER)
        await settle()
        to_carrier = rig.wire.requests("INVITE", CARRIER_HOST)[-1]
        rig.answer(to_carrier, 200, CARRIER_HOST, tag="x")
        await settle(40)
        assert rig.wire.statuses(TEAMS1)[-1] == 200
        bye = parse_datagram(reinvite.to_bytes().replace(b"INVITE sip:", b"BYE sip:", 1)
                             .replace(b"CSeq: 2 INVITE", b"CSeq: 3 BYE")
                             .replace(b"branch=z9hG4bKre1", b"branch=z9hG4bKbye1"))
        assert isinstance(bye, Request)
        bye.body = b""
        bye.headers.remove("Content-Type")
        rig.deliver(bye, TEAMS_PEER)
        await settle()
        assert rig.wire.requests("BYE", CARRIER_HOST)
        assert_withheld(sent_to(rig, TEAMS1), CARRIER_CALLER)
        # back to the carrier: its own number only in the Request-URI taken from its Contact
        assert_withheld(sent_to(rig, CARRIER_HOST), CARRIER_CALLER, own_target=True)

    run(flow)


def teams_withheld_invite() -> Request:
    """Teams with ForwardPAI: anonymous From, the Teams user's number in PAI, Privacy."""
    text = (f"INVITE sip:+4930987654321@sbc.lab.test:5061;user=phone;transport=tls SIP/2.0\r\n"
            f"Via: SIP/2.0/TLS {TEAMS1}:5061;branch=z9hG4bKtw1\r\n"
            "Max-Forwards: 70\r\n"
            'From: "Anonymous" <sip:anonymous@anonymous.invalid>;tag=tw\r\n'
            "To: <sip:+4930987654321@sbc.lab.test;user=phone>\r\n"
            "P-Asserted-Identity: <sip:+4930123456789@sip.pstnhub.microsoft.com;user=phone>\r\n"
            "Privacy: id\r\n"
            "Call-ID: tw1@teams\r\nCSeq: 1 INVITE\r\n"
            f"Contact: <sip:{TEAMS1}:5061;transport=tls>\r\n"
            "Content-Type: application/sdp\r\n"
            f"Content-Length: {len(SDP)}\r\n\r\n").encode() + SDP
    message = parse_datagram(text)
    assert isinstance(message, Request)
    return message


def test_teams_caller_withheld_reaches_the_carrier_only_in_pai_with_privacy() -> None:
    async def flow(rig: Rig) -> None:
        rig.deliver(teams_withheld_invite(), TEAMS_PEER)
        await settle()
        out = rig.wire.requests("INVITE", CARRIER_HOST)[0]
        assert out.from_addr.uri.user == "anonymous"  # type: ignore[union-attr]
        assert out.headers.get("P-Asserted-Identity") == (
            "<sip:030123456789@127.0.0.2;user=phone>")  # the carrier is trusted (pai)
        assert out.headers.get("Privacy") == "id"
        rig.answer(out, 180, CARRIER_HOST, tag="c1")
        rig.answer(out, 200, CARRIER_HOST, tag="c1")
        await settle()
        assert rig.wire.statuses(TEAMS1)[-1] == 200
        ok = [m for m in sent_to(rig, TEAMS1) if isinstance(m, Response)][-1]
        assert ok.contacts[0].uri.user == "+4930987654321"  # type: ignore[union-attr]
        bye = parse_datagram((
            f"BYE sip:sbc.lab.test:5060 SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {CARRIER_HOST}:5080;branch=z9hG4bKcb1\r\n"
            f"From: {out.headers.get('To')};tag=c1\r\nTo: {out.headers.get('From')}\r\n"
            f"Call-ID: {out.call_id}\r\nCSeq: 7 BYE\r\nMax-Forwards: 70\r\n"
            "Content-Length: 0\r\n\r\n").encode())
        assert isinstance(bye, Request)
        rig.deliver(bye, CARRIER)
        await settle()
        assert rig.wire.requests("BYE", TEAMS1)
        assert_withheld(sent_to(rig, CARRIER_HOST), TEAMS_CALLER,
                        frozenset({"p-asserted-identity"}))
        assert_withheld(sent_to(rig, TEAMS1), TEAMS_CALLER)

    run(flow)


def test_a_caller_who_shows_the_number_is_not_marked_and_not_in_contact() -> None:
    from .test_call_flow import invite

    async def flow(rig: Rig) -> None:
        out = await answered_call(rig, invite())
        assert out.from_addr.uri.user == "+49301111111"  # type: ignore[union-attr]
        assert out.headers.get("Privacy") is None
        assert out.contacts[0].uri.user is None  # type: ignore[union-attr]

    run(flow)
