"""The Trace section: Start with "Include OPTIONS" (on while a connection is down), the
trace's files (rotated ones too), "Download all" handing over one merged pcap (the real
`sbc trace files|bundle` on files a real TraceControl wrote), and the Wireshark display
filters with copy buttons. Screenshots: build/screenshots/trace-*.png."""

from __future__ import annotations

import base64
import os
import sys
from pathlib import Path

from cptest_rig import REPO, Cockpit
from cptest_webdriver import Browser, wait_for
from test_cockpit_page import alert, count, open_section

sys.path.insert(0, str(REPO / "tests/trace"))
from sbc.trace.bundle import trace_files  # noqa: E402
from sbc.trace.control import TraceControl  # noqa: E402
from tracetest_pcap import read_pcap  # noqa: E402

SHOTS = Path(os.environ.get("OPENSBC_SCREENSHOTS", "build/screenshots"))
SBC, TEAMS = ("10.0.0.5", 5061), ("52.114.75.24", 40123)


def message(n: int) -> bytes:
    method = "OPTIONS" if n % 2 else "INVITE"
    return (f"{method} sip:+49{n}@sbc.example.com SIP/2.0\r\n"
            f"Via: SIP/2.0/TLS sbc.example.com;branch=z9hG4bK{n}\r\n"
            f"From: <sip:+4930{n}@sbc.example.com>;tag=a\r\nTo: <sip:x@y>\r\n"
            f"Call-ID: call-{n}@sbc.example.com\r\nCSeq: {n} {method}\r\n"
            "Content-Length: 0\r\n\r\n").encode()


def write_rotated_trace(path: Path, messages: int) -> TraceControl:
    """A running trace that has rotated once: sip.1.pcap and sip.pcap."""
    clock = iter(1748779200.0 + i for i in range(10000))
    trace = TraceControl(clock=lambda: next(clock))
    trace.start(path, include_options=True, max_bytes=4096, files=5)
    for n in range(messages):
        trace.record("tls", TEAMS if n % 2 else SBC, SBC if n % 2 else TEAMS, message(n))
    return trace


def downloaded(browser: Browser) -> bytes:
    encoded = browser.script(
        "const b = window.OpenSBCTraceDownload; let s = '';"
        "for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);"
        "return btoa(s)")
    return base64.b64decode(encoded)


def trace_calls(cockpit: Cockpit) -> list[str]:
    if not cockpit.log.exists():
        return []
    return [c for c in cockpit.log.read_text().splitlines() if c.startswith("trace st")]


def test_start_with_options_and_download_all(browser: Browser, cockpit: Cockpit) -> None:
    open_section(browser, cockpit, "trace")
    wait_for(lambda: browser.text("#trace-state") == "stopped", 30, "trace state")
    wait_for(lambda: browser.text("#trace-total") == "nothing yet", 30, "no files yet")
    assert count(browser, "#trace-files") == 0
    # Teams2 is down: OPTIONS are in by default
    assert browser.property("#trace-options", "checked") is True
    browser.screenshot(SHOTS / "trace-empty.png")
    browser.click("#trace-start")
    wait_for(lambda: "trace requested" in alert(browser, "#trace-message"), 30, "trace start")
    assert trace_calls(cockpit) == ["trace start --include-options"]
    assert browser.text("#trace-state") == "running"

    # the SBC writes: two files by now, and it keeps running (nothing is held back)
    trace = write_rotated_trace(cockpit.trace, 24)
    try:
        files = trace_files(cockpit.trace)
        assert [f.name for f in files] == ["sip.1.pcap", "sip.pcap"]
        written = [p.payload for f in files for p in read_pcap(f.read_bytes())[1]]
        assert written == [message(n) for n in range(24)]
        browser.click("#trace-download")
        wait_for(lambda: alert(browser, "#trace-message").startswith("Downloaded"), 30,
                 "download")
        merged = downloaded(browser)
        assert alert(browser, "#trace-message") == (
            f"Downloaded {cockpit.trace} and 1 rotated file, merged in time order "
            f"({len(merged)} bytes).")
        linktype, packets = read_pcap(merged)
        assert linktype == 101
        assert [p.payload for p in packets] == [message(n) for n in range(24)]
        assert [p.ts for p in packets] == sorted(p.ts for p in packets)
        # the file list: newest first, with sizes and packets
        wait_for(lambda: count(browser, "#trace-files tbody tr") == 2, 30, "file rows")
        rows = browser.script(
            "return Array.from(document.querySelectorAll('#trace-files tbody tr'))"
            ".map(tr => Array.from(tr.cells).map(td => td.textContent))")
        assert [r[0] for r in rows] == ["sip.pcap (current)", "sip.1.pcap"]
        assert sum(int(r[2]) for r in rows) == 24
        assert rows[1][3] == "2025-06-01 12:00:01 UTC"  # start() took 12:00:00
        assert browser.text("#trace-total").startswith("2 files, ")
        browser.screenshot(SHOTS / "trace-download-all.png")
    finally:
        trace.stop()
    browser.click("#trace-stop")
    wait_for(lambda: "trace stopped" in alert(browser, "#trace-message"), 30, "trace stop")
    assert trace_calls(cockpit) == ["trace start --include-options", "trace stop"]


def test_download_all_refuses_a_foreign_file(browser: Browser, cockpit: Cockpit) -> None:
    cockpit.trace.parent.mkdir(parents=True)
    cockpit.trace.write_bytes(b"not a capture at all\n" * 4)
    open_section(browser, cockpit, "trace")
    wait_for(lambda: count(browser, "#trace-files tbody tr") == 1, 30, "file row")
    assert browser.text("#trace-files tbody tr td:nth-child(3)") == "unreadable"
    browser.click("#trace-download")
    wait_for(lambda: "failed" in alert(browser, "#trace-message"), 30, "refusal")
    assert "not a pcap file of this trace" in alert(browser, "#trace-message")


def test_filters_with_copy(browser: Browser, cockpit: Cockpit) -> None:
    open_section(browser, cockpit, "trace")
    wait_for(lambda: count(browser, "#trace-filters [data-filter]") > 0, 30, "filters")
    filters = browser.script(
        "return Array.from(document.querySelectorAll('#trace-filters [data-filter]'))"
        ".map(e => e.dataset.filter)")
    for wanted in ("sip", 'sip.Method == "OPTIONS"', "sip.Status-Code >= 400",
                   'sip.Call-ID == "..."', 'sip.from.user contains "..."', "tls.handshake"):
        assert wanted in filters
    shown = browser.script(
        "return Array.from(document.querySelectorAll('#trace-filters [data-filter]'))"
        ".map(e => [e.querySelector('code').textContent,"
        " e.querySelector('[id$=-what]').textContent])")
    assert [s[0] for s in shown] == filters
    assert all(len(what) > 10 for _, what in shown)  # one line on what each shows
    index = filters.index("sip.Status-Code >= 400")
    browser.click(f"#trace-filter-{index} button")
    copied = wait_for(lambda: browser.script(
        "return document.querySelector(arguments[0]).dataset.copied",
        f"#trace-filter-{index}"), 30, "copied")
    assert copied == "sip.Status-Code >= 400"
    browser.screenshot(SHOTS / "trace-filters.png")
