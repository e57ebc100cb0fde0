"""The whole walkthrough in the browser, on a box with only the seeded config, against
the real SBC and real peers (tests/cockpit/cptest_box.py): VoIP parameters; the Telekom
connection from its profile, registered; Teams (Generic) as Teams1-3; a request created,
signed by the test CA, the certificate and its root imported, the checks green and
Teams1 up both ways over mutual TLS; a syslog target whose lines reach a real rsyslogd;
a routing rule and a number tested; one call seen in the Calls table; a trace with
OPTIONS downloaded and read by tshark; a backup downloaded, the config changed and the
backup restored. Each bad input on the way (an IP as FQDN, a port in use, a certificate
for another name, a malformed regex) is refused next to its field with the file
unchanged. Screenshots: build/screenshots/walkthrough-*.png (docs/walkthrough.md)."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cptest_box import Box, running_box
from cptest_webdriver import Browser, wait_for
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID
from peers.sbcproc import AUTH_USER, FQDN, LINE, PASSWORD
from sbc.certs.pem import certificates_pem, load_private_key
from test_cockpit_page import alert, exists, text

pytestmark = pytest.mark.peers
SHOTS = Path(os.environ.get("OPENSBC_SCREENSHOTS", "build/screenshots"))
MODAL = "#connection-modal"
CAPTURE = (  # what the page hands the browser to save, kept for the test
    "window.__saved = null; window.__name = null; const make = URL.createObjectURL;"
    "URL.createObjectURL = b => { b.arrayBuffer().then(a => { const u = new Uint8Array(a);"
    "  let s = ''; for (let i = 0; i < u.length; i++) s += String.fromCharCode(u[i]);"
    "  window.__saved = btoa(s) }); return make(b) };"
    "HTMLAnchorElement.prototype.click = function () { window.__name = this.download };")


@pytest.fixture
def box(tmp_path: Path, built_page: Path) -> Iterator[Box]:
    if shutil.which("tshark") is None:
        pytest.skip("tshark not installed (tools/host-deps test installs it)")
    with running_box(tmp_path, built_page) as the_box:
        yield the_box


class Walk:
    """The admin at the browser: open a section, type, click, and a screenshot per step."""

    def __init__(self, browser: Browser, box: Box) -> None:
        self.browser = browser
        self.box = box
        self.shots = 0

    def open(self, name: str) -> None:
        self.browser.open(self.box.section(name))
        wait_for(lambda: self.browser.script(
            "const a = document.querySelector('#sections .pf-m-current');"
            "return a ? a.dataset.section : null") == name, 30, f"section {name}")

    def shot(self, name: str) -> None:
        self.shots += 1
        self.browser.screenshot(SHOTS / f"walkthrough-{self.shots:02d}-{name}.png")

    def wait(self, check: Any, what: str, timeout: float = 30) -> Any:
        try:
            return wait_for(check, timeout, what)
        except TimeoutError as exc:
            self.browser.screenshot(SHOTS / "walkthrough-failed.png")
            page = self.browser.script("return document.body.innerText")
            raise AssertionError(f"{exc}\n--- the page\n{page[-3000:]}\n"
                                 f"--- SBC log\n{self.box.output()}") from None

    def connection(self, name: str) -> dict[str, Any]:
        return self.box.connection(name)

    def reloaded(self, since: float) -> None:
        """The SBC read the file again after `since`, and took it."""
        def last() -> dict[str, Any] | None:
            found = (self.box.status().get("config") or {}).get("last_reload") or {}
            return found if found.get("at", 0) >= since else None
        assert self.wait(last, "the SBC's reload")["ok"], self.box.status()["config"]


def test_walkthrough_in_the_browser(browser: Browser, box: Box) -> None:
    walk = Walk(browser, box)
    overview(walk)
    voip(walk)
    telekom(walk)
    teams(walk)
    certificate(walk)
    syslog(walk)
    routing(walk)
    pcap = call_with_trace(walk)
    decoded = subprocess.run(
        ["tshark", "-r", str(pcap), "-Y", "sip", "-T", "fields", "-e", "sip.CSeq.method"],
        capture_output=True, text=True, timeout=60, check=True).stdout.split()
    assert "OPTIONS" in decoded and "INVITE" in decoded and "BYE" in decoded, decoded
    backup(walk)


def overview(walk: Walk) -> None:
    """The box as the wizard left it: the checklist says what to do next."""
    walk.open("overview")
    walk.wait(lambda: exists(walk.browser, "#next-step"), "the next step")
    walk.shot("overview-seeded")


def voip(walk: Walk) -> None:
    b, config = walk.browser, walk.box.config
    walk.open("voip")
    walk.wait(lambda: b.property("#fqdn", "value") == FQDN, "the form")
    before = config.read_bytes()
    # an IP address as FQDN: refused under the field, nothing written
    b.type("#fqdn", "127.0.0.1")
    b.click("#voip-save")
    walk.wait(lambda: exists(b, "#fqdn-error"), "the FQDN error")
    assert "IP address" in text(b, "#fqdn-error")
    assert config.read_bytes() == before
    walk.shot("voip-ip-as-fqdn")
    # a port another program holds (cockpit-ws here): refused under the TLS port
    held = int(walk.box.url.split(":")[2].split("/")[0])
    b.type("#fqdn", FQDN)
    b.type("#tls_port", str(held))
    b.click("#voip-save")
    walk.wait(lambda: exists(b, "#tls_port-error"), "the port error")
    assert f"port {held} is in use" in text(b, "#tls_port-error")
    assert config.read_bytes() == before
    walk.shot("voip-port-in-use")
    # the right values: saved and the SBC reloaded
    since = time.time()
    b.type("#tls_port", str(walk.box.ports.tls))
    b.type("#options_interval", "10")
    b.click("#voip-save")
    walk.wait(lambda: alert(b, "#voip-message").startswith("Saved"), "saved")
    assert alert(b, "#voip-message") == "Saved and applied: reload opensbc."
    assert "  options_interval: 10\n" in config.read_text()
    walk.reloaded(since)
    walk.shot("voip-saved")


def open_add(walk: Walk, profile: str) -> None:
    b = walk.browser
    walk.wait(lambda: b.property("#connection-add", "disabled") is False, "profiles")
    b.click("#connection-add")
    walk.wait(lambda: exists(b, "#connection-profile"), "the add dialog")
    b.click(f"#connection-profile option[value='{profile}']")
    walk.wait(lambda: exists(b, f"{MODAL} [data-field]"), "the profile's fields")


def entries(b: Browser) -> list[str]:
    return list(b.script("return Array.from(document.querySelectorAll('#entries tbody tr'))"
                         ".map(tr => tr.dataset.entry)"))


def status_row(b: Browser, name: str) -> str:
    return str(b.script(
        "const r = Array.from(document.querySelectorAll('#status tbody tr'))"
        ".find(tr => tr.cells[0] && tr.cells[0].innerText.trim() === arguments[0]);"
        "return r ? r.innerText : ''", name))


def telekom(walk: Walk) -> None:
    b = walk.browser
    walk.open("connections")
    walk.wait(lambda: entries(b) == ["Teams"], "the seeded Teams entry")
    open_add(walk, "telekom-deutschlandlan")
    b.type("#conn-field-line_number", LINE)
    b.type("#conn-field-auth_user", AUTH_USER)
    b.type("#conn-field-password", PASSWORD)
    b.click("label[for=conn-field-options]")  # the lab's registrar answers no OPTIONS
    walk.shot("telekom-add")
    b.click("#connection-submit")
    walk.wait(lambda: not exists(b, MODAL), "the dialog closed")
    assert alert(b, "#connections-message") == (
        "Added Telekom: saved and applied (reload opensbc).")
    walk.wait(lambda: (walk.connection("Telekom").get("registration") or {}).get("state")
              == "registered", "Telekom registered", 60)
    walk.wait(lambda: "registered" in status_row(b, "Telekom"), "registered on the page")
    walk.shot("telekom-registered")


def teams(walk: Walk) -> None:
    """The seeded Teams entry goes, Teams (Generic) is added with the lab's network."""
    b = walk.browser
    b.click("#entries tr[data-entry=Teams] button[data-action=remove]")
    walk.wait(lambda: exists(b, "#remove-modal"), "the confirmation")
    b.click("#remove-confirm")
    walk.wait(lambda: entries(b) == ["Telekom"], "Teams removed")
    open_add(walk, "teams-generic")
    listed = b.script("return Array.from(document.querySelectorAll('#connection-expand li'))"
                      ".map(li => li.textContent)")
    assert [line.split(":")[0] for line in listed] == ["Teams1", "Teams2", "Teams3"]
    b.type("#conn-field-allowlist", "127.0.0.1/32")  # the lab's "Microsoft network"
    walk.shot("teams-add")
    b.click("#connection-submit")
    walk.wait(lambda: not exists(b, MODAL), "the dialog closed")
    walk.wait(lambda: all(status_row(b, f"Teams{n}") for n in (1, 2, 3)), "Teams1-3 listed")
    walk.wait(lambda: "certificate" in status_row(b, "Teams1"), "waiting for a certificate")
    walk.shot("teams-waiting")


def certificate(walk: Walk) -> None:
    b, box = walk.browser, walk.box
    authority = box.pki.authority
    assert authority is not None
    walk.open("certificates")
    walk.wait(lambda: exists(b, "#certificate-none"), "no certificate yet")
    walk.wait(lambda: not b.property("#cert-import-open", "disabled"), "the FQDN")
    # the root of the CA that signs our certificate and Microsoft's stand-ins
    b.click("#cert-addca-open")
    walk.wait(lambda: exists(b, "#addca-cert"), "the add-root dialog")
    b.type("#addca-cert", box.pki.ca.read_text())
    b.click("#addca-submit")
    walk.wait(lambda: exists(b, "#addca-done"), "root added")
    b.click("#addca-close")
    # the request
    b.click("#cert-request-open")
    walk.wait(lambda: b.property("#csr-fqdn", "value") == FQDN, "the request dialog")
    b.type("#csr-org", "Lab GmbH")
    b.click("#csr-submit")
    walk.wait(lambda: exists(b, "#csr-code"), "the request", 60)
    csr_pem = text(b, "#csr-code")
    walk.shot("certificate-request")
    b.click("#csr-close")
    walk.wait(lambda: exists(b, "#pending-import"), "the pending request")
    # a certificate for another name first (the CA got the name wrong): refused
    other = authority.sign_csr(request_for("other.lab.test", box.data / "sbc.key.pending"))
    b.click("#pending-import")
    walk.wait(lambda: exists(b, "#import-cert"), "the import dialog")
    b.type("#import-cert", certificates_pem([other]).decode())
    b.type("#import-chain", certificates_pem([authority.intermediate.cert]).decode())
    b.click("#import-submit")
    walk.wait(lambda: exists(b, "#import-cert-error"), "the name error", 60)
    assert FQDN in text(b, "#import-cert-error")
    assert not (box.data / "sbc.crt").exists()
    walk.shot("certificate-other-name")
    # the signed one with its chain
    leaf = authority.sign_csr(x509.load_pem_x509_csr(csr_pem.encode()))
    b.script("Array.from(document.querySelectorAll('#import-cert-upload button'))"
             ".find(x => x.textContent === 'Clear').click()")  # as the admin would
    walk.wait(lambda: b.property("#import-cert", "value") == "", "the field cleared")
    b.type("#import-cert", certificates_pem([leaf]).decode())
    b.click("#import-submit")
    walk.wait(lambda: exists(b, "#import-done"), "installed", 60)
    walk.wait(lambda: "reloaded" in text(b, "#cert-reloaded"), "the reload")
    b.click("#import-close")
    walk.wait(lambda: exists(b, "#certificate-findings li"), "the findings")
    levels = b.script("return Array.from(document.querySelectorAll('#certificate-findings li'))"
                      ".map(li => li.dataset.level)")
    assert set(levels) <= {"ok"}, levels
    walk.shot("certificate-green")
    # Teams1 up both ways: our OPTIONS answered, theirs answered by us
    walk.wait(lambda: box.status()["tls"]["active"], "the TLS listener", 30)
    walk.wait(lambda: "up" in str(walk.connection("Teams1").get("options_out", {})),
              "Teams1 OPTIONS out up", 60)
    uac = box.teams_options()
    assert uac.wait() == 0, uac.report()
    walk.wait(lambda: walk.connection("Teams1").get("options_in"), "Teams1 OPTIONS in")
    walk.open("overview")
    # the checklist follows the status by itself: TLS on, Teams1 answering both ways
    walk.wait(lambda: b.script(
        "const f = document.querySelector('#checklist [data-finding=\"tls.listener\"]');"
        "return f ? f.dataset.level : null") == "ok", "the checklist's TLS listener ok")
    walk.wait(lambda: b.script(
        "const f = document.querySelector('#checklist [data-finding=\"teams.options_in\"]');"
        "return f ? f.dataset.level : null") == "ok", "the checklist: OPTIONS from Teams")
    walk.wait(lambda: "up" in str(b.script(
        "const r = Array.from(document.querySelectorAll('#status-compact tbody tr'))"
        ".find(tr => tr.innerText.startsWith('Teams1')); return r ? r.innerText : ''")),
        "Teams1 up on the overview")
    walk.shot("overview-teams-up")


def request_for(name: str, key_file: Path) -> x509.CertificateSigningRequest:
    """A request with the box's pending key for another name."""
    key = load_private_key(key_file.read_bytes())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    return (x509.CertificateSigningRequestBuilder().subject_name(subject)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(key, hashes.SHA256()))  # type: ignore[arg-type]


def syslog(walk: Walk) -> None:
    b, box = walk.browser, walk.box
    walk.open("log")
    walk.wait(lambda: b.text("#syslog-state") == "off", "the syslog form")
    b.type("#syslog-host", "127.0.0.1")
    b.type("#syslog-port", str(box.rsyslog.port))
    b.click("#syslog-save")
    walk.wait(lambda: "Saved" in alert(b, "#syslog-message"), "saved")
    walk.shot("syslog-saved")
    line = box.rsyslog.wait_for("remote syslog: sending to 127.0.0.1", timeout=30)
    assert " sbc.lab.test opensbc " in line  # RFC 5424: the box's FQDN, the app name


def routing(walk: Walk) -> None:
    b, config = walk.browser, walk.box.config
    walk.open("routing")
    walk.wait(lambda: exists(b, "#routes tbody tr"), "the rules")
    b.click("#route-add")
    walk.wait(lambda: exists(b, "#route-modal"), "the add dialog")
    b.type("#route-name", "outbound")
    b.click("#route-from-add")
    b.click("#route-from-0 option[value=Teams]")
    b.click("#route-to-0 option[value=Telekom]")
    before = config.read_bytes()
    b.type("#route-called", r"^(\+49")  # malformed: refused under the field
    b.click("#route-submit")
    walk.wait(lambda: exists(b, "#route-called-error"), "the regex error")
    assert config.read_bytes() == before
    walk.shot("routing-bad-regex")
    b.type("#route-called", r"^\+49\d+$")
    b.click("#route-submit")
    walk.wait(lambda: not exists(b, "#route-modal"), "added")
    assert "  - name: outbound\n    from: Teams\n" in config.read_text()
    b.click("#route-test-from option[value=Teams1]")
    b.type("#route-test-called-input", "+4930987654321")
    b.type("#route-test-calling-input", "+4930123456789")
    b.click("#route-test-run")
    walk.wait(lambda: exists(b, "#route-test-result"), "the test's result")
    assert b.property("#route-test-result", "dataset")["route"] == "outbound"
    walk.shot("routing-test")


def call_with_trace(walk: Walk) -> Path:
    """A trace with OPTIONS started, one call Teams -> Telekom seen in the Calls table,
    the trace stopped and downloaded; returns the downloaded pcap."""
    b, box = walk.browser, walk.box
    walk.open("trace")
    walk.wait(lambda: b.text("#trace-state") == "stopped", "the trace state")
    if not b.property("#trace-options", "checked"):
        b.click("label[for=trace-options]")
    b.click("#trace-start")
    walk.wait(lambda: box.status()["trace"]["active"], "the trace running")
    call = box.teams_call(hold_ms=12000)
    walk.open("overview")
    walk.wait(lambda: exists(b, "#calls-table tbody tr"), "the call in the table", 30)
    b.script("document.querySelector('#calls').scrollIntoView()")
    walk.shot("call-active")
    assert call.wait() == 0, call.report()
    walk.wait(lambda: not exists(b, "#calls-table tbody tr"), "the call ended")
    # one more OPTIONS round so the trace has them (every 10 s)
    walk.wait(lambda: "OPTIONS" in _pcap_methods(box), "OPTIONS in the trace", 30)
    walk.open("trace")
    b.click("#trace-stop")
    walk.wait(lambda: not box.status()["trace"]["active"], "the trace stopped")
    b.click("#trace-download")
    walk.wait(lambda: alert(b, "#trace-message").startswith("Downloaded"), "the download")
    encoded = b.script(
        "const d = window.OpenSBCTraceDownload; let s = '';"
        "for (let i = 0; i < d.length; i++) s += String.fromCharCode(d[i]);"
        "return btoa(s)")
    pcap = box.folder / "downloaded.pcap"
    pcap.write_bytes(base64.b64decode(encoded))
    walk.shot("trace-downloaded")
    return pcap


def _pcap_methods(box: Box) -> str:
    trace = box.data / "trace/sip.pcap"
    if not trace.exists():
        return ""
    return subprocess.run(["tshark", "-r", str(trace), "-Y", "sip", "-T", "fields", "-e",
                           "sip.CSeq.method"], capture_output=True, text=True,
                          timeout=60).stdout


def backup(walk: Walk) -> None:
    b, box = walk.browser, walk.box
    walk.open("backup")
    walk.wait(lambda: exists(b, "#backup-download"), "the backup page")
    b.script(CAPTURE)
    b.click("#backup-download")
    walk.wait(lambda: exists(b, "#backup-downloaded"), "the download", 60)
    saved = base64.b64decode(walk.wait(lambda: b.script("return window.__saved"), "bytes"))
    archive = box.folder / str(b.script("return window.__name"))
    archive.write_bytes(saved)
    original = box.config.read_bytes()
    # the config changes (VoIP: OPTIONS every 20 s)
    walk.open("voip")
    walk.wait(lambda: b.property("#options_interval", "value") == "10", "the form")
    b.type("#options_interval", "20")
    b.click("#voip-save")
    walk.wait(lambda: alert(b, "#voip-message").startswith("Saved"), "saved")
    assert box.config.read_bytes() != original
    # restore: checked, confirmed, applied
    walk.open("backup")
    since = time.time()
    element = b.find("#restore-upload input[type=file]")
    b._call("POST", b._s(f"/element/{element}/value"), {"text": str(archive)})
    walk.wait(lambda: exists(b, "#restore-check"), "the check", 60)
    assert b.property("#restore-check", "dataset")["ok"] == "1"
    b.click("#restore-submit")
    walk.wait(lambda: exists(b, "#restore-confirm"), "the confirmation")
    b.click("#restore-confirm")
    walk.wait(lambda: exists(b, "#restore-done"), "restored", 60)
    walk.shot("backup-restored")
    assert box.config.read_bytes() == original
    walk.reloaded(since)
