"""OPTIONS keep-alive state for one connection, sans-IO: fed `now`, answers and failures.

    probe = OptionsProbe("Teams1", interval=60)
    probe.start(now)                       # the first OPTIONS goes out at once
    if now >= probe.due: probe.sending(now, "127.0.0.1:5081")
    change = probe.answered(200, "OK", rtt=0.023, now=now)   # or probe.failed("timeout", now)
    if change: events.options_status(...)

Up or down: the peer is up when it answers with any final response except 408, 503 and
504 -- an answer proves the path (DNS, TCP, mutual TLS) works, and those three are the
codes by which a peer says it is not serving (the ones Teams itself fails over on). A
timeout, a transport or TLS failure, a DNS failure or those codes mean down. One failed
OPTIONS is enough: with a 60 s interval a second one would hide an outage for minutes.

Pings are sent every `interval` seconds from the previous send; an answer must come
within `timeout` (default: half the interval, at most 10 s).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..sip import reason_phrase

DOWN_CODES = frozenset({408, 503, 504})
State = Literal["unknown", "up", "down"]


def default_timeout(interval: float) -> float:
    return min(10.0, interval / 2)


@dataclass(frozen=True)
class StatusChange:
    """A state change to log: `response` is "200 OK" or None for no answer at all."""

    conn: str
    up: bool
    response: str | None
    rtt_ms: float | None
    reason: str | None = None  # why down without a response (timeout, TLS, DNS)


class OptionsProbe:
    def __init__(self, conn: str, interval: float, timeout: float | None = None) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self.conn = conn
        self.interval = float(interval)
        self.timeout = default_timeout(interval) if timeout is None else float(timeout)
        self.state: State = "unknown"
        self.since: float | None = None
        self.due: float = 0.0
        self.last_code: int | None = None
        self.last_reason: str | None = None
        self.last_error: str | None = None
        self.rtt: float | None = None
        self.last_sent: float | None = None
        self.last_answer: float | None = None
        self.target: str | None = None
        self.sent = 0
        self.answers = 0
        self.failures = 0  # consecutive

    def start(self, now: float) -> None:
        self.due = now

    def sending(self, now: float, target: str | None = None) -> None:
        """An OPTIONS goes out now; the next one is due an interval later."""
        self.sent += 1
        self.last_sent = now
        self.target = target
        self.due = now + self.interval

    def answered(
        self, code: int, reason: str | None, rtt: float | None, now: float
    ) -> StatusChange | None:
        """A final response arrived (`rtt` in seconds)."""
        self.answers += 1
        self.last_answer = now
        self.last_code = code
        self.last_reason = reason if reason is not None else reason_phrase(code)
        self.rtt = rtt
        self.last_error = None
        up = code not in DOWN_CODES
        self.failures = 0 if up else self.failures + 1
        return self._set("up" if up else "down", now)

    def failed(self, reason: str, now: float) -> StatusChange | None:
        """No answer: timeout, connect/TLS failure or DNS. Code and RTT are cleared."""
        self.failures += 1
        self.last_code = None
        self.last_reason = None
        self.rtt = None
        self.last_error = reason
        return self._set("down", now)

    def _set(self, state: State, now: float) -> StatusChange | None:
        if state == self.state:
            return None
        self.state = state
        self.since = now
        response = f"{self.last_code} {self.last_reason}".strip() if self.last_code else None
        rtt_ms = None if self.rtt is None else self.rtt * 1000
        return StatusChange(self.conn, state == "up", response, rtt_ms, self.last_error)

    def status(self, to_wall: float = 0.0) -> dict[str, object]:
        """For `sbc status`; `to_wall` converts this clock to wall-clock seconds."""

        def wall(t: float | None) -> float | None:
            return None if t is None else t + to_wall

        return {
            "state": self.state,
            "since": wall(self.since),
            "code": self.last_code,
            "reason": self.last_reason,
            "error": self.last_error,
            "rtt_ms": None if self.rtt is None else round(self.rtt * 1000, 1),
            "last_sent": wall(self.last_sent),
            "last_answer": wall(self.last_answer),
            "target": self.target,
            "interval": self.interval,
            "sent": self.sent,
            "answers": self.answers,
        }
