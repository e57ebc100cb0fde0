"""A call's state without I/O: its phases with the transitions allowed between them, and
the timers of its answer, on a clock the caller passes in (`now`), the way `sbc.sip` is
built (h11's state table, aioquic's `handle_timer(now)`). The asyncio side (`Call`)
only asks for the next deadline and does what `handle_timer` says.

    phase = CallPhase()              # ROUTING
    phase.to(Phase.TRYING)           # InvalidTransition for a step the table lacks

    resend = AnswerRetransmit.start(now, t1=0.5, t2=4.0)
    resend.next_at()                  # 0.5 s on: send the 2xx again
    resend.handle_timer(now)          # RESEND, GIVE_UP (Timer L: 64*T1 without ACK) or None
    resend.ack()                      # the ACK came: no more deadlines

    session_step(leg_timer, refreshed, now)   # REFRESH (we send one), EXPIRED, or None
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .timers import LegTimer


class Phase(enum.Enum):
    """Where a call is; the values are what `sbc status` shows."""

    ROUTING = "routing"  # the INVITE came in; routing, media offer
    TRYING = "trying"  # INVITEs out to the targets in turn
    EARLY = "early"  # a target sent a provisional answer
    ANSWERED = "answered"  # a target answered; dialogs on both sides
    ENDED = "ended"  # BYE, CANCEL, failure: media deleted, CDR written


TRANSITIONS: dict[Phase, frozenset[Phase]] = {
    Phase.ROUTING: frozenset({Phase.TRYING, Phase.ENDED}),
    # failover keeps a call TRYING or EARLY while the next target is tried
    Phase.TRYING: frozenset({Phase.EARLY, Phase.ANSWERED, Phase.ENDED}),
    Phase.EARLY: frozenset({Phase.ANSWERED, Phase.ENDED}),
    Phase.ANSWERED: frozenset({Phase.ENDED}),
    Phase.ENDED: frozenset(),
}


class InvalidTransition(Exception):
    """A step the table does not allow: a bug in the caller, never a peer's doing."""


class CallPhase:
    """The phase of one call, moved only along `TRANSITIONS` (staying put is allowed)."""

    def __init__(self, phase: Phase = Phase.ROUTING) -> None:
        self.phase = phase

    def to(self, phase: Phase) -> None:
        if phase is not self.phase and phase not in TRANSITIONS[self.phase]:
            raise InvalidTransition(f"a call cannot go from {self.phase.value} to {phase.value}")
        self.phase = phase

    @property
    def answered(self) -> bool:
        return self.phase is Phase.ANSWERED

    def __str__(self) -> str:
        return self.phase.value


class Resend(enum.Enum):
    RESEND = "resend"  # send the 2xx again
    GIVE_UP = "give up"  # no ACK within Timer L: end the call


@dataclass
class AnswerRetransmit:
    """RFC 3261 §13.3.1.4: a 2xx sent over an unreliable transport goes again at T1,
    2*T1, ... (at most T2 apart) until the ACK; without an ACK within 64*T1 (the server
    transaction's Timer L) the call is given up."""

    t1: float
    t2: float
    deadline: float
    due: float | None
    interval: float

    @classmethod
    def start(cls, now: float, *, t1: float, t2: float) -> AnswerRetransmit:
        if t1 <= 0 or t2 < t1:
            raise ValueError(f"need 0 < T1 <= T2 (got T1={t1}, T2={t2})")
        return cls(t1, t2, now + 64 * t1, now + t1, t1)

    def next_at(self) -> float | None:
        """When `handle_timer` has something to do; None once acked or given up."""
        return self.due

    def ack(self) -> None:
        self.due = None

    def handle_timer(self, now: float) -> Resend | None:
        """What is due at `now`: a resend (and the next one scheduled), giving up, or
        nothing (early, or already done)."""
        if self.due is None or now < self.due:
            return None
        if now >= self.deadline:
            self.due = None
            return Resend.GIVE_UP
        self.interval = min(2 * self.interval, self.t2)
        self.due = min(now + self.interval, self.deadline)
        return Resend.RESEND


class SessionStep(enum.Enum):
    REFRESH = "refresh"  # we are the refresher and half the interval has passed
    EXPIRED = "expired"  # the peer was to refresh and did not: end the call


def session_step(timer: LegTimer, refreshed: float, now: float) -> SessionStep | None:
    """What a leg's session timer (RFC 4028) asks for at `now`, its last refresh having
    been at `refreshed`."""
    if timer.we_refresh:
        return SessionStep.REFRESH if now >= timer.refresh_at(refreshed) else None
    return SessionStep.EXPIRED if now >= timer.expire_at(refreshed) else None
