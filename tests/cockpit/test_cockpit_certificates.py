"""The Certificates section as the walkthrough's "Edit - Certificates": create a request
in the browser, have it signed (a lab CA), upload/paste the certificate and its chain,
see the checks green and the SBC reloaded; a certificate for another name is refused
(fqdn check, with its hint) and nothing is installed; one without clientAuth installs
with the amber warning; a root CA is added; a TLS test is explained.

The page runs the real `sbc cert ... --json` and `sbc tls-check --json` (the fake `sbc`
passes them on with $OPENSBC_DATA_DIR = data/ beside $OPENSBC_CONFIG: tmp_path/data)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from cptest_rig import HERE, Cockpit
from cptest_webdriver import Browser, wait_for
from cryptography import x509
from sbc.certs import cli
from sbc.certs.pem import certificates_pem, load_private_key
from sbc.certs.testpki import LabCA
from test_cockpit_page import alert, exists, open_section, text

SHOTS = Path(os.environ.get("OPENSBC_SCREENSHOTS", "build/screenshots"))
FQDN = "sbc.example.com"  # sbc.fqdn of examples/appliance.yaml
RELOAD = "systemctl reload-or-restart opensbc.service"


@pytest.fixture(scope="module")
def lab_ca() -> LabCA:
    return LabCA("OpenSBC Test")


def data_dir(cockpit: Cockpit) -> Path:
    return cockpit.config.parent / "data"  # as the fake sbc sets it


def no_running_certificate(cockpit: Cockpit) -> None:
    """The status of an SBC without a certificate yet (the files are empty too)."""
    status: dict[str, Any] = json.loads((HERE / "data/sbc-status.json").read_text())
    status["certificate"] = {"path": "/data/sbc.crt", "missing": True,
                             "error": "/data/sbc.crt does not exist"}
    status["tls"] = {"active": False, "reason": "no certificate: /data/sbc.crt does not exist"}
    cockpit.status.write_text(json.dumps(status))


def load_certificates(browser: Browser, cockpit: Cockpit) -> None:
    open_section(browser, cockpit, "certificates")
    wait_for(lambda: exists(browser, "#certificate") or exists(browser, "#certificate-none"),
             30, "certificate card")
    wait_for(lambda: not browser.property("#cert-import-open", "disabled"), 30, "FQDN loaded")


def upload(browser: Browser, css: str, path: Path) -> None:
    """Choose a file in a FileUpload's (hidden) file input, as the browse dialog does."""
    element = browser.find(css)
    browser._call("POST", browser._s(f"/element/{element}/value"), {"text": str(path)})


def csr_by_cli(cockpit: Cockpit) -> None:
    assert cli.main(["cert", "csr", "--fqdn", FQDN, "--data-dir", str(data_dir(cockpit))]) == 0


def pending_key(cockpit: Cockpit) -> Any:
    return load_private_key((data_dir(cockpit) / "sbc.key.pending").read_bytes())


def findings(browser: Browser) -> list[tuple[str, str]]:
    rows = browser.script(
        "return Array.from(document.querySelectorAll('#certificate-findings li'))"
        ".map(li => [li.dataset.check, li.dataset.level])")
    return [tuple(r) for r in rows]


def log(cockpit: Cockpit) -> str:
    return cockpit.log.read_text() if cockpit.log.exists() else ""


def shot(browser: Browser, name: str) -> None:
    browser.screenshot(SHOTS / name)


def test_request_sign_import(browser: Browser, cockpit: Cockpit, lab_ca: LabCA,
                             tmp_path: Path) -> None:
    no_running_certificate(cockpit)
    load_certificates(browser, cockpit)
    wait_for(lambda: exists(browser, "#certificate-none"), 30, "no certificate")
    assert "No certificate is installed yet" in alert(browser, "#certificate-none")
    shot(browser, "certificates-empty.png")

    # Create request: the FQDN comes from the configuration
    browser.click("#cert-request-open")
    wait_for(lambda: exists(browser, "#csr-fqdn"), 30, "request dialog")
    assert browser.property("#csr-fqdn", "value") == FQDN
    browser.type("#csr-sans", "sbc2.example.com")
    browser.type("#csr-org", "Example GmbH")
    browser.type("#csr-country", "DE")
    shot(browser, "certificates-request-form.png")
    browser.click("#csr-submit")
    wait_for(lambda: exists(browser, "#csr-code"), 60, "the CSR")
    csr_pem = text(browser, "#csr-code")
    assert csr_pem == (data_dir(cockpit) / "sbc.csr").read_text()
    assert text(browser, "#csr-facts") == (
        "Subject CN=sbc.example.com,O=Example GmbH,C=DE, names sbc.example.com, "
        "sbc2.example.com, RSA 2048 bits.")
    shot(browser, "certificates-request.png")
    # Download hands the same text to the browser as sbc.example.com.csr
    browser.script(
        "window.__saved = null; const make = URL.createObjectURL;"
        "URL.createObjectURL = b => { b.text().then(t => { window.__saved = t }); return make(b) };"
        "HTMLAnchorElement.prototype.click = function () { window.__name = this.download };")
    browser.click("#csr-download-button")
    assert wait_for(lambda: browser.script("return window.__saved"), 10, "download") == csr_pem
    assert browser.script("return window.__name") == "sbc.example.com.csr"
    browser.click("#csr-close")
    wait_for(lambda: exists(browser, "#pending-request"), 30, "pending request")
    assert "A request for sbc.example.com is waiting" in alert(browser, "#pending-request")

    # the CA signs it; the certificate is uploaded, the chain pasted
    leaf = lab_ca.sign_csr(x509.load_pem_x509_csr(csr_pem.encode()))
    cert_file = tmp_path / "sbc_example_com.crt"
    cert_file.write_bytes(certificates_pem([leaf]))
    browser.click("#pending-import")
    wait_for(lambda: exists(browser, "#import-cert-upload input[type=file]"), 30, "import dialog")
    upload(browser, "#import-cert-upload input[type=file]", cert_file)
    wait_for(lambda: "BEGIN CERTIFICATE" in browser.property("#import-cert", "value"), 10,
             "uploaded file")
    assert browser.property("#import-cert-upload input[type=text]", "value") == cert_file.name
    browser.type("#import-chain", certificates_pem(
        [lab_ca.intermediate.cert, lab_ca.root.cert]).decode())
    shot(browser, "certificates-import-form.png")
    browser.click("#import-submit")
    wait_for(lambda: exists(browser, "#import-done"), 60, "import")
    wait_for(lambda: "reloaded" in text(browser, "#cert-reloaded"), 30, "reload")
    done = alert(browser, "#import-done")
    assert "Installed the certificate for sbc.example.com" in done
    assert ("Chain sent: sbc.example.com → OpenSBC Test Intermediate CA → root OpenSBC Test "
            "Root CA") in done
    assert "Root added to the trust store: OpenSBC Test Root CA" in done
    assert not exists(browser, "#import-warnings")
    assert RELOAD in log(cockpit)
    shot(browser, "certificates-import-done.png")
    assert (data_dir(cockpit) / "sbc.crt").exists()

    # the installed certificate: every check green
    browser.click("#import-close")
    wait_for(lambda: exists(browser, "#certificate[data-source=files]"), 30, "installed")
    assert not exists(browser, "#pending-request")
    assert findings(browser) == [(c, "ok") for c in (
        "files", "parse", "key", "chain", "order", "fqdn", "validity", "expiry", "key-type",
        "eku", "load")]
    assert "TLS load: OpenSSL loads" in text(browser, "#certificate-findings")  # labelled
    assert browser.text("#certificate-title") == FQDN
    assert browser.text("#certificate-text").startswith("364 days left, until ")
    assert browser.text("#certificate-names") == "sbc.example.com, sbc2.example.com"
    assert "OpenSBC Test Intermediate CA" in browser.text("#certificate-chain")
    assert browser.property("#certificate", "dataset")["level"] == "ok"
    shot(browser, "certificates-installed.png")


def test_certificate_for_another_name_is_refused(browser: Browser, cockpit: Cockpit,
                                                  lab_ca: LabCA) -> None:
    no_running_certificate(cockpit)
    csr_by_cli(cockpit)
    other = lab_ca.issue("other.example.net", key=pending_key(cockpit))
    load_certificates(browser, cockpit)
    browser.click("#cert-import-open")
    wait_for(lambda: exists(browser, "#import-cert"), 30, "import dialog")
    browser.type("#import-cert", certificates_pem(  # pasted: leaf, intermediate, root
        [other.cert, lab_ca.intermediate.cert, lab_ca.root.cert]).decode())
    browser.click("#import-submit")
    wait_for(lambda: exists(browser, "#import-cert-error"), 60, "refusal")
    assert browser.property("#import-cert-error", "dataset")["check"] == "fqdn"
    assert text(browser, "#import-cert-error").startswith(
        "fqdn check: the certificate is for other.example.net (SAN: other.example.net), "
        "not sbc.example.com")
    assert text(browser, "#import-cert-hint") == (
        "What to do: make a CSR for sbc.example.com with sbc cert csr, or correct the "
        "SBC's FQDN")
    assert not exists(browser, "#import-done")
    shot(browser, "certificates-refused.png")
    assert not (data_dir(cockpit) / "sbc.crt").exists()  # nothing installed
    assert (data_dir(cockpit) / "sbc.key.pending").exists()
    assert RELOAD not in log(cockpit)


def test_certificate_without_client_auth_installs_with_warning(
        browser: Browser, cockpit: Cockpit, lab_ca: LabCA, tmp_path: Path) -> None:
    csr_by_cli(cockpit)
    leaf = lab_ca.issue(FQDN, key=pending_key(cockpit), client_auth=False)
    bundle = tmp_path / "fullchain.pem"
    bundle.write_bytes(certificates_pem([leaf.cert, lab_ca.intermediate.cert, lab_ca.root.cert]))
    load_certificates(browser, cockpit)
    browser.click("#cert-import-open")
    wait_for(lambda: exists(browser, "#import-cert-upload input[type=file]"), 30, "dialog")
    upload(browser, "#import-cert-upload input[type=file]", bundle)
    wait_for(lambda: "BEGIN CERTIFICATE" in browser.property("#import-cert", "value"), 10,
             "uploaded file")
    browser.click("#import-submit")
    wait_for(lambda: exists(browser, "#import-warnings"), 60, "warnings")
    warned = alert(browser, "#import-warnings")
    assert "Installed with warnings" in warned
    assert "eku: the certificate's extended key usage lacks Client Authentication" in warned
    assert "What to do: ask the CA for a certificate with both serverAuth and clientAuth" in warned
    assert "pf-m-warning" in browser.property("#import-warnings", "className")
    wait_for(lambda: "reloaded" in text(browser, "#cert-reloaded"), 30, "reload")
    assert RELOAD in log(cockpit)
    shot(browser, "certificates-import-warning.png")
    browser.click("#import-close")
    wait_for(lambda: exists(browser, "#certificate[data-source=files]"), 30, "installed")
    shown = dict(findings(browser))
    assert shown["eku"] == "warn" and shown["fqdn"] == "ok" and shown["chain"] == "ok"
    assert browser.property("#certificate", "dataset")["level"] == "warn"
    assert "What to do: ask the CA" in text(browser, "#certificate-findings [data-check=eku]")
    # the (fake) running SBC still reports the fixture's certificate: reload it from here
    assert "still uses its previous certificate" in alert(browser, "#cert-not-in-use")
    shot(browser, "certificates-installed-warning.png")
    browser.click("#cert-reload")
    wait_for(lambda: log(cockpit).count(RELOAD) == 2, 30, "second reload")


def test_add_root_and_tls_check(browser: Browser, cockpit: Cockpit, lab_ca: LabCA) -> None:
    load_certificates(browser, cockpit)
    # a server certificate is not a root: refused under the field
    browser.click("#cert-addca-open")
    wait_for(lambda: exists(browser, "#addca-cert"), 30, "add-ca dialog")
    browser.type("#addca-cert", lab_ca.issue("host.example.net").cert_pem.decode())
    browser.click("#addca-submit")
    wait_for(lambda: exists(browser, "#addca-cert-error"), 60, "refusal")
    assert text(browser, "#addca-cert-error").startswith("ca check: host.example.net")
    assert "add the root certificate of the CA" in text(browser, "#addca-cert-hint")
    browser.script(  # the field's Clear button, then paste the root
        "Array.from(document.querySelectorAll('#addca-cert-upload button'))"
        ".find(b => b.textContent === 'Clear').click()")
    wait_for(lambda: browser.property("#addca-cert", "value") == "", 10, "cleared")
    browser.type("#addca-cert", lab_ca.root.cert_pem.decode())
    browser.click("#addca-submit")
    wait_for(lambda: exists(browser, "#addca-done"), 60, "root added")
    assert "Added: OpenSBC Test Root CA" in alert(browser, "#addca-done")
    assert "OpenSBC Test Root CA" in (data_dir(cockpit) / "ca-extra.pem").read_text()
    wait_for(lambda: "trust the added root" in text(browser, "#cert-reloaded"), 30, "reload")
    assert RELOAD in log(cockpit)
    shot(browser, "certificates-root-added.png")
    browser.click("#addca-close")
    wait_for(lambda: not exists(browser, "#addca-modal"), 10, "dialog closed")

    # Test a TLS connection: nothing listens on 127.0.0.1:9 here
    browser.type("#tls-target", "127.0.0.1:9")
    browser.click("#tls-submit")
    wait_for(lambda: exists(browser, "#tls-result"), 60, "TLS test")
    assert browser.property("#tls-result", "dataset")["kind"] == "refused"
    result = alert(browser, "#tls-result")
    assert "Connection to 127.0.0.1:9 failed: connection refused" in result
    assert "pf-m-danger" in browser.property("#tls-result", "className")
    shot(browser, "certificates-tls-check.png")
