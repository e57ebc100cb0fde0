"""The SBC page in headless Chromium, served by cockpit-ws on loopback: navigation by
Cockpit's URL (#/section), the connections table from the recorded `sbc status --json`,
a refused FQDN next to its field, a saved change, the trace buttons and the log.
Screenshots land in build/screenshots/ (not committed)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cptest_rig import Cockpit
from cptest_webdriver import Browser, wait_for

SHOTS = Path(os.environ.get("OPENSBC_SCREENSHOTS", "build/screenshots"))
ROWS = "#status tbody tr"
FIELDS = ("fqdn", "public_ip", "wan_ip", "tls_port", "options_interval")


def count(browser: Browser, css: str) -> int:
    return int(browser.script("return document.querySelectorAll(arguments[0]).length", css))


def exists(browser: Browser, css: str) -> bool:
    return count(browser, css) > 0


def text(browser: Browser, css: str) -> str:
    """textContent (also of hidden parts), '' when there is no such element."""
    return str(browser.script(
        "const e = document.querySelector(arguments[0]); return e ? e.textContent : ''", css))


def alert(browser: Browser, css: str) -> str:
    """An alert's words as read, without PatternFly's screen-reader prefix ("Danger alert:")."""
    return str(browser.script(
        "const e = document.querySelector(arguments[0]); if (!e) return '';"
        "const c = e.cloneNode(true);"
        "c.querySelectorAll('.pf-v5-screen-reader').forEach(s => s.remove());"
        "return c.textContent", css))


def section(browser: Browser) -> Any:
    return browser.script(
        "const a = document.querySelector('#sections .pf-m-current');"
        "return a ? a.dataset.section : null")


def open_section(browser: Browser, cockpit: Cockpit, name: str) -> None:
    browser.open(cockpit.section(name))
    wait_for(lambda: section(browser) == name, 30, f"section {name}")


def load_connections(browser: Browser, cockpit: Cockpit) -> None:
    open_section(browser, cockpit, "connections")
    wait_for(lambda: count(browser, ROWS), 30, "status table")


def load_voip(browser: Browser, cockpit: Cockpit) -> None:
    open_section(browser, cockpit, "voip")
    wait_for(lambda: browser.property("#fqdn", "value"), 30, "VoIP form")


def cells(browser: Browser) -> dict[str, list[tuple[str, str]]]:
    """connection -> [(text, level)] per column, read from the page."""
    rows = browser.script(
        "return Array.from(document.querySelectorAll(arguments[0])).map(tr => "
        "[tr.dataset.connection, Array.from(tr.cells).map(td => "
        "[td.textContent, td.dataset.level || ''])])",
        ROWS)
    return {name: [tuple(c) for c in row] for name, row in rows}


def test_navigation_follows_cockpit_location(browser: Browser, cockpit: Cockpit) -> None:
    browser.open(cockpit.url)
    wait_for(lambda: section(browser) == "overview", 30, "overview by default")
    labels = browser.script(
        "return Array.from(document.querySelectorAll('#sections a')).map(a => a.textContent)")
    assert labels == ["Overview", "Connections", "VoIP parameters", "Certificates", "Routing",
                      "Logging", "Trace", "Teams", "Backup"]
    browser.click("#sections a[data-section=voip]")
    wait_for(lambda: section(browser) == "voip", 30, "VoIP section")
    assert browser.script("return window.location.hash") == "#/voip"
    assert browser.script("return cockpit.location.path") == ["voip"]
    browser.open(cockpit.section("teams"))  # a link into a section (the shell's /opensbc#/teams)
    wait_for(lambda: section(browser) == "teams", 30, "Teams section")
    # PatternFly's own components, no page-specific buttons
    assert browser.script(
        "return Array.from(document.querySelectorAll('button')).every(b => "
        "b.className.includes('pf-v5-c-'))")


def test_status_table_filled_from_fixture(browser: Browser, cockpit: Cockpit) -> None:
    load_connections(browser, cockpit)
    browser.screenshot(SHOTS / "connections.png")
    table = cells(browser)
    assert list(table) == ["Telekom", "Teams1", "Teams2"]
    assert table["Telekom"] == [
        ("Telekom", ""), ("tcp", ""), ("reg.sip-trunk.telekom.de:5060", ""),
        ("registered (200)", "ok"), ("up · 200 · 23 ms", "ok"),
        ("2025-06-01 11:59:30 UTC", "ok"), ("—", ""), ("", "")]
    assert table["Teams1"][3:] == [
        ("not used", ""), ("up · 200 · 41 ms", "ok"), ("2025-06-01 11:59:45 UTC", "ok"),
        ("121 days left (2025-09-30)", "ok"), ("", "")]
    assert table["Teams2"][4:] == [
        ("down · 408", "bad"), ("never", "warn"), ("12 days left (2025-06-13)", "warn"),
        ("OPTIONS down (408)", "")]
    assert browser.text("#status-note") == (
        "sbc.example.com: 3 connections, as of 2025-06-01 12:00:00 UTC")
    assert (SHOTS / "connections.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_log(browser: Browser, cockpit: Cockpit) -> None:
    open_section(browser, cockpit, "log")
    wait_for(lambda: "Teams2: OPTIONS status down (408 Request Timeout)" in text(browser, "#log"),
             30, "log")
    assert "-u opensbc -o json -n 500 --all --no-pager" in cockpit.log.read_text()
    browser.screenshot(SHOTS / "log.png")


def test_voip_form_shows_the_config(browser: Browser, cockpit: Cockpit) -> None:
    load_voip(browser, cockpit)
    assert [browser.property(f"#{f}", "value") for f in FIELDS] == [
        "sbc.example.com", "203.0.113.10", "", "5061", "60"]
    # the reminder next to the TLS port
    assert browser.text("#tls_port-help") == "Enter the same port as SipSignalingPort in Teams."
    group = browser.script(
        "return document.querySelector('#tls_port').closest('.pf-v5-c-form__group')"
        ".contains(document.querySelector('#tls_port-help'))")
    assert group is True
    browser.screenshot(SHOTS / "voip.png")


def test_bad_fqdn_is_refused_next_to_its_field(browser: Browser, cockpit: Cockpit) -> None:
    load_voip(browser, cockpit)
    before = cockpit.config.read_text()
    browser.type("#fqdn", "bad_name")
    browser.click("#voip-check")
    errors = wait_for(lambda: exists(browser, "#voip-errors") and text(browser, "#voip-errors"),
                      30, "validation errors")
    assert f"{cockpit.config}:10: sbc.fqdn: is not a valid DNS name: bad label 'bad_name'" \
        in errors
    assert browser.property("#fqdn", "ariaInvalid") == "true"
    assert "pf-m-error" in browser.script(
        "return document.querySelector('#fqdn').closest('.pf-v5-c-form-control').className")
    # the error sits in the FQDN's own form group, right under the input
    assert "bad label 'bad_name'" in browser.text("#fqdn-error")
    assert browser.script(
        "return document.querySelector('#fqdn').closest('.pf-v5-c-form__group')"
        ".contains(document.querySelector('#fqdn-error'))") is True
    assert browser.property("#public_ip", "ariaInvalid") == "false"
    assert not exists(browser, "#public_ip-error")
    assert alert(browser, "#voip-message") == "Not saved: fix the fields marked above."
    browser.screenshot(SHOTS / "voip-invalid-fqdn.png")
    browser.click("#voip-save")  # saving refuses it as well
    wait_for(lambda: "Saving" not in alert(browser, "#voip-message"), 30, "save answer")
    assert "bad label" in text(browser, "#voip-errors")
    assert cockpit.config.read_text() == before
    assert not cockpit.log.exists() or "systemctl" not in cockpit.log.read_text()


def test_tls_port_error_next_to_the_port(browser: Browser, cockpit: Cockpit) -> None:
    load_voip(browser, cockpit)
    browser.type("#tls_port", "70000")
    browser.click("#voip-check")
    wait_for(lambda: exists(browser, "#tls_port-error"), 30, "port error")
    # sbc.listen[2].port names the TLS listener: the error is the TLS port's
    assert browser.text("#tls_port-error") == "must be between 1 and 65535 (got 70000)"
    assert not exists(browser, "#fqdn-error")
    assert browser.text("#tls_port-help") == "Enter the same port as SipSignalingPort in Teams."


def test_valid_parameters_are_saved(browser: Browser, cockpit: Cockpit) -> None:
    load_voip(browser, cockpit)
    browser.type("#fqdn", "sbc2.example.com")
    browser.type("#wan_ip", "192.168.10.10")
    browser.type("#tls_port", "5067")
    browser.click("#voip-save")
    wait_for(lambda: "Saved" in alert(browser, "#voip-message"), 30, "saved")
    saved = cockpit.config.read_text()
    assert "  fqdn: sbc2.example.com            # CHANGE\n" in saved
    assert "  wan_ip: 192.168.10.10\n" in saved
    assert "{transport: tls, port: 5067}" in saved
    assert not exists(browser, "#voip-errors")
    # a WAN address change: rtpengine restarts with it, then the SBC reloads
    assert alert(browser, "#voip-message") == (
        "Saved and applied: restart opensbc-media, reload opensbc.")
    assert [line for line in cockpit.log.read_text().splitlines()
            if line.startswith("systemctl")] == [
        "systemctl restart opensbc-media.service", "systemctl reload-or-restart opensbc.service"]


def test_trace_start_stop_download(browser: Browser, cockpit: Cockpit) -> None:
    open_section(browser, cockpit, "trace")
    wait_for(lambda: browser.text("#trace-state") == "stopped", 30, "trace state")
    # a connection is down (Teams2): OPTIONS are traced by default
    assert browser.property("#trace-options", "checked") is True
    assert browser.text("#trace-options-help").startswith(
        "On by default while a connection is down (Teams2)")
    assert browser.property("#trace-stop", "disabled") is True  # nothing to stop
    browser.screenshot(SHOTS / "trace.png")
    browser.click("#trace-start")
    wait_for(lambda: "trace requested" in alert(browser, "#trace-message"), 30, "trace start")
    assert browser.text("#trace-state") == "running"
    browser.click("#trace-stop")
    wait_for(lambda: "trace stopped" in alert(browser, "#trace-message"), 30, "trace stop")
    browser.click("#trace-options + .pf-v5-c-switch__toggle")  # OPTIONS off
    assert browser.property("#trace-options", "checked") is False
    browser.click("#trace-start")
    wait_for(lambda: len([c for c in cockpit.log.read_text().splitlines()
                          if c.startswith("trace")]) == 3, 30, "second start")
    calls = cockpit.log.read_text().splitlines()
    assert [c for c in calls if c.startswith("trace")] == [
        "trace start --include-options", "trace stop", "trace start"]
    browser.click("#trace-download")
    wait_for(lambda: "No trace file yet" in alert(browser, "#trace-message"), 30, "no file")
    cockpit.trace.parent.mkdir()
    cockpit.trace.write_bytes(b"\xd4\xc3\xb2\xa1" + bytes(20))  # a pcap header
    browser.click("#trace-download")
    wait_for(lambda: "Downloaded" in alert(browser, "#trace-message"), 30, "download")
    assert alert(browser, "#trace-message") == f"Downloaded {cockpit.trace} (24 bytes)."


def test_dark_theme_follows_the_shell(browser: Browser, cockpit: Cockpit) -> None:
    """The shell's style choice (localStorage shell:style) as Cockpit's own pages read it."""
    browser.open(cockpit.section("overview"))
    wait_for(lambda: section(browser) == "overview", 30, "page")
    dark = "return document.documentElement.classList.contains('pf-v5-theme-dark')"
    assert browser.script(dark) is False
    browser.script("localStorage.setItem('shell:style', 'dark')")
    browser.open(cockpit.section("connections"))
    browser.script("location.reload()")
    wait_for(lambda: section(browser) == "connections" and count(browser, ROWS), 30, "reload")
    assert browser.script(dark) is True
    browser.screenshot(SHOTS / "connections-dark.png")
    # the shell announces a change without a reload
    browser.script("window.dispatchEvent(new CustomEvent('cockpit-style', "
                   "{detail: {style: 'light'}}))")
    assert browser.script(dark) is False
    browser.script("localStorage.removeItem('shell:style')")
