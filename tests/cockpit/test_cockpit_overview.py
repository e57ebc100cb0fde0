"""The Overview section: `sbc doctor --json` as a checklist with the next step and its
link, the connections with the reason when one is down (also "waiting for ..."), the
SBC's own certificate, and the page when the SBC is not running. The Teams section:
`sbc teams-setup` in a code block with a copy button."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cptest_rig import HERE, Cockpit
from cptest_webdriver import Browser, wait_for
from test_cockpit_page import alert, count, exists, open_section, section, text

SHOTS = Path(os.environ.get("OPENSBC_SCREENSHOTS", "build/screenshots"))
WAITING = "waiting for a certificate (/data/sbc.crt does not exist)"


def doc(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((HERE / "data" / name).read_text())
    return loaded


def load_overview(browser: Browser, cockpit: Cockpit) -> None:
    open_section(browser, cockpit, "overview")
    wait_for(lambda: count(browser, "#checklist [data-finding]"), 30, "checklist")
    wait_for(lambda: exists(browser, "#status-compact tbody tr")
             or exists(browser, "#status-problem"), 30, "connections")


def checklist(browser: Browser) -> list[tuple[str, str, str]]:
    """[(finding id, level, text)] as shown."""
    rows = browser.script(
        "return Array.from(document.querySelectorAll('#checklist [data-finding]')).map(li => "
        "[li.dataset.finding, li.dataset.level, li.textContent])")
    return [tuple(r) for r in rows]


def test_doctor_checklist(browser: Browser, cockpit: Cockpit) -> None:
    load_overview(browser, cockpit)
    browser.screenshot(SHOTS / "overview.png")
    report = doc("sbc-doctor.json")
    shown = checklist(browser)
    assert [(i, lvl) for i, lvl, _ in shown] == [
        (f["id"], f["level"]) for f in report["findings"]]
    # each with its icon, title and message; the action for what is not ok
    icons = browser.script(
        "return Array.from(document.querySelectorAll('#checklist [data-finding]')).map(li => "
        "li.querySelector('.pf-v5-c-icon__content').className)")
    assert [("pf-m-success" in c, "pf-m-warning" in c, "pf-m-danger" in c) for c in icons] == [
        (f["level"] == "ok", f["level"] == "warn", f["level"] == "fail")
        for f in report["findings"]]
    cert = dict((i, t) for i, _, t in shown)["cert.expiry"]
    assert "Certificate: The certificate for sbc.example.com expires in 20 days" in cert
    assert "Renew it: sbc cert csr --fqdn sbc.example.com, have it signed" in cert
    assert browser.script(  # the commands as code, not backticks
        "return document.querySelector('[data-finding=\"cert.expiry\"] code').textContent"
    ) == "sbc cert csr --fqdn sbc.example.com"
    assert browser.text("#doctor-summary") == "9 ok, 3 warning(s), 1 failure(s)"
    # the next step: highlighted in the list and above it
    assert browser.script(
        "return Array.from(document.querySelectorAll('#checklist [data-next]'))"
        ".map(li => li.dataset.finding)") == ["teams.options_out"]
    assert "(next step)" in dict((i, t) for i, _, t in shown)["teams.options_out"]
    assert "pf-m-danger" in browser.property("#next-step", "className")
    assert "Next step: OPTIONS to Teams" in browser.text("#next-step")
    assert "sbc tls-check sip2.pstnhub.microsoft.com:5061" in browser.text("#next-step")


def test_next_step_link_goes_to_its_section(browser: Browser, cockpit: Cockpit) -> None:
    load_overview(browser, cockpit)
    assert browser.text("#next-step-link") == "Go to Connections"
    browser.click("#next-step-link")
    wait_for(lambda: section(browser) == "connections", 30, "Connections section")
    assert browser.script("return window.location.hash") == "#/connections"
    # a certificate step leads to Certificates
    report = doc("sbc-doctor.json")
    report["next"] = next(f for f in report["findings"] if f["id"] == "cert.expiry")
    cockpit.doctor.write_text(json.dumps(report))
    load_overview(browser, cockpit)
    browser.click("#doctor-refresh")  # "Check again" runs sbc doctor again
    wait_for(lambda: browser.text("#next-step-link") == "Go to Certificates", 30, "cert step")
    assert "pf-m-warning" in browser.property("#next-step", "className")
    browser.click("#next-step-link")
    wait_for(lambda: section(browser) == "certificates", 30, "Certificates section")
    wait_for(lambda: exists(browser, "#certificate-title"), 30, "certificate")
    assert browser.text("#certificate-title") == "sbc.example.com"
    assert browser.text("#certificate-text") == "20 days left, until 2025-06-21 12:00 UTC"
    assert "renew it soon" in browser.text("#certificate-findings")
    browser.screenshot(SHOTS / "certificates.png")


def test_ready_box_has_no_next_step(browser: Browser, cockpit: Cockpit) -> None:
    report = doc("sbc-doctor.json")
    for f in report["findings"]:
        f.update(level="ok", action="")
    report.update(next=None, summary={"ok": len(report["findings"]), "warn": 0, "fail": 0})
    cockpit.doctor.write_text(json.dumps(report))
    load_overview(browser, cockpit)
    assert alert(browser, "#next-step") == "Ready: nothing left to doMake a test call."
    assert not exists(browser, "#next-step-link")
    assert not exists(browser, "#checklist a")


def test_connections_with_reason_and_certificate(browser: Browser, cockpit: Cockpit) -> None:
    status = doc("sbc-status.json")
    status["connections"][1].update(waiting=WAITING, options_out=None,
                                    options_in={"last_seen": None})
    status["connections"][2]["options_out"]["reason"] = "Request Timeout"
    cockpit.status.write_text(json.dumps(status))
    load_overview(browser, cockpit)
    browser.screenshot(SHOTS / "overview-waiting.png")
    rows = browser.script(
        "return Array.from(document.querySelectorAll('#status-compact tbody tr')).map(tr => "
        "[tr.dataset.connection, Array.from(tr.cells).map(td => td.textContent)])")
    assert rows == [
        ["Telekom", ["Telekom", "registered (200)", "up · 200 · 23 ms",
                     "2025-06-01 11:59:30 UTC", ""]],
        ["Teams1", ["Teams1", "not used", "waiting", "never", WAITING]],
        ["Teams2", ["Teams2", "not used", "down · 408", "never",
                    "OPTIONS down (408): Request Timeout"]],
    ]
    # the SBC's own certificate with the days left
    assert browser.text("#overview-certificate #certificate-text") == (
        "20 days left, until 2025-06-21 12:00 UTC")
    assert browser.property("#overview-certificate #certificate", "dataset")["level"] == "warn"
    # calls
    assert browser.text("#calls-counters") == (
        "3 attempted · 2 answered · 2 active · failed: declined 1")


def test_missing_certificate_and_tls_reason(browser: Browser, cockpit: Cockpit) -> None:
    status = doc("sbc-status.json")
    status["certificate"] = {"path": "/data/sbc.crt", "missing": True,
                             "error": "/data/sbc.crt does not exist"}
    status["tls"] = {"active": False, "reason": "no certificate: /data/sbc.crt does not exist"}
    cockpit.status.write_text(json.dumps(status))
    load_overview(browser, cockpit)
    wait_for(lambda: exists(browser, "#overview-certificate #certificate"), 30, "certificate")
    card = browser.text("#overview-certificate")
    assert "No certificate" in card and "/data/sbc.crt does not exist" in card
    assert "TLS listener not started: no certificate" in card
    assert browser.property("#overview-certificate #certificate", "dataset")["level"] == "bad"


def test_sbc_not_running(browser: Browser, cockpit: Cockpit) -> None:
    cockpit.status.unlink()  # the fake says what `sbc status` says then (exit 3)
    report = doc("sbc-doctor.json")
    for f in report["findings"]:
        if f["id"] == "service":
            f.update(level="fail",
                     message="The SBC is not running (no /run/opensbc/status.json).",
                     action="Start it with `systemctl start opensbc`; `systemctl status "
                            "opensbc` and `journalctl -u opensbc` say why it stopped.")
            report["next"] = f
    cockpit.doctor.write_text(json.dumps(report))
    load_overview(browser, cockpit)
    wait_for(lambda: exists(browser, "#status-problem"), 30, "not running")
    browser.screenshot(SHOTS / "overview-not-running.png")
    problem = browser.text("#status-problem")
    assert "The SBC is not running" in problem
    assert "The SBC is not running (no /run/opensbc/status.json)" in problem
    assert "What to do: Start it with systemctl start opensbc" in problem
    assert "No such file" not in browser.text("body")
    assert browser.text("#calls-counters") == "No calls: the SBC is not running."
    open_section(browser, cockpit, "connections")
    wait_for(lambda: exists(browser, "#status-problem"), 30, "not running on Connections")
    assert browser.text("#status-note") == "No status: the SBC is not running."
    # a trace asked for now starts with the SBC: said as a warning, not as a failure
    open_section(browser, cockpit, "trace")
    wait_for(lambda: exists(browser, "#status-problem"), 30, "not running on Trace")
    browser.click("#trace-start")
    wait_for(lambda: exists(browser, "#trace-message.pf-m-warning"), 30, "trace warning")
    assert alert(browser, "#trace-message") == (
        "trace requested: /data/trace/sip.pcap; "
        "The SBC is not running; the trace starts when it does.")


def test_teams_powershell_with_copy(browser: Browser, cockpit: Cockpit) -> None:
    open_section(browser, cockpit, "teams")
    wait_for(lambda: exists(browser, "#teams-code"), 30, "PowerShell")
    code = text(browser, "#teams-code")
    assert "New-CsOnlinePSTNGateway -Fqdn sbc.example.com -SipSignalingPort 5061" in code
    assert code.startswith("# OpenSBC: Teams Direct Routing for sbc.example.com.")
    assert "-MediaBypass $false -Enabled $true" in code  # media_bypass is off
    # the example's FQDN is still the template's: the warning says so, commands as code
    assert "sbc.fqdn is not configured yet" in browser.text("#teams-warnings")
    assert browser.script("return document.querySelector('#teams-warnings code').textContent") \
        == "sbc config set sbc.fqdn=NAME"
    browser.screenshot(SHOTS / "teams.png")
    browser.click("#teams-copy")
    copied = wait_for(lambda: browser.script(
        "return document.querySelector('#teams-powershell').dataset.copied"), 30, "copied")
    assert copied == code


def test_teams_setup_refused(browser: Browser, cockpit: Cockpit) -> None:
    cockpit.config.write_text("sbc: [\n")  # does not load
    open_section(browser, cockpit, "teams")
    wait_for(lambda: exists(browser, "#teams-problem"), 30, "refusal")
    assert "does not load" in browser.text("#teams-problem")
    assert not exists(browser, "#teams-code")


def test_command_failures_in_words(browser: Browser, cockpit: Cockpit) -> None:
    """What the page says for a failed command: never the raw errno text."""
    open_section(browser, cockpit, "overview")
    said = browser.script(
        "return [OpenSBC.problemText({problem: 'not-found'}, 'sbc status'),"
        " OpenSBC.problemText({problem: 'access-denied'}, 'sbc status'),"
        " OpenSBC.problemText({exitStatus: 3, err: 'sbc status: the SBC is not responding "
        "(status is 45 s old)\\n'}, 'sbc status'),"
        " OpenSBC.problemText({exitStatus: 1, err: ''}, 'sbc doctor'),"
        " OpenSBC.notRunning({ok: false, exitStatus: 3, err: ''}),"
        " OpenSBC.notRunning({ok: false, problem: 'not-found'})]")
    assert said == [
        "The sbc command is not installed on this system.",
        "Not permitted: turn on administrative access (top right) to see the SBC.",
        "The SBC is not responding (status is 45 s old)",
        "sbc doctor failed (exit status 1).",
        True, False]
