"""Calls in `sbc status`: the counters line and active-call table, the JSON the Cockpit
page reads, and status files without (or with broken) call data."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from sbc.status import format_status, public_json
from sbc.status.calls import clock

T0 = 1_700_000_000.0
CALLS: dict[str, Any] = {
    "counters": {"attempted": 3, "answered": 2, "active": 2, "failed": {"declined": 1},
                 "dropped": {}},
    "active": [
        {"id": "c1f0a2b3c4d5e6f7", "state": "answered", "route": "inbound",
         "calling": "+4930111", "called": "+4930123456789",
         "started": T0, "answered": T0 + 3.0,
         "legs": [{"tag": "a", "connection": "Telekom", "call_id": "x1@telekom",
                   "state": "confirmed", "media": "127.0.0.1:30004"},
                  {"tag": "b", "connection": "Teams2", "call_id": "y1@sbc",
                   "state": "confirmed", "media": "127.0.0.1:30006"}]},
        {"id": "d2e3", "state": "ringing", "route": "outbound", "calling": None,
         "called": "+4989555", "started": T0 + 60.0, "answered": None,
         "legs": [{"tag": "a", "connection": "Teams1", "call_id": "z@teams",
                   "state": "early", "media": None}]},
    ],
}


def status(calls: object = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "product": "OpenSBC 0.1.0", "pid": 1, "started": T0 - 100, "updated": T0 + 75.0,
        "sbc": {"fqdn": "sbc.example.com", "listening": []},
        "connections": [], "dropped": {}, "engine": {}, "trace": {},
    }
    if calls is not None:
        doc["calls"] = calls
    return doc


def lines_after(text: str, start: str) -> list[str]:
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(start))
    return lines[index:]


def test_table_shows_counters_and_one_line_per_active_call() -> None:
    text = format_status(status(CALLS), now=T0 + 75.0)
    counters, header, answered, ringing, blank, *_ = lines_after(text, "Calls:")
    assert counters == "Calls: 3 attempted, 2 answered, 2 active; failed: declined 1"
    assert header.split() == ["CALL", "FROM", "->", "TO", "STATE", "ROUTE", "DURATION",
                              "LEGS", "(connection", "media)"]
    assert answered.split() == [
        "c1f0a2b3c4d5", "+4930111", "->", "+4930123456789", "answered", "inbound", "1:12",
        "Telekom", "127.0.0.1:30004", "<->", "Teams2", "127.0.0.1:30006"]
    assert ringing.split() == ["d2e3", "anonymous", "->", "+4989555", "ringing", "outbound",
                               "(0:15)", "Teams1", "(early)"]
    assert blank == ""
    # the columns line up
    assert answered.index("answered") == ringing.index("ringing") == header.index("STATE")


def test_no_active_calls_and_dropped_counts() -> None:
    calls = {"counters": {"attempted": 9, "answered": 7, "active": 0,
                          "failed": {"busy": 1, "cancelled": 1},
                          "dropped": {"no-rtp": 2, "session-expired": 0}},
             "active": []}
    counters, none = lines_after(format_status(status(calls), now=T0), "Calls:")[:2]
    assert counters == ("Calls: 9 attempted, 7 answered, 0 active; failed: busy 1, "
                        "cancelled 1; dropped: no-rtp 2")
    assert none == "No active calls."


def test_an_older_status_file_without_calls_has_no_calls_section() -> None:
    text = format_status(status(), now=T0)
    assert "Calls" not in text and "CALL" not in text
    assert "Dropped (source not allowed): 0" in text
    assert "calls" not in public_json(status())


@pytest.mark.parametrize("calls", [
    {},
    {"counters": None, "active": None},
    {"counters": "x", "active": "x"},
    {"active": [None, 3, {"legs": "x"}, {"legs": [None, {}], "started": "soon",
                                          "answered": True}]},
])
def test_broken_call_data_never_breaks_the_table(calls: dict[str, Any]) -> None:
    text = format_status(status(calls), now=T0)
    assert "Calls: 0 attempted, 0 answered, 0 active" in text
    doc = public_json(status(calls))
    json.dumps(doc)
    assert isinstance(doc["calls"]["active"], list)


def test_json_for_the_cockpit_page() -> None:
    doc = status(CALLS)
    out = public_json(doc)
    calls = out["calls"]
    assert calls["counters"] == CALLS["counters"]  # counts stay counts
    first, second = calls["active"]
    assert first["started"] == "2023-11-14T22:13:20.000Z"
    assert first["answered"] == "2023-11-14T22:13:23.000Z"
    assert (first["age_s"], first["duration_s"]) == (75, 72)
    assert first["legs"] == CALLS["active"][0]["legs"]
    assert second["answered"] is None and second["duration_s"] is None
    assert second["age_s"] == 15
    assert doc == status(CALLS)  # the input is left alone
    assert json.loads(json.dumps(out)) == out


@pytest.mark.parametrize("seconds, text", [
    (0, "0:00"), (7.9, "0:07"), (754, "12:34"), (3723, "1:02:03"), (-5, "0:00"),
    (100 * 3600, "100:00:00"),
])
def test_clock(seconds: float, text: str) -> None:
    assert clock(seconds) == text


def test_leg_tags_are_not_needed() -> None:
    calls = copy.deepcopy(CALLS)
    for leg in calls["active"][0]["legs"]:
        del leg["tag"], leg["media"]
    row = lines_after(format_status(status(calls), now=T0 + 75.0), "c1f0")[0]
    assert row.endswith("Telekom <-> Teams2")


def test_a_media_bypass_leg_says_so() -> None:
    from sbc.status.calls import _leg

    leg = {"connection": "Teams1", "state": "confirmed", "media": "198.51.100.20:50010",
           "bypass": True}
    assert _leg(leg) == "Teams1 198.51.100.20:50010 (media bypass)"
    assert "bypass" not in _leg({**leg, "bypass": False})
