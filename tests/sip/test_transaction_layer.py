"""`TransactionLayer`: matching, retransmission absorption, CANCEL, RFC 2543 fallback."""

from __future__ import annotations

from pathlib import Path

import pytest
from sbc.sip import (
    Endpoint,
    Request,
    Response,
    SipUsageError,
    build_ack,
    build_cancel,
    build_response,
    parse_datagram,
)
from sbc.sip.client_transaction import ClientInviteTransaction
from sbc.sip.server_transaction import ServerTransaction
from sbc.sip.transaction import Deliver, Send, State, Terminated, Timeout
from sbc.sip.transaction_layer import TransactionLayer

from .clock import kinds, run
from .helpers import INVITE, OPTIONS, UDP, request

PEER = Endpoint("198.51.100.7", 40000, "udp")
DATA = Path(__file__).resolve().parent.parent / "data" / "rfc4475"


def _req(data: bytes) -> Request:
    msg = parse_datagram(data)
    assert isinstance(msg, Request)
    return msg


def _wire(message: Request | Response) -> Request | Response:
    """What the peer sees: the message after a trip through bytes."""
    return parse_datagram(message.to_bytes())


def test_client_matching_by_branch_and_method() -> None:
    layer = TransactionLayer()
    invite_tx, actions = layer.send_request(request("INVITE", "z9hG4bKa"), UDP, 0.0)
    assert actions == [Send(invite_tx.request, UDP)]
    options_tx, _ = layer.send_request(request("OPTIONS", "z9hG4bKb"), UDP, 0.0)
    ok = _wire(build_response(options_tx.request, 200, to_tag="x"))
    assert layer.receive(ok, UDP, 0.1)[0] == Deliver(ok, options_tx)
    ringing = _wire(build_response(invite_tx.request, 180, to_tag="y"))
    assert layer.receive(ringing, UDP, 0.1) == [Deliver(ringing, invite_tx)]
    # Same branch, other method (a CANCEL's 200) is another transaction.
    cancel_tx, _ = layer.cancel(invite_tx, 0.2)  # type: ignore[arg-type]
    cancel_ok = _wire(build_response(cancel_tx.request, 200, to_tag="y"))
    assert layer.receive(cancel_ok, UDP, 0.3)[0] == Deliver(cancel_ok, cancel_tx)
    terminated = _wire(build_response(invite_tx.request, 487, to_tag="y"))
    actions = layer.receive(terminated, UDP, 0.3)
    assert [type(a) for a in actions] == [Send, Deliver]  # the ACK, then the 487
    stray = _wire(build_response(request("INVITE", "z9hG4bKgone"), 200, to_tag="z"))
    assert layer.receive(stray, UDP, 0.4) == [Deliver(stray, None)]


def test_client_usage_errors() -> None:
    layer = TransactionLayer()
    tx, _ = layer.send_request(request("INVITE", "z9hG4bKc"), UDP, 0.0)
    with pytest.raises(SipUsageError):
        layer.send_request(request("INVITE", "z9hG4bKc"), UDP, 0.0)  # branch in use
    with pytest.raises(SipUsageError):
        layer.send_request(request("OPTIONS", "nocookie"), UDP, 0.0)
    ack = build_ack(tx.request, build_response(tx.request, 200, to_tag="t"))
    with pytest.raises(SipUsageError):
        layer.send_request(ack, UDP, 0.0)
    assert isinstance(tx, ClientInviteTransaction)
    with pytest.raises(SipUsageError):
        layer.cancel(tx, 0.1)  # no provisional response yet (§9.1)


def test_server_new_request_retransmission_and_response_destination() -> None:
    layer = TransactionLayer()
    options = _req(OPTIONS)  # Via 192.0.2.10:5060;rport
    actions = layer.receive(options, PEER, 0.0)
    assert len(actions) == 1 and isinstance(actions[0], Deliver)
    tx = actions[0].transaction
    assert isinstance(tx, ServerTransaction) and tx.peer == PEER  # rport: back to the source
    assert options.top_via.received == "198.51.100.7" and options.top_via.rport == 40000
    assert layer.receive(_req(OPTIONS), PEER, 0.3) == []  # retransmission absorbed
    ok = build_response(options, 200, to_tag="me")
    assert layer.send_response(tx, ok, 0.4) == [Send(ok, PEER)]
    assert "received=198.51.100.7" in (ok.headers.get("Via") or "")
    assert layer.receive(_req(OPTIONS), PEER, 0.5) == [Send(ok, PEER)]
    assert kinds(run(layer, 501, 40_000)) == [(32400, "Terminated")]
    assert layer.servers == {} and layer.next_timer() is None


def test_server_invite_ack_and_cancel() -> None:
    layer = TransactionLayer()
    invite = _req(INVITE)
    [deliver] = layer.receive(invite, PEER, 0.0)
    assert isinstance(deliver, Deliver) and isinstance(deliver.transaction, ServerTransaction)
    invite_tx = deliver.transaction
    assert [type(a) for _, a in run(layer, 1, 300)] == [Send]  # 100 Trying at 200 ms
    cancel = _wire(build_cancel(_req(INVITE)))
    assert isinstance(cancel, Request)
    [cancel_deliver] = layer.receive(cancel, PEER, 0.5)
    assert isinstance(cancel_deliver, Deliver) and cancel_deliver.cancels is invite_tx
    assert cancel_deliver.transaction is not invite_tx
    unknown = _wire(build_cancel(_req(INVITE.replace(b"z9hG4bKinv1", b"z9hG4bKother"))))
    [unmatched] = layer.receive(unknown, PEER, 0.5)
    assert isinstance(unmatched, Deliver) and unmatched.cancels is None  # TU answers 481
    terminated = build_response(invite, 487, to_tag="me")
    layer.send_response(invite_tx, terminated, 0.6)  # type: ignore[arg-type]
    ack = _wire(build_ack(_req(INVITE), terminated))
    assert layer.receive(ack, PEER, 0.7) == []  # absorbed by the INVITE transaction
    assert invite_tx.state is State.CONFIRMED
    ack_2xx = _req(INVITE.replace(b"INVITE sip", b"ACK sip").replace(b"10 INVITE", b"10 ACK")
                   .replace(b"z9hG4bKinv1", b"z9hG4bKack2"))
    assert layer.receive(ack_2xx, PEER, 0.8) == [Deliver(ack_2xx, None)]  # for the dialog


def test_timers_of_many_transactions_fire_in_order() -> None:
    layer = TransactionLayer()
    a, _ = layer.send_request(request("OPTIONS", "z9hG4bK1"), UDP, 0.0)
    b, _ = layer.send_request(request("OPTIONS", "z9hG4bK2"), UDP, 0.25)
    assert layer.next_timer() == 0.5
    events = run(layer, 1, 2000)
    assert [(ms, action.message is a.request) for ms, action in events] == [  # type: ignore[union-attr]
        (500, True), (750, False), (1500, True), (1750, False)
    ]
    layer.receive(_wire(build_response(a.request, 200, to_tag="t")), UDP, 2.0)
    assert layer.next_timer() == 3.75  # b's next retransmission
    events = run(layer, 2001, 40_000)
    assert (7000, "Terminated") in kinds(events)  # a: Timer K 5 s after its 200
    assert kinds(events)[-2:] == [(32250, "Timeout"), (32250, "Terminated")]
    assert layer.clients == {} and layer.next_timer() is None


def test_transport_error_through_the_layer() -> None:
    layer = TransactionLayer()
    tx, _ = layer.send_request(request("OPTIONS", "z9hG4bK9"), UDP, 0.0)
    actions = layer.transport_error(tx, 0.1)
    assert isinstance(actions[-1], Terminated) and layer.clients == {}
    assert layer.next_timer() is None


@pytest.mark.parametrize("name", ["badbranch.dat", "inv2543.dat"])
def test_rfc2543_matching(name: str) -> None:
    """RFC 4475 §3.2.1 / §3.4.1: no usable branch, so match the RFC 2543 way."""
    data = (DATA / name).read_bytes()
    layer = TransactionLayer()
    source = Endpoint("192.0.2.99", 5060, "udp")
    [first] = layer.receive(_req(data), source, 0.0)
    assert isinstance(first, Deliver) and first.transaction is not None
    tx = first.transaction
    assert isinstance(tx, ServerTransaction)
    run(layer, 1, 300)
    retransmission = layer.receive(_req(data), source, 0.4)
    if tx.request.method == "INVITE":  # the 100 Trying sent at 200 ms, again
        assert tx.provisional is not None and retransmission == [Send(tx.provisional, tx.peer)]
    else:
        assert retransmission == []
    final = build_response(tx.request, 486 if tx.request.method == "INVITE" else 200, to_tag="sbc")
    layer.send_response(tx, final, 0.5)
    assert layer.receive(_req(data), source, 0.6) == [Send(final, tx.peer)]
    if tx.request.method == "INVITE":
        ack = _wire(build_ack(_req(data), final))
        assert isinstance(ack, Request) and not ack.top_via.has_cookie
        assert layer.receive(ack, source, 0.7) == []
        assert tx.state is State.CONFIRMED
        other = _wire(build_ack(_req(data), build_response(_req(data), 486, to_tag="else")))
        assert layer.receive(other, source, 0.8) == [Deliver(other, None)]
    # A different request (other CSeq) is a new transaction.
    again = _req(data.replace(b"CSeq: 8 ", b"CSeq: 9 ").replace(b"CSeq: 56 ", b"CSeq: 57 "))
    assert isinstance(layer.receive(again, source, 1.0)[0], Deliver)
    assert isinstance(Timeout(tx), Timeout)
