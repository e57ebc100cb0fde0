"""Client transactions (RFC 3261 §17.1, with RFC 6026's Accepted state for INVITE).

INVITE: Calling -> (1xx) Proceeding -> (300-699) Completed -> Terminated; a 2xx leads to
Accepted, where 2xx retransmissions still reach the TU (it sends the ACK) until Timer M.
Timer A retransmits (T1, doubling without cap) on UDP, Timer B (64*T1) gives up in
Calling, Timer D absorbs final-response retransmissions. The ACK for a non-2xx final
response is built and sent here.

Non-INVITE: Trying -> (1xx) Proceeding -> (final) Completed -> Terminated. Timer E
retransmits (T1 doubling up to T2; T2 once in Proceeding), Timer F (64*T1) gives up,
Timer K (T4) absorbs response retransmissions.
"""

from __future__ import annotations

from .builders import build_ack
from .endpoint import Endpoint
from .message import Request, Response
from .transaction import Action, Deliver, Send, State, Timeout, TimerConfig, Transaction


class ClientTransaction(Transaction):
    """Common to both client kinds: the key and the retransmission interval."""

    def __init__(self, request: Request, peer: Endpoint, config: TimerConfig) -> None:
        super().__init__(request, peer, config)
        self.branch = request.top_via.branch or ""
        self.last_response: Response | None = None
        self._interval = config.t1

    @property
    def key(self) -> tuple[str, str]:
        """§17.1.3: a response matches by top Via branch and CSeq method."""
        return (self.branch, self.request.method)

    def start(self, now: float) -> list[Action]:
        raise NotImplementedError

    def receive_response(self, response: Response, now: float) -> list[Action]:
        raise NotImplementedError


class ClientInviteTransaction(ClientTransaction):
    def __init__(self, request: Request, peer: Endpoint, config: TimerConfig) -> None:
        super().__init__(request, peer, config)
        self.ack: Request | None = None

    def start(self, now: float) -> list[Action]:
        self.state = State.CALLING
        if not self.reliable:
            self._start("A", now + self._interval)
        self._start("B", now + 64 * self.config.t1)
        return [Send(self.request, self.peer)]

    def receive_response(self, response: Response, now: float) -> list[Action]:
        status = response.status
        if self.state in (State.CALLING, State.PROCEEDING):
            self._stop("A", "B")
            self.last_response = response
            if status < 200:
                self.state = State.PROCEEDING
                return [Deliver(response, self)]
            if status < 300:
                self.state = State.ACCEPTED
                self._start("M", now + 64 * self.config.t1)
                return [Deliver(response, self)]
            self.state = State.COMPLETED
            self.ack = build_ack(self.request, response)
            actions: list[Action] = [Send(self.ack, self.peer), Deliver(response, self)]
            return actions + self._linger("D", now, self.config.timer_d)
        if self.state is State.COMPLETED and status >= 300 and self.ack is not None:
            return [Send(self.ack, self.peer)]  # the ACK got lost: send it again
        if self.state is State.ACCEPTED and 200 <= status < 300:
            return [Deliver(response, self)]  # RFC 6026 §8.4: the TU acks each 2xx
        return []

    def _fire(self, name: str, at: float, now: float) -> list[Action]:
        if name == "A" and self.state is State.CALLING:
            self._interval *= 2
            self._start("A", at + self._interval)
            return [Send(self.request, self.peer)]
        if name == "B" and self.state is State.CALLING:
            return [Timeout(self), *self._terminate()]
        if name in ("D", "M"):
            return self._terminate()
        return []


class ClientNonInviteTransaction(ClientTransaction):
    def start(self, now: float) -> list[Action]:
        self.state = State.TRYING
        if not self.reliable:
            self._start("E", now + self._interval)
        self._start("F", now + 64 * self.config.t1)
        return [Send(self.request, self.peer)]

    def receive_response(self, response: Response, now: float) -> list[Action]:
        if self.state not in (State.TRYING, State.PROCEEDING):
            return []  # Completed absorbs retransmissions
        self.last_response = response
        if response.status < 200:
            self.state = State.PROCEEDING
            return [Deliver(response, self)]
        self.state = State.COMPLETED
        self._stop("E", "F")
        return [Deliver(response, self), *self._linger("K", now, self.config.t4)]

    def _fire(self, name: str, at: float, now: float) -> list[Action]:
        if name == "E" and self.state in (State.TRYING, State.PROCEEDING):
            if self.state is State.TRYING:
                self._interval = min(2 * self._interval, self.config.t2)
            else:
                self._interval = self.config.t2
            self._start("E", at + self._interval)
            return [Send(self.request, self.peer)]
        if name == "F" and self.state in (State.TRYING, State.PROCEEDING):
            return [Timeout(self), *self._terminate()]
        if name == "K":
            return self._terminate()
        return []
