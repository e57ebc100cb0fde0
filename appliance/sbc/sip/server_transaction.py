"""Server transactions (RFC 3261 §17.2, with RFC 6026's Accepted state for INVITE).

INVITE: Proceeding -> (TU sends 300-699) Completed -> (ACK) Confirmed -> Terminated; a
2xx leads to Accepted, which absorbs INVITE retransmissions and passes further 2xx from
the TU until Timer L. 100 Trying goes out by itself `TimerConfig.trying_delay` after the
INVITE if the TU has not answered by then. Timer G retransmits the final response on
UDP (T1 doubling up to T2), Timer H (64*T1) gives up waiting for the ACK, Timer I (T4)
absorbs ACK retransmissions.

Non-INVITE: Trying -> (1xx) Proceeding -> (final) Completed -> Terminated; a request
retransmission gets the last response again; Timer J (64*T1) ends Completed.
"""

from __future__ import annotations

from .builders import build_response
from .endpoint import Endpoint
from .errors import SipUsageError
from .message import Request, Response
from .transaction import Action, Deliver, Send, State, Timeout, TimerConfig, Transaction


class ServerTransaction(Transaction):
    """Common to both server kinds: the responses sent so far."""

    def __init__(self, request: Request, peer: Endpoint, config: TimerConfig) -> None:
        super().__init__(request, peer, config)
        self.provisional: Response | None = None  # the latest 1xx sent
        self.final: Response | None = None  # the final response sent
        self._interval = config.t1

    @property
    def response_to_tag(self) -> str | None:
        """The To tag of the final response (an RFC 2543 ACK must carry it)."""
        return self.final.to_addr.tag if self.final is not None else None

    def start(self, now: float) -> list[Action]:
        raise NotImplementedError

    def receive_request(self, request: Request, now: float) -> list[Action]:
        raise NotImplementedError

    def send_response(self, response: Response, now: float) -> list[Action]:
        raise NotImplementedError

    def _resend_latest(self) -> list[Action]:
        latest = self.final or self.provisional
        return [Send(latest, self.peer)] if latest is not None else []

    def _refuse(self, response: Response) -> SipUsageError:
        return SipUsageError(
            f"{response.status} for {self.request.method} in state {self.state.value}"
        )


class ServerInviteTransaction(ServerTransaction):
    def start(self, now: float) -> list[Action]:
        self.state = State.PROCEEDING
        actions: list[Action] = [Deliver(self.request, self)]
        delay = self.config.trying_delay
        if delay == 0:
            actions += self._trying()
        elif delay is not None:
            self._start("Trying", now + delay)
        return actions

    def _trying(self) -> list[Action]:
        self.provisional = build_response(self.request, 100)
        return [Send(self.provisional, self.peer)]

    def receive_request(self, request: Request, now: float) -> list[Action]:
        if request.method == "ACK":
            if self.state is State.COMPLETED:
                self.state = State.CONFIRMED
                self._stop("G", "H")
                return self._linger("I", now, self.config.t4)
            if self.state is State.ACCEPTED:
                return [Deliver(request, self)]  # RFC 6026 §8.7
            return []
        if self.state in (State.PROCEEDING, State.COMPLETED):
            return self._resend_latest()
        return []  # Accepted and Confirmed absorb INVITE retransmissions

    def send_response(self, response: Response, now: float) -> list[Action]:
        status = response.status
        if self.state is State.ACCEPTED and 200 <= status < 300:
            return [Send(response, self.peer)]  # the TU retransmitting its 2xx
        if self.state is not State.PROCEEDING:
            raise self._refuse(response)
        self._stop("Trying")
        if status < 200:
            self.provisional = response
            return [Send(response, self.peer)]
        self.final = response
        if status < 300:
            self.state = State.ACCEPTED
            self._start("L", now + 64 * self.config.t1)
            return [Send(response, self.peer)]
        self.state = State.COMPLETED
        if not self.reliable:
            self._start("G", now + self._interval)
        self._start("H", now + 64 * self.config.t1)
        return [Send(response, self.peer)]

    def _fire(self, name: str, at: float, now: float) -> list[Action]:
        if name == "Trying" and self.state is State.PROCEEDING and self.provisional is None:
            return self._trying()
        if name == "G" and self.state is State.COMPLETED and self.final is not None:
            self._interval = min(2 * self._interval, self.config.t2)
            self._start("G", at + self._interval)
            return [Send(self.final, self.peer)]
        if name == "H" and self.state is State.COMPLETED:
            return [Timeout(self), *self._terminate()]
        if name in ("I", "L"):
            return self._terminate()
        return []


class ServerNonInviteTransaction(ServerTransaction):
    def start(self, now: float) -> list[Action]:
        self.state = State.TRYING
        return [Deliver(self.request, self)]

    def receive_request(self, request: Request, now: float) -> list[Action]:
        if self.state in (State.PROCEEDING, State.COMPLETED):
            return self._resend_latest()
        return []  # Trying: the TU has not answered; nothing to repeat

    def send_response(self, response: Response, now: float) -> list[Action]:
        if self.state not in (State.TRYING, State.PROCEEDING):
            raise self._refuse(response)
        if response.status < 200:
            self.state = State.PROCEEDING
            self.provisional = response
            return [Send(response, self.peer)]
        self.state = State.COMPLETED
        self.final = response
        return [Send(response, self.peer), *self._linger("J", now, 64 * self.config.t1)]

    def _fire(self, name: str, at: float, now: float) -> list[Action]:
        return self._terminate() if name == "J" else []
