"""Calls on the SBC page: counters and the active-call table from the recorded
`sbc status --json`, the page with no active calls, and with a status from an SBC
version that reports none; the fixture's calls are what `public_json` makes."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cptest_rig import HERE, Cockpit
from cptest_webdriver import Browser, wait_for
from sbc.status import public_json

SHOTS = Path(os.environ.get("OPENSBC_SCREENSHOTS", "build/screenshots"))
CALL_ROWS = "#calls-table tbody tr"
NOON = 1_748_779_200.0  # 2025-06-01T12:00:00Z, the fixture's generated_at


def fixture() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((HERE / "data/sbc-status.json").read_text())
    return doc


def load(browser: Browser, cockpit: Cockpit) -> None:
    browser.open(cockpit.section("overview"))
    wait_for(lambda: "Loading" not in browser.text("#calls-counters")
             and browser.script("return document.querySelectorAll('#status-compact tbody tr')"
                                ".length"), 30, "status loaded")


def call_cells(browser: Browser) -> dict[str, list[tuple[str, str, str]]]:
    """call id -> [(text, level, title)] per column, read from the page."""
    rows = browser.script(
        "return Array.from(document.querySelectorAll(arguments[0])).map(tr => [tr.dataset.call, "
        "Array.from(tr.cells).map(td => [td.textContent, td.dataset.level || '', td.title])])",
        CALL_ROWS)
    return {name: [tuple(c) for c in row] for name, row in rows}


def test_fixture_calls_are_what_public_json_makes() -> None:
    epoch = {
        "counters": {"attempted": 3, "answered": 2, "active": 2, "failed": {"declined": 1},
                     "dropped": {}},
        "active": [
            {"id": "c1f0a2b3c4d5", "state": "answered", "route": "inbound",
             "calling": "+4930111", "called": "+4930123456789",
             "started": NOON - 75, "answered": NOON - 72,
             "legs": [{"tag": "a", "connection": "Telekom", "call_id": "x1@217.0.0.1",
                       "state": "confirmed", "media": "127.0.0.1:30004"},
                      {"tag": "b", "connection": "Teams2", "call_id": "y1@sbc.example.com",
                       "state": "confirmed", "media": "127.0.0.1:30006"}]},
            {"id": "d2e3f4a5b6c7", "state": "ringing", "route": "outbound", "calling": None,
             "called": "+4989555", "started": NOON - 15, "answered": None,
             "legs": [{"tag": "a", "connection": "Teams1",
                       "call_id": "z@sip.pstnhub.microsoft.com", "state": "confirmed",
                       "media": "127.0.0.1:30008"},
                      {"tag": "b", "connection": "Telekom", "call_id": "w@sbc.example.com",
                       "state": "early", "media": None}]},
        ],
    }
    made = public_json({"updated": NOON, "started": NOON - 86400, "calls": epoch})
    assert made["generated_at"] == fixture()["generated_at"].replace("Z", ".000Z")
    assert made["calls"] == fixture()["calls"]


def test_calls_table_and_counters(browser: Browser, cockpit: Cockpit) -> None:
    load(browser, cockpit)
    browser.script("document.querySelector('#calls').scrollIntoView()")
    browser.screenshot(SHOTS / "overview-calls.png")
    assert browser.text("#calls-counters") == (
        "3 attempted · 2 answered · 2 active · failed: declined 1")
    table = call_cells(browser)
    assert list(table) == ["c1f0a2b3c4d5", "d2e3f4a5b6c7"]
    assert table["c1f0a2b3c4d5"] == [
        ("+4930111", "", ""), ("+4930123456789", "", ""), ("answered", "ok", ""),
        ("inbound", "", ""), ("1:12", "", "answered 2025-06-01 11:58:48 UTC"),
        ("Telekom 127.0.0.1:30004 ↔ Teams2 127.0.0.1:30006", "",
         "a: x1@217.0.0.1\nb: y1@sbc.example.com")]
    assert table["d2e3f4a5b6c7"][:5] == [
        ("anonymous", "", ""), ("+4989555", "", ""), ("ringing", "warn", ""),
        ("outbound", "", ""), ("(0:15)", "", "since 2025-06-01 11:59:45 UTC")]
    assert table["d2e3f4a5b6c7"][5][0] == "Teams1 127.0.0.1:30008 ↔ Telekom (early)"
    assert not browser.script("return document.querySelector('#calls-empty')")
    # the headers match the connection table's look: both are PatternFly tables
    assert browser.script(
        "return getComputedStyle(document.querySelector('#calls-table th')).fontWeight"
    ) == browser.script(
        "return getComputedStyle(document.querySelector('#status-compact th')).fontWeight")
    assert "pf-v5-c-table" in browser.property("#calls-table", "className")


def test_no_active_calls(browser: Browser, cockpit: Cockpit) -> None:
    doc = fixture()
    doc["calls"] = {"counters": {"attempted": 5, "answered": 4, "active": 0,
                                 "failed": {"busy": 1}, "dropped": {"no-rtp": 1}},
                    "active": []}
    cockpit.status.write_text(json.dumps(doc))
    load(browser, cockpit)
    assert browser.text("#calls-counters") == (
        "5 attempted · 4 answered · 0 active · failed: busy 1 · dropped: no-rtp 1")
    assert browser.text("#calls-empty") == "No active calls"
    assert not browser.script("return document.querySelector('#calls-table')")
    assert call_cells(browser) == {}


def test_status_of_an_sbc_without_calls(browser: Browser, cockpit: Cockpit) -> None:
    doc = fixture()
    del doc["calls"]
    cockpit.status.write_text(json.dumps(doc))
    load(browser, cockpit)
    assert browser.text("#calls-counters") == "This SBC version does not report calls."
    assert not browser.script("return document.querySelector('#calls-table')")
    assert not browser.script("return document.querySelector('#calls-empty')")
    # the rest of the page is unaffected
    assert len(browser.script("return document.querySelectorAll('#status-compact tbody tr')")) == 3
    browser.open(cockpit.section("trace"))
    wait_for(lambda: browser.text("#trace-state") == "stopped", 30, "trace state")


def test_broken_call_data_is_shown_as_far_as_it_goes(browser: Browser,
                                                     cockpit: Cockpit) -> None:
    load(browser, cockpit)
    rows = browser.script(
        "return OpenSBC.callRows({calls: {active: [null, 3, {legs: 'x'}, "
        "{id: 'e1', legs: [null, {connection: 'Teams1'}], duration_s: 3725}]}})"
        ".map(r => [r.id, r.cells.map(c => c.text)])")
    assert rows == [["", ["anonymous", "", "unknown", "—", "", ""]],
                    ["e1", ["anonymous", "", "unknown", "—", "1:02:05", "Teams1"]]]
    assert browser.script("return OpenSBC.callRows({calls: 'x'})") == []
    bypass = browser.script(
        "return OpenSBC.callRows({calls: {active: [{id: 'b1', legs: [{connection: 'Teams1',"
        " media: '198.51.100.20:50010', bypass: true}]}]}})[0].cells[5].text")
    assert bypass == "Teams1 198.51.100.20:50010 (media bypass)"
    assert browser.script("return OpenSBC.countersText({counters: null})") == (
        "0 attempted · 0 answered · 0 active")
    assert [browser.script("return OpenSBC.clock(arguments[0])", s)
            for s in (0, 7.9, 754, 3723, -4)] == ["0:00", "0:07", "12:34", "1:02:03", "0:00"]
