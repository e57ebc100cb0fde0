"""Call records: the syslog line (fields, quoting, times, durations) and the counters."""

from __future__ import annotations

import shlex

import pytest
from sbc.b2bua.cdr import CallCounters, CallRecord, cdr_line

T0 = 1_748_779_200.0  # 2025-06-01T12:00:00Z


def record(**changes: object) -> CallRecord:
    base = CallRecord(
        call_id="a84b4c76e66710@pc33.telekom.de", started=T0, answered=T0 + 2.5,
        ended=T0 + 65.75, source="Telekom", target="Teams2", route="inbound",
        calling="+4930111", called="+4930123456789", status=200, cause="answered",
        ended_by="callee", attempts=["Teams1 503", "Teams2 200"])
    for name, value in changes.items():
        setattr(base, name, value)
    return base


def fields(line: str) -> dict[str, str]:
    """The line read back the way a shell-like parser would."""
    assert "\n" not in line and "\r" not in line
    return dict(part.split("=", 1) for part in shlex.split(line))


def test_answered_call_line() -> None:
    line = cdr_line(record())
    assert line == (
        "call_id=a84b4c76e66710@pc33.telekom.de start=2025-06-01T12:00:00.000Z "
        "answer=2025-06-01T12:00:02.500Z end=2025-06-01T12:01:05.750Z duration=63.250 "
        "setup=2.500 source=Telekom target=Teams2 route=inbound calling=+4930111 "
        "called=+4930123456789 status=200 cause=answered ended_by=callee "
        'attempts="Teams1 503,Teams2 200"')
    assert fields(line)["attempts"] == "Teams1 503,Teams2 200"


def test_unanswered_call_line_has_dashes() -> None:
    line = cdr_line(record(answered=None, ended=T0 + 20, target=None, status=486,
                           cause="busy", ended_by="callee", attempts=["Teams1 486"],
                           calling=None))
    got = fields(line)
    assert got["answer"] == "-" and got["setup"] == "-" and got["duration"] == "0.000"
    assert got["target"] == "-" and got["calling"] == "-"
    assert got["status"] == "486" and got["cause"] == "busy"


def test_no_route_line() -> None:
    got = fields(cdr_line(record(answered=None, ended=T0 + 0.004, target=None, route=None,
                                 status=404, cause="no-route", ended_by="sbc", attempts=[])))
    assert got["route"] == "-" and got["attempts"] == "-" and got["ended_by"] == "sbc"


@pytest.mark.parametrize("calling, shown", [
    ('Eve" cause=answered', '"Eve\\" cause=answered"'),
    ("+4930\nFAKE cdr call_id=x", '"+4930\\nFAKE cdr call_id=x"'),
    ("a\\b", '"a\\\\b"'),
    ("", '""'),
    ("-", '"-"'),  # not to be read as "none"
    ("\x00\x1b[31m", '"\\x00\\x1b[31m"'),
    ("Müller", '"Müller"'),
])
def test_values_from_peers_cannot_forge_fields_or_lines(calling: str, shown: str) -> None:
    line = cdr_line(record(calling=calling))
    assert f" calling={shown} " in line
    assert "\n" not in line and "\r" not in line and "\x00" not in line
    assert fields(line)["cause"] == "answered"


def test_active_call_has_no_end_yet() -> None:
    got = fields(cdr_line(record(ended=None, cause="answered", ended_by=None)))
    assert got["end"] == "-" and got["duration"] == "-" and got["setup"] == "2.500"


def test_counters() -> None:
    counters = CallCounters()
    assert counters.as_dict() == {"attempted": 0, "answered": 0, "active": 0,
                                  "failed": {}, "dropped": {}}
    for _ in range(4):
        counters.started()
    counters.call_answered()
    counters.call_answered()
    counters.ended(record(answered=None, cause="declined", status=603))
    counters.ended(record(answered=None, cause="declined", status=603))
    counters.ended(record(cause="no-rtp", ended_by="sbc"))
    assert counters.as_dict() == {
        "attempted": 4, "answered": 2, "active": 1,
        "failed": {"declined": 2}, "dropped": {"no-rtp": 1}}
    counters.ended(record(cause="answered"))
    counters.ended(record(cause="answered"))  # one end too many never goes negative
    assert counters.active == 0
    assert counters.as_dict()["dropped"] == {"no-rtp": 1}


def test_counter_causes_are_sorted_for_a_stable_status() -> None:
    counters = CallCounters()
    for cause in ("unreachable", "busy", "cancelled", "busy"):
        counters.started()
        counters.ended(record(answered=None, cause=cause))
    assert list(counters.as_dict()["failed"]) == ["busy", "cancelled", "unreachable"]  # type: ignore[call-overload]
