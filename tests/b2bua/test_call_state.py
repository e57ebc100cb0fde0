"""The call's state core on a clock the test moves: no event loop, no sleeping."""

from __future__ import annotations

import pytest
from sbc.b2bua.state import (
    TRANSITIONS,
    AnswerRetransmit,
    CallPhase,
    InvalidTransition,
    Phase,
    Resend,
    SessionStep,
    session_step,
)
from sbc.b2bua.timers import LegTimer

T1, T2 = 0.5, 4.0


def run_until_done(resend: AnswerRetransmit, start: float) -> list[tuple[float, Resend]]:
    """Every step with its time, jumping from deadline to deadline."""
    steps = []
    for _ in range(100):
        due = resend.next_at()
        if due is None:
            return steps
        step = resend.handle_timer(due)
        assert step is not None
        steps.append((round(due - start, 3), step))
    raise AssertionError("the retransmission never ended")


def test_the_2xx_goes_again_at_t1_doubling_up_to_t2_until_timer_l() -> None:
    steps = run_until_done(AnswerRetransmit.start(100.0, t1=T1, t2=T2), 100.0)
    resends = [at for at, step in steps if step is Resend.RESEND]
    assert resends[:5] == [0.5, 1.5, 3.5, 7.5, 11.5]  # T1, +2T1, +4T1, then T2 apart
    assert all(b - a <= T2 for a, b in zip(resends, resends[1:], strict=False))
    assert steps[-1] == (32.0, Resend.GIVE_UP)  # 64*T1 without an ACK
    assert len(resends) == 10


def test_the_ack_stops_it_and_nothing_is_due_before_its_time() -> None:
    resend = AnswerRetransmit.start(0.0, t1=T1, t2=T2)
    assert resend.handle_timer(0.49) is None
    assert resend.handle_timer(0.5) is Resend.RESEND
    assert resend.next_at() == 1.5
    resend.ack()
    assert resend.next_at() is None and resend.handle_timer(40.0) is None


def test_a_late_wakeup_still_gives_up_at_timer_l() -> None:
    resend = AnswerRetransmit.start(0.0, t1=T1, t2=T2)
    assert resend.handle_timer(31.0) is Resend.RESEND  # woke late: one resend, then
    assert resend.next_at() == 32.0  # the deadline, not later
    assert resend.handle_timer(32.0) is Resend.GIVE_UP


def test_bad_timer_values_are_refused() -> None:
    with pytest.raises(ValueError):
        AnswerRetransmit.start(0.0, t1=0.0, t2=T2)
    with pytest.raises(ValueError):
        AnswerRetransmit.start(0.0, t1=T2, t2=T1)


def test_phases_move_only_along_the_table() -> None:
    phase = CallPhase()
    assert str(phase) == "routing"
    for step in (Phase.TRYING, Phase.EARLY, Phase.EARLY, Phase.ANSWERED):
        phase.to(step)
    assert phase.answered
    with pytest.raises(InvalidTransition, match="answered to early"):
        phase.to(Phase.EARLY)
    phase.to(Phase.ENDED)
    with pytest.raises(InvalidTransition):
        phase.to(Phase.ANSWERED)


def test_every_phase_can_end_except_the_end() -> None:
    assert all(Phase.ENDED in TRANSITIONS[p] for p in Phase if p is not Phase.ENDED)
    assert TRANSITIONS[Phase.ENDED] == frozenset()


def test_session_timers_on_a_moving_clock() -> None:
    ours, theirs = LegTimer(1800, we_refresh=True), LegTimer(1800, we_refresh=False)
    assert session_step(ours, 100.0, 100.0 + 899) is None
    assert session_step(ours, 100.0, 100.0 + 900) is SessionStep.REFRESH  # half (§7.2)
    assert session_step(theirs, 100.0, 100.0 + 1767) is None
    assert session_step(theirs, 100.0, 100.0 + 1768) is SessionStep.EXPIRED  # -32 s (§10)
    short = LegTimer(90, we_refresh=False)
    assert session_step(short, 0.0, 59.9) is None
    assert session_step(short, 0.0, 60.0) is SessionStep.EXPIRED  # -interval/3
