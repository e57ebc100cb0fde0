"""The Logging section in headless Chromium under cockpit-ws: the remote syslog target
saved through the real `sbc config set|remove --json` (the file changes, the SBC is
reloaded; a refused host leaves the file byte for byte as it was, the error under the
field), and the recent log read from the recorded journal (`journalctl -o json`,
tests/cockpit/data/journal-opensbc.json) with its severity and connection filters.
With rsyslogd installed, a target saved in the browser reaches a real rsyslogd on
loopback from the real `sbc run` after its reload. Screenshots:
build/screenshots/logging-*.png."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest
from cptest_rig import Cockpit
from cptest_webdriver import Browser, wait_for
from peers.rsyslogd import rsyslogd
from peers.sbcproc import Pki, Ports, SbcProcess, sbc_yaml
from sbc.config.cli import main
from test_cockpit_page import alert, count, exists, open_section, text

REPO = Path(__file__).resolve().parents[2]

SHOTS = Path(os.environ.get("OPENSBC_SCREENSHOTS", "build/screenshots"))
ROWS = "#log tbody tr"
JOURNAL = "-u opensbc -o json -n 500 --all --no-pager"


def load_syslog(browser: Browser, cockpit: Cockpit) -> None:
    open_section(browser, cockpit, "log")
    wait_for(lambda: browser.property("#syslog-port", "value") == "514", 30, "syslog form")


def choose(browser: Browser, select: str, value: str) -> None:
    browser.click(f"{select} option[value='{value}']")
    wait_for(lambda: browser.property(select, "value") == value, 10, f"{select} = {value}")


def systemctl(cockpit: Cockpit) -> list[str]:
    if not cockpit.log.exists():
        return []
    return [line for line in cockpit.log.read_text().splitlines() if line.startswith("systemctl")]


def rows(browser: Browser) -> list[list[str]]:
    return list(browser.script(
        "return Array.from(document.querySelectorAll(arguments[0])).map(tr =>"
        " Array.from(tr.cells).map(td => td.textContent))", ROWS))


def test_syslog_target_saved_applied_and_removed(browser: Browser, cockpit: Cockpit) -> None:
    original = cockpit.config.read_bytes()
    load_syslog(browser, cockpit)
    assert browser.text("#syslog-state") == "off"
    assert browser.property("#syslog-host", "value") == ""
    assert browser.property("#syslog-protocol", "value") == "udp"
    assert browser.property("#syslog-facility", "value") == "local0"
    note = browser.text("#syslog-note")
    for what in ("registration results", "OPTIONS state changes", "TLS failures", "CDR"):
        assert what in note
    assert not exists(browser, "#syslog-remove")  # nothing to remove yet
    assert not exists(browser, "#syslog-ca_file")  # only with TLS
    browser.type("#syslog-host", "192.168.10.5")
    choose(browser, "#syslog-protocol", "tls")
    assert browser.property("#syslog-port", "value") == "6514"  # follows the protocol
    assert exists(browser, "#syslog-ca_file")
    choose(browser, "#syslog-protocol", "tcp")
    assert browser.property("#syslog-port", "value") == "514"
    choose(browser, "#syslog-facility", "local3")
    browser.type("#syslog-hostname", "sbc-berlin")
    browser.click("#syslog-save")
    wait_for(lambda: "Saved" in alert(browser, "#syslog-message"), 30, "saved")
    assert alert(browser, "#syslog-message") == "Saved and applied: reload opensbc."
    saved = cockpit.config.read_text()
    assert saved.startswith(original.decode())  # the rest of the file as it was
    assert saved[len(original):] == (
        "syslog:\n  host: 192.168.10.5\n  protocol: tcp\n  facility: local3\n"
        "  hostname: sbc-berlin\n")  # port 514 is the default: no line for it
    assert systemctl(cockpit) == ["systemctl reload-or-restart opensbc.service"]
    wait_for(lambda: browser.text("#syslog-state") == "on", 30, "reloaded form")
    assert browser.property("#syslog-host", "value") == "192.168.10.5"
    assert not exists(browser, "#syslog-host-error")
    browser.screenshot(SHOTS / "logging-syslog-saved.png")

    # the port alone: one line changes, another reload
    browser.type("#syslog-port", "1514")
    browser.click("#syslog-save")
    wait_for(lambda: "1514" in cockpit.config.read_text(), 30, "port saved")
    # the answer is in once the button is enabled again (it is disabled while saving)
    wait_for(lambda: not browser.property("#syslog-save", "disabled"), 30, "second answer")
    assert alert(browser, "#syslog-message") == "Saved and applied: reload opensbc."
    assert cockpit.config.read_text()[len(original):] == (  # a new key goes last
        "syslog:\n  host: 192.168.10.5\n  protocol: tcp\n  facility: local3\n"
        "  hostname: sbc-berlin\n  port: 1514\n")
    assert len(systemctl(cockpit)) == 2
    wait_for(lambda: browser.property("#syslog-port", "value") == "1514", 30, "form reloaded")

    # "Remove target": the whole section goes, the file is the original again
    browser.click("#syslog-remove")
    wait_for(lambda: "removed" in alert(browser, "#syslog-message"), 30, "removed")
    assert alert(browser, "#syslog-message") == "Remote syslog removed and applied: reload opensbc."
    assert cockpit.config.read_bytes() == original
    assert len(systemctl(cockpit)) == 3
    wait_for(lambda: browser.text("#syslog-state") == "off", 30, "off again")
    assert browser.property("#syslog-host", "value") == ""


def test_bad_host_is_refused_under_its_field(browser: Browser, cockpit: Cockpit) -> None:
    original = cockpit.config.read_bytes()
    load_syslog(browser, cockpit)
    browser.type("#syslog-host", "syslog.example.net")
    browser.click("#syslog-save")
    wait_for(lambda: exists(browser, "#syslog-host-error"), 30, "host error")
    assert browser.text("#syslog-host-error") == (
        "must be an IP address (got 'syslog.example.net')")
    assert browser.property("#syslog-host", "ariaInvalid") == "true"
    assert browser.script(  # in the host's own form group, right under the input
        "return document.querySelector('#syslog-host').closest('.pf-v5-c-form__group')"
        ".contains(document.querySelector('#syslog-host-error'))") is True
    assert browser.property("#syslog-port", "ariaInvalid") == "false"
    assert alert(browser, "#syslog-message") == "Not saved: fix the fields marked above."
    assert cockpit.config.read_bytes() == original
    assert systemctl(cockpit) == []
    browser.screenshot(SHOTS / "logging-bad-host.png")
    # a bad port is the port's error, the file still untouched
    browser.type("#syslog-host", "192.168.10.5")
    browser.type("#syslog-port", "70000")
    browser.click("#syslog-save")
    wait_for(lambda: exists(browser, "#syslog-port-error"), 30, "port error")
    assert not exists(browser, "#syslog-host-error")
    assert "70000" in browser.text("#syslog-port-error")
    assert cockpit.config.read_bytes() == original
    assert systemctl(cockpit) == []


def test_recent_log_filters(browser: Browser, cockpit: Cockpit) -> None:
    open_section(browser, cockpit, "log")
    wait_for(lambda: count(browser, ROWS) == 14, 30, "log table")
    assert JOURNAL in cockpit.log.read_text()
    table = rows(browser)
    # newest first, UTC; the message journald kept as bytes is read as text
    assert table[0] == ["2025-06-01 11:59:01", "Warning", "Teams3",
                        "Teams3: OPTIONS status down (no response)"]  # without the ESC
    assert table[2] == ["2025-06-01 11:58:00", "Critical", "Telekom",
                        "Telekom: registration failed (no response), retrying in 120 s"]
    cdr = next(r for r in table if r[3].startswith("call_id="))
    assert cdr[2] == "Telekom, Teams1"  # a CDR names both legs
    assert table[-1] == ["2025-06-01 11:50:00", "Info", "",
                         "systemd: Started opensbc.service - OpenSBC session border controller."]
    assert "14 lines" in browser.text("#log-count")
    options = browser.script(
        "return Array.from(document.querySelectorAll('#log-connection option'))"
        ".map(o => o.textContent)")
    assert options == ["All connections", "Telekom", "Teams (Teams1, Teams2, Teams3)",
                       "Teams1", "Teams2", "Teams3"]

    choose(browser, "#log-severity", "err")
    wait_for(lambda: count(browser, ROWS) == 2, 10, "errors only")
    assert [r[1] for r in rows(browser)] == ["Critical", "Error"]
    choose(browser, "#log-severity", "warning")
    wait_for(lambda: count(browser, ROWS) == 7, 10, "warnings and above")
    assert {r[1] for r in rows(browser)} == {"Critical", "Error", "Warning"}
    assert browser.text("#log-count").startswith("7 of 14 lines")

    choose(browser, "#log-connection", "Telekom")
    wait_for(lambda: count(browser, ROWS) == 2, 10, "Telekom's warnings")
    assert [r[3] for r in rows(browser)] == [
        "Telekom: registration failed (no response), retrying in 120 s",
        "Telekom: registration failed (403 Forbidden), retrying in 60 s"]
    browser.screenshot(SHOTS / "logging-filtered.png")
    choose(browser, "#log-severity", "all")
    wait_for(lambda: count(browser, ROWS) == 4, 10, "all of Telekom")
    assert all("Telekom" in r[2] for r in rows(browser))
    choose(browser, "#log-connection", "Teams2")
    wait_for(lambda: count(browser, ROWS) == 2, 10, "Teams2")
    assert [r[1] for r in rows(browser)] == ["Error", "Warning"]
    choose(browser, "#log-connection", "Teams")  # the entry: Teams1-3
    wait_for(lambda: count(browser, ROWS) == 6, 10, "Teams1-3")
    choose(browser, "#log-severity", "err")
    wait_for(lambda: count(browser, ROWS) == 1, 10, "Teams errors")
    choose(browser, "#log-connection", "Teams1")
    wait_for(lambda: exists(browser, "#log-empty"), 10, "nothing matches")
    assert text(browser, "#log-empty") == "No lines match these filters."

    # Refresh reads the journal again
    choose(browser, "#log-connection", "")
    choose(browser, "#log-severity", "all")
    calls = cockpit.log.read_text().count(JOURNAL)
    browser.click("#log-refresh")
    wait_for(lambda: cockpit.log.read_text().count(JOURNAL) == calls + 1, 30, "refresh")
    wait_for(lambda: count(browser, ROWS) == 14
             and not browser.property("#log-refresh", "disabled"), 30, "table again")
    browser.script("document.querySelector('#log-card').scrollIntoView()")
    browser.screenshot(SHOTS / "logging-log.png")
    # the shell's dark style (as test_dark_theme_follows_the_shell sets it)
    browser.script("localStorage.setItem('shell:style', 'dark')")
    browser.script("location.reload()")
    wait_for(lambda: count(browser, ROWS) == 14, 30, "dark reload")
    choose(browser, "#log-severity", "warning")
    browser.screenshot(SHOTS / "logging-dark.png")
    browser.script("localStorage.removeItem('shell:style')")


# --- `sbc config remove syslog`: the page's "Remove target" (no browser) ----------------


def config(capsys: pytest.CaptureFixture[str], path: Path, *argv: str) -> dict[str, Any]:
    assert main(["config", *argv, "--json", "--no-apply", "--config", str(path)]) == 0
    return dict(json.loads(capsys.readouterr().out))


def test_remove_the_syslog_section(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "sbc.yaml"
    example = (REPO / "examples/appliance.yaml").read_text()
    path.write_text(example)
    got = config(capsys, path, "set", "syslog.host=192.168.10.5", "syslog.port=514",
                 "syslog.protocol=tls", "syslog.facility=local0", "syslog.hostname=")
    assert got["saved"] and got["changed"] == ["syslog.host", "syslog.protocol"]
    assert path.read_text().endswith("syslog:\n  host: 192.168.10.5\n  protocol: tls\n")
    # emptying the host alone would leave a section without its required host
    got = config(capsys, path, "set", "syslog.host=")
    assert not got["saved"] and [e["field"] for e in got["errors"]] == ["syslog.host"]
    got = config(capsys, path, "remove", "syslog")
    assert got["ok"] and got["saved"] and got["changed"] == ["syslog"]
    assert got["effects"] == ["reload opensbc"]
    assert path.read_text() == example  # comments and layout as they were
    got = config(capsys, path, "remove", "syslog")  # nothing left to remove
    assert got["ok"] and not got["saved"] and got["changed"] == []
    # `syslog=` (KEY= removes it) does the same
    config(capsys, path, "set", "syslog.host=192.168.10.5")
    assert config(capsys, path, "set", "syslog=")["changed"] == ["syslog"]
    assert path.read_text() == example
    # `sbc` is required: never removed as a whole
    got = config(capsys, path, "remove", "sbc")
    assert not got["ok"] and got["errors"][0]["field"] == "sbc"
    assert path.read_text() == example


def test_remove_a_media_section_restarts_media(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "sbc.yaml"
    path.write_text((REPO / "examples/appliance.yaml").read_text() + "media:\n  port_min: 31000\n")
    got = config(capsys, path, "remove", "media")
    assert got["changed"] == ["media"]
    assert got["effects"] == ["restart opensbc-media", "reload opensbc"]
    assert "media:\n" not in path.read_text().replace("# media:", "")


# --- end to end: the saved target makes a real rsyslogd receive the SBC's lines --------


@pytest.mark.peers
def test_saved_target_reaches_rsyslogd(browser: Browser, cockpit: Cockpit,
                                       tmp_path: Path) -> None:
    missing = tmp_path / "no-certificate-yet"  # the TLS listener waits; UDP/TCP run
    pki = Pki(missing, missing / "ca.pem", missing / "sbc.crt", missing / "sbc.key")
    with rsyslogd(tmp_path / "rsyslog") as syslog:
        sbc = SbcProcess(cockpit.config.parent, sbc_yaml(pki, Ports.fresh()))
        assert sbc.config == cockpit.config  # the file the page edits
        sbc.start()
        try:
            load_syslog(browser, cockpit)
            browser.type("#syslog-host", "127.0.0.1")
            browser.type("#syslog-port", str(syslog.port))
            browser.click("#syslog-save")
            wait_for(lambda: "Saved" in alert(browser, "#syslog-message"), 30, "saved")
            assert f"syslog:\n  host: 127.0.0.1\n  port: {syslog.port}\n" \
                in cockpit.config.read_text()
            # what `systemctl reload-or-restart opensbc.service` does: SIGHUP
            assert systemctl(cockpit) == ["systemctl reload-or-restart opensbc.service"]
            # The reload that takes the target logs "config reloaded" through the old
            # sinks (the journal only); the next one goes through the new target as well.
            def reached() -> str | None:
                sbc.signal(signal.SIGHUP)
                return next((x for x in syslog.lines() if "config reloaded" in x), None)

            line = wait_for(reached, 30, "a line at rsyslogd", interval=1.0)
            assert sbc.alive(), sbc.output()
            assert " sbc.lab.test opensbc " in line  # RFC 5424, HOSTNAME = the FQDN
            assert line.startswith("<134>1 ")  # local0.info
        finally:
            sbc.stop()
