"""RFC 3261 §17 state machines, timers checked to the millisecond."""

from __future__ import annotations

import pytest
from sbc.sip import (
    Request,
    SipUsageError,
    build_response,
)
from sbc.sip.client_transaction import ClientInviteTransaction, ClientNonInviteTransaction
from sbc.sip.server_transaction import ServerInviteTransaction, ServerNonInviteTransaction
from sbc.sip.transaction import (
    Deliver,
    Send,
    State,
    Terminated,
    Timeout,
    TimerConfig,
    TransportError,
)

from .clock import kinds, run
from .helpers import TCP, UDP, request

CONFIG = TimerConfig()


def sends(events: list) -> list[int]:  # type: ignore[type-arg]
    return [ms for ms, action in events if isinstance(action, Send)]


# ---- client non-INVITE ------------------------------------------------------------


def test_non_invite_client_timer_e_doubles_to_t2_and_f_times_out() -> None:
    tx = ClientNonInviteTransaction(request(), UDP, CONFIG)
    assert [type(a) for a in tx.start(0.0)] == [Send]
    assert tx.state is State.TRYING and tx.timers() == {"E": 0.5, "F": 32.0}
    events = run(tx, 1, 40_000)
    assert sends(events) == [500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]
    assert kinds(events)[-2:] == [(32000, "Timeout"), (32000, "Terminated")]
    assert tx.state is State.TERMINATED and tx.next_timer() is None


def test_non_invite_client_proceeding_retransmits_every_t2() -> None:
    tx = ClientNonInviteTransaction(request(), UDP, CONFIG)
    tx.start(0.0)
    run(tx, 1, 600)  # one retransmission at 500
    actions = tx.receive_response(build_response(tx.request, 100), 0.6)
    assert tx.state is State.PROCEEDING and isinstance(actions[0], Deliver)
    events = run(tx, 601, 33_000)
    # Timer E was set to 1 s when it fired at 500 ms; in Proceeding it becomes T2.
    assert sends(events) == [1500, 5500, 9500, 13500, 17500, 21500, 25500, 29500]
    assert kinds(events)[-2:] == [(32000, "Timeout"), (32000, "Terminated")]


def test_non_invite_client_completed_absorbs_then_k() -> None:
    tx = ClientNonInviteTransaction(request(), UDP, CONFIG)
    tx.start(0.0)
    ok = build_response(tx.request, 200, to_tag="tt")
    actions = tx.receive_response(ok, 0.25)
    assert actions == [Deliver(ok, tx)] and tx.state is State.COMPLETED
    assert tx.timers() == {"K": 5.25}
    assert tx.receive_response(ok, 1.0) == []  # retransmission absorbed
    assert kinds(run(tx, 251, 10_000)) == [(5250, "Terminated")]


def test_non_invite_client_on_tcp_has_no_retransmissions() -> None:
    tx = ClientNonInviteTransaction(request(), TCP, CONFIG)
    tx.start(0.0)
    assert tx.timers() == {"F": 32.0}
    actions = tx.receive_response(build_response(tx.request, 404, to_tag="x"), 1.0)
    assert [type(a) for a in actions] == [Deliver, Terminated]
    tx2 = ClientNonInviteTransaction(request(), TCP, CONFIG)
    tx2.start(0.0)
    assert kinds(run(tx2, 1, 40_000)) == [(32000, "Timeout"), (32000, "Terminated")]


def test_custom_t1_t2() -> None:
    tx = ClientNonInviteTransaction(request(), UDP, TimerConfig(t1=0.1, t2=0.4))
    tx.start(0.0)
    events = run(tx, 1, 7_000)
    assert sends(events)[:6] == [100, 300, 700, 1100, 1500, 1900]
    assert kinds(events)[-2:] == [(6400, "Timeout"), (6400, "Terminated")]


# ---- client INVITE ----------------------------------------------------------------


def test_invite_client_timer_a_doubles_without_cap_and_b_times_out() -> None:
    tx = ClientInviteTransaction(request("INVITE"), UDP, CONFIG)
    tx.start(0.0)
    assert tx.state is State.CALLING and tx.timers() == {"A": 0.5, "B": 32.0}
    events = run(tx, 1, 40_000)
    assert sends(events) == [500, 1500, 3500, 7500, 15500, 31500]
    assert kinds(events)[-2:] == [(32000, "Timeout"), (32000, "Terminated")]


def test_invite_client_proceeding_stops_retransmitting_and_waits() -> None:
    tx = ClientInviteTransaction(request("INVITE"), UDP, CONFIG)
    tx.start(0.0)
    ringing = build_response(tx.request, 180, to_tag="callee")
    assert tx.receive_response(ringing, 0.2) == [Deliver(ringing, tx)]
    assert tx.state is State.PROCEEDING and tx.next_timer() is None
    assert run(tx, 201, 100_000) == []  # Timer B is for Calling only; the TU decides


def test_invite_client_non_2xx_sends_ack_and_waits_timer_d() -> None:
    tx = ClientInviteTransaction(request("INVITE"), UDP, CONFIG)
    tx.start(0.0)
    busy = build_response(tx.request, 486, to_tag="callee")
    actions = tx.receive_response(busy, 1.0)
    assert [type(a) for a in actions] == [Send, Deliver]
    ack = actions[0].message  # type: ignore[union-attr]
    assert isinstance(ack, Request) and ack.method == "ACK" and str(ack.cseq) == "1 ACK"
    assert ack.top_via.branch == "z9hG4bKt1" and ack.to_addr.tag == "callee"
    assert tx.state is State.COMPLETED and tx.timers() == {"D": 33.0}
    assert tx.receive_response(busy, 2.0) == [Send(ack, UDP)]  # ACK again, no Deliver
    assert kinds(run(tx, 1001, 40_000)) == [(33000, "Terminated")]


def test_invite_client_2xx_goes_to_accepted_until_timer_m() -> None:
    tx = ClientInviteTransaction(request("INVITE"), UDP, CONFIG)
    tx.start(0.0)
    ok = build_response(tx.request, 200, to_tag="callee")
    assert tx.receive_response(ok, 0.7) == [Deliver(ok, tx)]
    assert tx.state is State.ACCEPTED and tx.timers() == {"M": 32.7}
    assert tx.receive_response(ok, 1.7) == [Deliver(ok, tx)]  # the TU acks each 2xx
    assert kinds(run(tx, 701, 40_000)) == [(32700, "Terminated")]


def test_invite_client_on_tcp() -> None:
    tx = ClientInviteTransaction(request("INVITE"), TCP, CONFIG)
    tx.start(0.0)
    assert tx.timers() == {"B": 32.0}
    actions = tx.receive_response(build_response(tx.request, 503, to_tag="x"), 0.1)
    assert [type(a) for a in actions] == [Send, Deliver, Terminated]


def test_transport_error() -> None:
    tx = ClientInviteTransaction(request("INVITE"), TCP, CONFIG)
    tx.start(0.0)
    assert [type(a) for a in tx.transport_error(0.1)] == [TransportError, Terminated]
    assert tx.transport_error(0.2) == []


# ---- server INVITE ----------------------------------------------------------------


def test_server_invite_sends_100_after_200ms_unless_the_tu_answered() -> None:
    invite = request("INVITE")
    tx = ServerInviteTransaction(invite, UDP, CONFIG)
    assert tx.start(0.0) == [Deliver(invite, tx)]
    events = run(tx, 1, 1000)
    assert sends(events) == [200]
    trying = events[0][1].message  # type: ignore[union-attr]
    assert trying.status == 100 and trying.to_addr.tag is None
    # A retransmitted INVITE gets the latest provisional again.
    assert tx.receive_request(invite, 1.0) == [Send(trying, UDP)]
    quick = ServerInviteTransaction(invite, UDP, CONFIG)
    quick.start(0.0)
    quick.send_response(build_response(invite, 180, to_tag="me"), 0.1)
    assert run(quick, 1, 1000) == []
    now = ServerInviteTransaction(invite, UDP, TimerConfig(trying_delay=0))
    assert [type(a) for a in now.start(0.0)] == [Deliver, Send]
    never = ServerInviteTransaction(invite, UDP, TimerConfig(trying_delay=None))
    never.start(0.0)
    assert never.next_timer() is None


def test_server_invite_final_retransmits_with_g_and_h_times_out() -> None:
    invite = request("INVITE")
    tx = ServerInviteTransaction(invite, UDP, CONFIG)
    tx.start(0.0)
    busy = build_response(invite, 486, to_tag="me")
    assert tx.send_response(busy, 0.1) == [Send(busy, UDP)]
    assert tx.state is State.COMPLETED and tx.timers() == {"G": 0.6, "H": 32.1}
    events = run(tx, 101, 40_000)
    assert sends(events) == [600, 1600, 3600, 7600, 11600, 15600, 19600, 23600, 27600, 31600]
    assert kinds(events)[-2:] == [(32100, "Timeout"), (32100, "Terminated")]


def test_server_invite_ack_confirms_then_timer_i() -> None:
    invite = request("INVITE")
    tx = ServerInviteTransaction(invite, UDP, CONFIG)
    tx.start(0.0)
    busy = build_response(invite, 486, to_tag="me")
    tx.send_response(busy, 0.0)
    assert sends(run(tx, 1, 2000)) == [500, 1500]
    assert tx.receive_request(invite, 2.0) == [Send(busy, UDP)]  # INVITE again: 486 again
    from sbc.sip import build_ack

    ack = build_ack(invite, busy)
    assert tx.receive_request(ack, 2.1) == []
    assert tx.state is State.CONFIRMED and tx.timers() == {"I": 7.1}
    assert tx.receive_request(ack, 2.2) == []  # absorbed
    assert kinds(run(tx, 2101, 10_000)) == [(7100, "Terminated")]


def test_server_invite_2xx_accepted_until_timer_l() -> None:
    invite = request("INVITE")
    tx = ServerInviteTransaction(invite, UDP, CONFIG)
    tx.start(0.0)
    ok = build_response(invite, 200, to_tag="me")
    tx.send_response(ok, 0.05)
    assert tx.state is State.ACCEPTED and tx.timers() == {"L": 32.05}
    assert tx.receive_request(invite, 1.0) == []  # retransmitted INVITE absorbed
    assert tx.send_response(ok, 1.0) == [Send(ok, UDP)]  # TU's own 2xx retransmission
    with pytest.raises(SipUsageError):
        tx.send_response(build_response(invite, 486, to_tag="me"), 1.0)
    assert kinds(run(tx, 51, 40_000)) == [(32050, "Terminated")]


def test_server_invite_on_tcp() -> None:
    invite = request("INVITE")
    tx = ServerInviteTransaction(invite, TCP, CONFIG)
    tx.start(0.0)
    busy = build_response(invite, 486, to_tag="me")
    tx.send_response(busy, 0.0)
    assert tx.timers() == {"H": 32.0}
    from sbc.sip import build_ack

    assert [type(a) for a in tx.receive_request(build_ack(invite, busy), 0.1)] == [Terminated]


# ---- server non-INVITE ------------------------------------------------------------


def test_server_non_invite() -> None:
    options = request()
    tx = ServerNonInviteTransaction(options, UDP, CONFIG)
    assert tx.start(0.0) == [Deliver(options, tx)]
    assert tx.receive_request(options, 0.1) == []  # Trying: nothing to repeat yet
    trying = build_response(options, 100)
    tx.send_response(trying, 0.2)
    assert tx.state is State.PROCEEDING
    assert tx.receive_request(options, 0.3) == [Send(trying, UDP)]
    ok = build_response(options, 200, to_tag="me")
    assert tx.send_response(ok, 0.5) == [Send(ok, UDP)]
    assert tx.state is State.COMPLETED and tx.timers() == {"J": 32.5}
    assert tx.receive_request(options, 1.0) == [Send(ok, UDP)]
    with pytest.raises(SipUsageError):
        tx.send_response(ok, 1.0)
    assert kinds(run(tx, 501, 40_000)) == [(32500, "Terminated")]
    tcp = ServerNonInviteTransaction(options, TCP, CONFIG)
    tcp.start(0.0)
    assert [type(a) for a in tcp.send_response(ok, 0.0)] == [Send, Terminated]
    assert Timeout(tcp) != Timeout(tx)
