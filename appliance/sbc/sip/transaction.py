"""What every RFC 3261 §17 transaction shares: timer settings, states, the actions they
return, and a timer table driven by an injected clock (the aioquic pattern).

A transaction never sends or sleeps. Its methods take ``now`` (seconds, any epoch) and
return actions; `next_timer` says when it wants `handle_timer` to be called next.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .endpoint import Endpoint
from .message import Request, Response

# Deadlines computed as sums of floats may land a hair after a clock reading meant to
# hit them exactly; anything within a microsecond counts as due.
EPSILON = 1e-6


@dataclass(frozen=True)
class TimerConfig:
    """RFC 3261 §17.1.1.1 / Table 4 values, in seconds."""

    t1: float = 0.5  # RTT estimate
    t2: float = 4.0  # maximum retransmit interval for non-INVITE requests and responses
    t4: float = 5.0  # maximum time a message stays in the network
    timer_d: float = 32.0  # how long a client INVITE absorbs final-response retransmits
    # When the INVITE server transaction sends 100 Trying by itself if the TU has sent
    # nothing yet (§17.2.1: "within 200 ms"); 0 sends it at once, None never.
    trying_delay: float | None = 0.2


class State(enum.Enum):
    CALLING = "Calling"
    TRYING = "Trying"
    PROCEEDING = "Proceeding"
    COMPLETED = "Completed"
    CONFIRMED = "Confirmed"
    ACCEPTED = "Accepted"  # RFC 6026: after a 2xx to an INVITE
    TERMINATED = "Terminated"


@dataclass(frozen=True)
class Send:
    """Put ``message`` on the wire towards ``dest``."""

    message: Request | Response
    dest: Endpoint


@dataclass(frozen=True)
class Deliver:
    """Hand ``message`` to the TU. ``transaction`` is None for strays (a 2xx
    retransmission after its transaction ended, an ACK for a 2xx); for a CANCEL,
    ``cancels`` is the INVITE server transaction it matches (None: answer 481)."""

    message: Request | Response
    transaction: Transaction | None
    cancels: Transaction | None = None


@dataclass(frozen=True)
class Timeout:
    """The transaction gave up (Timer B, F or H); a client TU treats it as a 408."""

    transaction: Transaction


@dataclass(frozen=True)
class TransportError:
    """Sending failed (reported by the transport); the transaction is over."""

    transaction: Transaction


@dataclass(frozen=True)
class Terminated:
    """The transaction reached Terminated; the layer forgets it."""

    transaction: Transaction


Action = Send | Deliver | Timeout | TransportError | Terminated


class Transaction:
    """A state machine with named timers; subclasses implement ``_fire``."""

    def __init__(self, request: Request, peer: Endpoint, config: TimerConfig) -> None:
        self.request = request
        self.peer = peer  # where requests (client) or responses (server) go
        self.config = config
        self.state = State.TERMINATED
        self._timers: dict[str, float] = {}

    @property
    def reliable(self) -> bool:
        return self.peer.reliable

    @property
    def terminated(self) -> bool:
        return self.state is State.TERMINATED

    def next_timer(self) -> float | None:
        """When `handle_timer` should next be called, or None."""
        return min(self._timers.values(), default=None)

    def timers(self) -> dict[str, float]:
        """The running timers by RFC letter, for tests and status pages."""
        return dict(self._timers)

    def handle_timer(self, now: float) -> list[Action]:
        """Fire every timer due at ``now``, earliest first."""
        actions: list[Action] = []
        while True:
            due = [(at, name) for name, at in self._timers.items() if at <= now + EPSILON]
            if not due:
                return actions
            at, name = min(due)
            del self._timers[name]
            actions += self._fire(name, at, now)

    def transport_error(self, now: float) -> list[Action]:
        """The transport could not send for us: tell the TU and end (§17.1.4, §17.2.4)."""
        if self.terminated:
            return []
        return [TransportError(self), *self._terminate()]

    def _start(self, name: str, at: float) -> None:
        self._timers[name] = at

    def _stop(self, *names: str) -> None:
        for name in names:
            self._timers.pop(name, None)

    def _terminate(self) -> list[Action]:
        self.state = State.TERMINATED
        self._timers.clear()
        return [Terminated(self)]

    def _linger(self, name: str, now: float, duration: float) -> list[Action]:
        """Wait ``duration`` in the current state for retransmissions, then end;
        on a reliable transport there are none, so end at once."""
        if self.reliable or duration <= 0:
            return self._terminate()
        self._start(name, now + duration)
        return []

    def _fire(self, name: str, at: float, now: float) -> list[Action]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.request.method} {self.state.value}>"
