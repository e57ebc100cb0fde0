"""Call detail records: one `CallRecord` per call, one syslog line when it ends, and the
counters `sbc status` shows.

The line is ``key=value`` pairs in a fixed order, so that grep, awk and a syslog
server's parser all read it: times in ISO 8601 UTC, durations in seconds with
milliseconds, ``-`` for "none", and values from peers (numbers, reasons) quoted and
escaped so that no caller ID can forge a second field or a second line. An emergency
call's line ends with ``emergency=<number> location=<what became of it>``, so grep finds
them; other lines end with ``attempts``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

# Answered calls that ended abnormally: worth counting apart from normal clearing.
DROP_CAUSES = frozenset({"no-rtp", "session-expired"})

_PLAIN = re.compile(r"[A-Za-z0-9+\-_.:@/,]+\Z")
_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f]')
_NAMED = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


@dataclass
class CallRecord:
    """What happened to one call, filled in as it goes (times are epoch seconds)."""

    call_id: str  # the caller's Call-ID (leg a)
    started: float  # the INVITE arrived
    answered: float | None  # the 2xx went to the caller
    ended: float | None
    source: str  # the connection the call came from
    target: str | None  # the connection that answered (or was tried last)
    route: str | None  # the routing rule that matched
    calling: str | None
    called: str
    status: int | None  # the final status sent to the caller
    # answered | cancelled | declined (603) | busy (486/600) | no-route | unreachable
    # (all targets failed or none usable) | failed | no-rtp | session-expired | transferred
    cause: str
    ended_by: str | None  # caller | callee | sbc
    attempts: list[str] = field(default_factory=list)  # ["Teams1 503", "Teams2 200"]
    emergency: str | None = None  # the emergency number dialled (110, 112)
    # the caller's location: none (not sent) | passed | dropped | refused (415, sent again
    # without it)
    location: str | None = None

    @property
    def duration(self) -> float | None:
        """Seconds talked: answer to end (0 for an unanswered call that ended)."""
        if self.ended is None:
            return None
        return 0.0 if self.answered is None else max(0.0, self.ended - self.answered)

    @property
    def setup_time(self) -> float | None:
        """Seconds from the INVITE to the answer (None: not answered)."""
        return None if self.answered is None else max(0.0, self.answered - self.started)


def _iso(t: float | None) -> str | None:
    if t is None:
        return None
    stamp = dt.datetime.fromtimestamp(t, dt.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S") + f".{stamp.microsecond // 1000:03d}Z"


def _seconds(value: float | None) -> str | None:
    return None if value is None else f"{value:.3f}"


def _quote(value: object) -> str:
    if value is None:
        return "-"
    text = str(value)
    if _PLAIN.match(text) and text != "-":
        return text

    def escape(match: re.Match[str]) -> str:
        ch = match.group(0)
        return _NAMED.get(ch) or f"\\x{ord(ch):02x}"

    return '"' + _ESCAPE.sub(escape, text) + '"'


def cdr_line(record: CallRecord) -> str:
    """The record as one line of ``key=value`` pairs for syslog."""
    fields: list[tuple[str, object]] = [
        ("call_id", record.call_id),
        ("start", _iso(record.started)),
        ("answer", _iso(record.answered)),
        ("end", _iso(record.ended)),
        ("duration", _seconds(record.duration)),
        ("setup", _seconds(record.setup_time)),
        ("source", record.source),
        ("target", record.target),
        ("route", record.route),
        ("calling", record.calling),
        ("called", record.called),
        ("status", record.status),
        ("cause", record.cause),
        ("ended_by", record.ended_by),
        ("attempts", ",".join(record.attempts) if record.attempts else None),
    ]
    if record.emergency is not None:
        fields += [("emergency", record.emergency), ("location", record.location)]
    return " ".join(f"{key}={_quote(value)}" for key, value in fields)


@dataclass
class CallCounters:
    """Totals since start: `started` at each INVITE, `call_answered` when the caller
    gets the 2xx, `ended` with the record when the call is over."""

    attempted: int = 0
    answered: int = 0
    failed: dict[str, int] = field(default_factory=dict)  # unanswered calls by cause
    dropped: dict[str, int] = field(default_factory=dict)  # answered, ended abnormally
    active: int = 0

    def started(self) -> None:
        self.attempted += 1
        self.active += 1

    def call_answered(self) -> None:
        self.answered += 1

    def ended(self, record: CallRecord) -> None:
        self.active = max(0, self.active - 1)
        if record.answered is None:
            self.failed[record.cause] = self.failed.get(record.cause, 0) + 1
        elif record.cause in DROP_CAUSES:
            self.dropped[record.cause] = self.dropped.get(record.cause, 0) + 1

    def as_dict(self) -> dict[str, object]:
        return {
            "attempted": self.attempted,
            "answered": self.answered,
            "active": self.active,
            "failed": dict(sorted(self.failed.items())),
            "dropped": dict(sorted(self.dropped.items())),
        }
