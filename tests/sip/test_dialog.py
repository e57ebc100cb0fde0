"""Dialogs: creation on both sides, routing, CSeq, target refresh, the 2xx-until-ACK duty."""

from __future__ import annotations

import pytest
from sbc.sip import (
    Address,
    Endpoint,
    Request,
    Response,
    SipPeerError,
    SipUri,
    SipUsageError,
    Via,
    build_request,
    build_response,
    new_branch,
    parse_address,
    parse_datagram,
    parse_uri,
)
from sbc.sip.dialog import AckTimeout, Dialog, DialogId, DialogState, PendingAck
from sbc.sip.transaction import Send, TimerConfig

from .clock import kinds, run
from .helpers import counter_random

RAND = counter_random()


def via(host: str = "sbc.example.com") -> Via:
    return Via("TLS", host, 5061, {"branch": new_branch(RAND)})


def wire(message: Request | Response) -> Request | Response:
    return parse_datagram(message.to_bytes())


def invite() -> Request:
    req = build_request(
        "INVITE",
        parse_uri("sip:+4930123@sip.example.net"),
        from_addr=Address(parse_uri("sip:alice@sbc.example.com"), "Alice", {"tag": "a1"}),
        to_addr=Address(parse_uri("sip:+4930123@sip.example.net")),
        call_id="dlg-1",
        cseq=101,
        via=via(),
        contact=parse_address("<sip:alice@sbc.example.com:5061;transport=tls>"),
        headers=[("Proxy-Authorization", 'Digest username="a"')],
    )
    received = wire(req)
    assert isinstance(received, Request)
    received.headers.add("Record-Route", "<sip:p1.example.net;lr>")
    received.headers.add("Record-Route", "<sip:p2.example.net;lr>")
    return received


def answer(req: Request, status: int, contact: str = "<sip:bob@192.0.2.50:5060>") -> Response:
    resp = build_response(req, status, to_tag="b1", headers=[("Contact", contact)])
    for value in req.headers.get_all("Record-Route"):
        resp.headers.add("Record-Route", value)
    out = wire(resp)
    assert isinstance(out, Response)
    return out


def test_uac_dialog_from_1xx_then_2xx() -> None:
    req = invite()
    early = Dialog.from_uac(req, answer(req, 180))
    assert early.state is DialogState.EARLY
    assert early.id == DialogId("dlg-1", "a1", "b1")
    assert [str(r.uri) for r in early.route_set] == [
        "sip:p2.example.net;lr", "sip:p1.example.net;lr"
    ]
    ok = answer(req, 200, "<sip:bob@192.0.2.51:5060>")
    early.receive_response(req, ok)
    assert early.state is DialogState.CONFIRMED
    assert str(early.remote_target) == "sip:bob@192.0.2.51:5060"
    assert DialogId.of_response(ok) == early.id
    assert early.local_cseq == 101 and early.remote_cseq is None
    assert str(early.next_hop()) == "sip:p2.example.net;lr"


def test_uac_in_dialog_requests_and_ack() -> None:
    req = invite()
    ok = answer(req, 200)
    dialog = Dialog.from_uac(req, ok)
    ack = dialog.create_ack(req, via())
    assert ack.method == "ACK" and str(ack.cseq) == "101 ACK"
    assert str(ack.uri) == "sip:bob@192.0.2.50:5060"
    assert ack.headers.get_all("Route") == ["<sip:p2.example.net;lr>", "<sip:p1.example.net;lr>"]
    assert ack.headers.get("Proxy-Authorization") == 'Digest username="a"'
    assert ack.top_via.branch != req.top_via.branch
    bye = dialog.create_request("BYE", via())
    assert str(bye.cseq) == "102 BYE" and dialog.local_cseq == 102
    assert bye.from_addr.tag == "a1" and bye.to_addr.tag == "b1"
    assert bye.from_addr.display_name == "Alice" and bye.call_id == "dlg-1"
    assert "Contact" not in bye.headers
    sdp = b"v=0\r\n"
    reinvite = dialog.create_request("INVITE", via(), body=sdp, content_type="application/sdp")
    assert str(reinvite.cseq) == "103 INVITE"
    assert reinvite.headers.get("Contact") == "<sip:alice@sbc.example.com:5061;transport=tls>"
    assert parse_datagram(reinvite.to_bytes()).body == b"v=0\r\n"
    with pytest.raises(SipUsageError):
        dialog.create_request("ACK", via())
    with pytest.raises(SipUsageError):
        dialog.create_request("BYE", Via("TLS", "h", None, {"branch": "old"}))
    dialog.terminate()
    with pytest.raises(SipUsageError):
        dialog.create_request("BYE", via())


def test_uas_dialog_and_both_ends_agree() -> None:
    req = invite()  # as it reaches Bob, after the proxies added Record-Route
    ok = answer(req, 200)
    bob = Dialog.from_uas(req, ok, local_contact=parse_address("<sip:bob@192.0.2.50:5060>"))
    alice = Dialog.from_uac(req, ok)
    assert bob.id == DialogId("dlg-1", "b1", "a1") and bob.remote_cseq == 101
    assert [str(r.uri) for r in bob.route_set] == ["sip:p1.example.net;lr", "sip:p2.example.net;lr"]
    assert str(bob.remote_target) == "sip:alice@sbc.example.com:5061;transport=tls"
    # Alice's BYE finds Bob's dialog, and Bob's finds Alice's.
    from_alice = wire(alice.create_request("BYE", via()))
    assert isinstance(from_alice, Request) and DialogId.of_request(from_alice) == bob.id
    bob.receive_request(from_alice)
    assert bob.remote_cseq == 102
    from_bob = wire(bob.create_request("BYE", via("192.0.2.50")))
    assert isinstance(from_bob, Request) and DialogId.of_request(from_bob) == alice.id
    assert str(from_bob.cseq) == "1 BYE"
    assert from_bob.headers.get_all("Route") == [
        "<sip:p1.example.net;lr>", "<sip:p2.example.net;lr>"
    ]
    assert str(from_bob.uri) == "sip:alice@sbc.example.com:5061;transport=tls"


def test_uas_checks() -> None:
    req = invite()
    no_contact = wire(req)
    assert isinstance(no_contact, Request)
    no_contact.headers.remove("Contact")
    with pytest.raises(SipPeerError) as info:
        Dialog.from_uas(no_contact, answer(req, 200))
    assert info.value.status == 400
    with pytest.raises(SipUsageError):
        Dialog.from_uas(req, answer(req, 486))
    dialog = Dialog.from_uas(req, answer(req, 200))
    old = wire(req)
    assert isinstance(old, Request)
    old.headers.set("CSeq", "100 INFO")
    old.method = "INFO"
    with pytest.raises(SipPeerError) as info:
        dialog.receive_request(old)
    assert info.value.status == 500
    refresh = wire(req)
    assert isinstance(refresh, Request)
    refresh.headers.set("CSeq", "102 INVITE")
    refresh.headers.set("Contact", "<sip:alice@198.51.100.9:5061;transport=tls>")
    dialog.receive_request(refresh)
    assert str(dialog.remote_target) == "sip:alice@198.51.100.9:5061;transport=tls"


def test_strict_route_goes_in_the_request_uri() -> None:
    req = invite()
    req.headers.remove("Record-Route")
    req.headers.add("Record-Route", "<sip:strict.example.net;method=INVITE?x=y>")
    req.headers.add("Record-Route", "<sip:p2.example.net;lr>")
    dialog = Dialog.from_uas(req, answer(req, 200))
    bye = dialog.create_request("BYE", via())
    assert isinstance(bye.uri, SipUri) and str(bye.uri) == "sip:strict.example.net"
    assert bye.headers.get_all("Route") == [
        "<sip:p2.example.net;lr>", "<sip:alice@sbc.example.com:5061;transport=tls>"
    ]


def test_no_route_set_and_missing_tags() -> None:
    req = invite()
    req.headers.remove("Record-Route")
    ok = answer(req, 200)
    dialog = Dialog.from_uac(req, ok)
    bye = dialog.create_request("BYE", via())
    assert "Route" not in bye.headers and str(bye.uri) == "sip:bob@192.0.2.50:5060"
    untagged = wire(build_response(req, 200, headers=[("Contact", "<sip:b@h>")]))
    assert isinstance(untagged, Response)
    with pytest.raises(SipPeerError):
        Dialog.from_uac(req, untagged)
    no_contact = wire(build_response(req, 200, to_tag="b"))
    assert isinstance(no_contact, Response)
    with pytest.raises(SipPeerError) as info:
        Dialog.from_uac(req, no_contact)
    assert info.value.status is None
    ringing = wire(build_response(req, 180, to_tag="b"))  # early, no Contact: tolerated
    assert isinstance(ringing, Response)
    assert Dialog.from_uac(req, ringing).remote_target == req.uri


def test_pending_ack_retransmits_2xx_until_ack_or_64_t1() -> None:
    req = invite()
    ok = answer(req, 200)
    dest = Endpoint("192.0.2.10", 5060, "udp")
    pending = PendingAck(ok, dest, TimerConfig(), 0.0)
    events = run(pending, 1, 40_000)
    assert [ms for ms, a in events if isinstance(a, Send)] == [
        500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500
    ]
    assert kinds(events)[-1] == (32000, "AckTimeout") and events[-1][1] == AckTimeout(ok)
    acked = PendingAck(ok, dest, TimerConfig(), 0.0)
    run(acked, 1, 2000)
    acked.ack_received()
    assert acked.next_timer() is None and run(acked, 2001, 40_000) == []
    tcp = PendingAck(ok, Endpoint("192.0.2.10", 5060, "tcp"), TimerConfig(), 0.0)
    assert kinds(run(tcp, 1, 40_000)) == [(32000, "AckTimeout")]
