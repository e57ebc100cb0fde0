"""The SBC page in headless Chromium, served by cockpit-ws on loopback: the status
table from the recorded `sbc status --json`, a refused FQDN, a saved change, the
trace buttons and the log. Screenshots land in build/cockpit/ (not committed)."""

from __future__ import annotations

import os
from pathlib import Path

from cptest_rig import Cockpit
from cptest_webdriver import Browser, wait_for

SHOTS = Path(os.environ.get("OPENSBC_SCREENSHOTS", "build/cockpit"))
ROWS = "#status tbody tr"


def load(browser: Browser, cockpit: Cockpit) -> None:
    browser.open(cockpit.url)
    wait_for(lambda: browser.script(f"return document.querySelectorAll('{ROWS}').length"),
             30, "status table")
    wait_for(lambda: browser.property("#fqdn", "value"), 30, "VoIP form")


def cells(browser: Browser) -> dict[str, list[tuple[str, str]]]:
    """connection -> [(text, class)] per column, read from the page."""
    rows = browser.script(
        "return Array.from(document.querySelectorAll(arguments[0])).map(tr => "
        "[tr.dataset.connection, Array.from(tr.cells).map(td => [td.textContent, td.className])])",
        ROWS)
    return {name: [tuple(c) for c in row] for name, row in rows}


def test_status_table_filled_from_fixture(browser: Browser, cockpit: Cockpit) -> None:
    load(browser, cockpit)
    browser.screenshot(SHOTS / "sbc-page.png")
    table = cells(browser)
    assert list(table) == ["Telekom", "Teams1", "Teams2"]
    assert table["Telekom"] == [
        ("Telekom", ""), ("tcp", ""), ("reg.sip-trunk.telekom.de:5060", ""),
        ("registered (200)", "ok"), ("up · 200 · 23 ms", "ok"),
        ("2025-06-01 11:59:30 UTC", "ok"), ("—", "")]
    assert table["Teams1"][3:] == [
        ("not used", ""), ("up · 200 · 41 ms", "ok"), ("2025-06-01 11:59:45 UTC", "ok"),
        ("121 days left (2025-09-30)", "ok")]
    assert table["Teams2"][4:] == [
        ("down · 408", "bad"), ("never", "warn"), ("12 days left (2025-06-13)", "warn")]
    assert browser.text("#status-note") == (
        "sbc.example.com: 3 connections, as of 2025-06-01 12:00:00 UTC")
    assert (SHOTS / "sbc-page.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the form shows the config's current values
    assert [browser.property(f"#{f}", "value") for f in
            ("fqdn", "public_ip", "wan_ip", "tls_port", "options_interval")] == [
        "sbc.example.com", "203.0.113.10", "", "5061", "60"]
    # recent log lines
    log = browser.text("#log")
    assert "Teams2: OPTIONS timeout (408)" in log
    assert "-u opensbc -n 50 -o cat --no-pager" in cockpit.log.read_text()


def test_bad_fqdn_is_refused_with_the_reason(browser: Browser, cockpit: Cockpit) -> None:
    load(browser, cockpit)
    before = cockpit.config.read_text()
    browser.type("#fqdn", "bad_name")
    browser.click("#voip-check")
    errors = wait_for(lambda: browser.text("#voip-errors"), 30, "validation errors")
    assert f"{cockpit.config}:10: sbc.fqdn: is not a valid DNS name: bad label 'bad_name'" \
        in errors
    assert "invalid" in browser.property("#fqdn", "className")
    assert "bad label 'bad_name'" in browser.text("#fqdn-error")  # next to the field
    assert "invalid" not in browser.property("#public_ip", "className")
    assert browser.text("#public_ip-error") == ""
    assert browser.text("#voip-message") == "Not saved: fix the fields marked above."
    browser.screenshot(SHOTS / "sbc-page-invalid-fqdn.png")
    browser.click("#voip-save")  # saving refuses it as well
    wait_for(lambda: "Saving" not in browser.text("#voip-message"), 30, "save answer")
    assert "bad label" in browser.text("#voip-errors")
    assert cockpit.config.read_text() == before
    assert "systemctl" not in cockpit.log.read_text()


def test_valid_parameters_are_saved(browser: Browser, cockpit: Cockpit) -> None:
    load(browser, cockpit)
    browser.type("#fqdn", "sbc2.example.com")
    browser.type("#wan_ip", "192.168.10.10")
    browser.type("#tls_port", "5067")
    browser.click("#voip-save")
    wait_for(lambda: "Saved" in browser.text("#voip-message"), 30, "saved")
    saved = cockpit.config.read_text()
    assert "  fqdn: sbc2.example.com            # CHANGE\n" in saved
    assert "  wan_ip: 192.168.10.10\n" in saved
    assert "{transport: tls, port: 5067}" in saved
    assert browser.text("#voip-errors") == ""
    # a WAN address change: rtpengine restarts with it, then the SBC reloads
    assert browser.text("#voip-message") == (
        "Saved and applied: restart opensbc-media, reload opensbc.")
    assert [line for line in cockpit.log.read_text().splitlines()
            if line.startswith("systemctl")] == [
        "systemctl restart opensbc-media.service", "systemctl reload-or-restart opensbc.service"]


def test_trace_start_stop_download(browser: Browser, cockpit: Cockpit) -> None:
    load(browser, cockpit)
    assert browser.text("#trace-state") == "stopped"
    browser.click("#trace-start")
    wait_for(lambda: "trace started" in browser.text("#trace-message"), 30, "trace start")
    browser.click("#trace-stop")
    wait_for(lambda: "trace stopped" in browser.text("#trace-message"), 30, "trace stop")
    calls = cockpit.log.read_text().splitlines()
    assert [c for c in calls if c.startswith("trace")] == ["trace start", "trace stop"]
    browser.click("#trace-download")
    wait_for(lambda: "No trace file yet" in browser.text("#trace-message"), 30, "no file")
    cockpit.trace.parent.mkdir()
    cockpit.trace.write_bytes(b"\xd4\xc3\xb2\xa1" + bytes(20))  # a pcap header
    browser.click("#trace-download")
    wait_for(lambda: "Downloaded" in browser.text("#trace-message"), 30, "download")
    assert browser.text("#trace-message") == f"Downloaded {cockpit.trace} (24 bytes)."
