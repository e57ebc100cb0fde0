"""The Backup section: a backup downloaded in the browser, the config changed, the backup
restored in the browser (checked first, confirmed, applied) and the file as before; a
tampered backup with a broken config is refused with the reason and nothing changes.

The page runs the real `sbc backup ... --json` (the fake `sbc` passes it on with
$OPENSBC_DATA_DIR = data/ beside $OPENSBC_CONFIG: tmp_path/data)."""

from __future__ import annotations

import base64
import glob
import io
import json
import os
import re
import tarfile
from pathlib import Path

import pytest
from cptest_rig import Cockpit
from cptest_webdriver import Browser, wait_for
from sbc.backup import archive
from sbc.backup.cli import main as backup_main
from sbc.certs.pem import certificates_pem, key_pem
from sbc.certs.testpki import LabCA
from test_cockpit_page import alert, exists, open_section, text

SHOTS = Path(os.environ.get("OPENSBC_SCREENSHOTS", "build/screenshots"))
FQDN = "sbc.example.com"  # sbc.fqdn of examples/appliance.yaml
CAPTURE = (
    "window.__saved = null; window.__name = null; const make = URL.createObjectURL;"
    "URL.createObjectURL = b => { b.arrayBuffer().then(a => { const u = new Uint8Array(a);"
    "  let s = ''; for (let i = 0; i < u.length; i++) s += String.fromCharCode(u[i]);"
    "  window.__saved = btoa(s) }); return make(b) };"
    "HTMLAnchorElement.prototype.click = function () { window.__name = this.download };")


@pytest.fixture(scope="module")
def lab_ca() -> LabCA:
    return LabCA("OpenSBC Test")


def data_dir(cockpit: Cockpit) -> Path:
    return cockpit.config.parent / "data"  # as the fake sbc sets it


def install_certificate(cockpit: Cockpit, lab_ca: LabCA) -> None:
    data = data_dir(cockpit)
    data.mkdir(exist_ok=True)
    leaf = lab_ca.issue(FQDN)
    (data / "sbc.crt").write_bytes(certificates_pem([leaf.cert, lab_ca.intermediate.cert]))
    (data / "sbc.key").write_bytes(key_pem(leaf.key))
    (data / "sbc.key").chmod(0o600)
    (data / "ca-extra.pem").write_bytes(certificates_pem([lab_ca.root.cert]))


def log(cockpit: Cockpit) -> str:
    return cockpit.log.read_text() if cockpit.log.exists() else ""


def shot(browser: Browser, name: str) -> None:
    browser.screenshot(SHOTS / name)


def upload(browser: Browser, css: str, path: Path) -> None:
    """Choose a file in a FileUpload's (hidden) file input, as the browse dialog does."""
    element = browser.find(css)
    browser._call("POST", browser._s(f"/element/{element}/value"), {"text": str(path)})


def temp_dirs() -> set[str]:
    return set(glob.glob("/tmp/opensbc-backup.*"))


def actions(browser: Browser) -> dict[str, str]:
    rows = browser.script(
        "return Array.from(document.querySelectorAll('#restore-files tbody tr'))"
        ".map(tr => [tr.dataset.name, tr.dataset.action])")
    return dict(rows)


def load_backup(browser: Browser, cockpit: Cockpit) -> None:
    open_section(browser, cockpit, "backup")
    wait_for(lambda: exists(browser, "#backup-download"), 30, "backup section")


def test_download_change_restore(browser: Browser, cockpit: Cockpit, lab_ca: LabCA,
                                 tmp_path: Path) -> None:
    install_certificate(cockpit, lab_ca)
    config = cockpit.config
    config.write_text(config.read_text().replace("CHANGE-ME", "trunk-secret"))
    original = config.read_bytes()
    key = (data_dir(cockpit) / "sbc.key").read_bytes()
    before = temp_dirs()
    load_backup(browser, cockpit)
    assert "holds the private key and the trunk passwords" in alert(browser, "#backup-secret")
    shot(browser, "backup-page.png")

    # Download: the archive reaches the browser as opensbc-FQDN-DATE.tar.gz
    browser.script(CAPTURE)
    browser.click("#backup-download")
    wait_for(lambda: exists(browser, "#backup-downloaded"), 60, "download")
    saved = base64.b64decode(wait_for(lambda: browser.script("return window.__saved"), 10,
                                      "the downloaded bytes"))
    name = browser.script("return window.__name")
    assert re.fullmatch(r"opensbc-sbc\.example\.com-\d{4}-\d\d-\d\d\.tar\.gz", name)
    assert alert(browser, "#backup-downloaded").startswith(f"Downloaded {name} (")
    backup = archive.read(saved)
    assert backup.files["sbc.yaml"] == original and backup.files["sbc.key"] == key
    assert sorted(backup.files) == ["ca-extra.pem", "sbc.crt", "sbc.key", "sbc.yaml"]
    with tarfile.open(fileobj=io.BytesIO(saved)) as tar:
        assert tar.getmember("sbc.key").mode == 0o600
    wait_for(lambda: not temp_dirs() - before, 10, "the temporary folder removed")
    shot(browser, "backup-downloaded.png")
    downloaded = tmp_path / name
    downloaded.write_bytes(saved)

    # the config changes
    config.write_text(config.read_text().replace("203.0.113.10", "198.51.100.7")
                      .replace("trunk-secret", "other-secret"))
    changed = config.read_bytes()

    # Restore: checked first, what would change shown, nothing replaced yet
    upload(browser, "#restore-upload input[type=file]", downloaded)
    wait_for(lambda: exists(browser, "#restore-check"), 60, "the check")
    assert browser.property("#restore-check", "dataset")["ok"] == "1"
    assert actions(browser) == {"sbc.yaml": "replace", "sbc.crt": "unchanged",
                                "sbc.key": "unchanged", "ca-extra.pem": "unchanged"}
    changes = browser.script(
        "return Array.from(document.querySelectorAll('#restore-change-list .pf-v5-c-label'))"
        ".map(l => l.textContent)")
    assert changes == ["sbc.public_ip", "connections.Telekom.password"]
    facts = text(browser, "#restore-facts")
    assert name in facts and f"Backup of{FQDN}" in facts
    assert re.fullmatch(r"Certificate: sbc\.example\.com, valid until \d{4}-\d\d-\d\d "
                        r"\d\d:\d\d:\d\d UTC\.", text(browser, "#restore-certificate"))
    assert "trunk-secret" not in browser.script("return document.body.innerHTML")
    assert config.read_bytes() == changed
    shot(browser, "backup-restore-check.png")
    browser.click("#restore-warnings .pf-v5-c-alert__toggle button")  # 5 warnings: folded
    wait_for(lambda: "not configured yet" in browser.text("#restore-warnings"), 10, "warnings")
    shot(browser, "backup-restore-warnings.png")

    browser.click("#restore-submit")
    wait_for(lambda: exists(browser, "#restore-confirm"), 10, "confirmation")
    assert "Replaces sbc.yaml." in text(browser, "#restore-confirm-modal")
    shot(browser, "backup-restore-confirm.png")
    assert config.read_bytes() == changed  # not before the confirmation
    browser.click("#restore-confirm")
    wait_for(lambda: exists(browser, "#restore-done"), 60, "restore")
    done = alert(browser, "#restore-done")
    assert f"Restored the backup of {FQDN}" in done
    assert "Applied: restart opensbc-media, reload opensbc." in done
    assert config.read_bytes() == original
    assert "systemctl restart opensbc-media.service" in log(cockpit)
    assert "systemctl reload-or-restart opensbc.service" in log(cockpit)
    previous = archive.read((data_dir(cockpit) / "backup-before-restore.tar.gz").read_bytes())
    assert previous.files["sbc.yaml"] == changed
    wait_for(lambda: not temp_dirs() - before, 10, "the temporary folder removed")
    shot(browser, "backup-restored.png")


def test_tampered_backup_is_refused(browser: Browser, cockpit: Cockpit, lab_ca: LabCA,
                                    tmp_path: Path) -> None:
    install_certificate(cockpit, lab_ca)
    good = tmp_path / "good.tar.gz"
    assert backup_main(["backup", "create", "--data-dir", str(data_dir(cockpit)), "--config",
                        str(cockpit.config), "--out", str(good)]) == 0
    with tarfile.open(good) as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar}  # type: ignore[union-attr]
    files["sbc.yaml"] = files["sbc.yaml"].replace(b"fqdn: sbc.example.com", b"fqdn: not_a_name!")
    tampered = tmp_path / "opensbc-tampered.tar.gz"
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for member, body in files.items():
            info = tarfile.TarInfo(member)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    tampered.write_bytes(raw.getvalue())
    config = cockpit.config
    config.write_text(config.read_text() + "# changed after the backup\n")
    before_dirs = temp_dirs()
    before = {p: p.read_bytes() for p in [config, *data_dir(cockpit).iterdir()]}

    load_backup(browser, cockpit)
    upload(browser, "#restore-upload input[type=file]", tampered)
    wait_for(lambda: exists(browser, "#restore-errors"), 60, "the refusal")
    errors = alert(browser, "#restore-errors")
    assert "The backup cannot be restored: 1 problem. Nothing was changed." in errors
    assert "sbc.yaml:10: sbc.fqdn: " in errors
    item = browser.script("return document.querySelector('#restore-errors li').dataset")
    assert item["file"] == "sbc.yaml" and item["field"] == "sbc.fqdn"
    assert "sbc.yaml: was changed after the backup was made" in alert(browser, "#restore-warnings")
    assert browser.property("#restore-submit", "disabled")
    assert browser.property("#restore-check", "dataset")["ok"] == "0"
    assert not exists(browser, "#restore-files")  # nothing "would be replaced"
    shot(browser, "backup-refused.png")
    assert {p: p.read_bytes() for p in [config, *data_dir(cockpit).iterdir()]} == before
    assert "systemctl" not in log(cockpit)

    # not a backup at all: the reason, nothing else
    junk = tmp_path / "notes.tar.gz"
    junk.write_text(json.dumps({"not": "a backup"}))
    browser.click("#restore-cancel")
    wait_for(lambda: not exists(browser, "#restore-check"), 10, "reset")
    upload(browser, "#restore-upload input[type=file]", junk)
    wait_for(lambda: exists(browser, "#restore-errors"), 60, "the refusal")
    assert "not gzip-compressed" in alert(browser, "#restore-errors")
    assert not exists(browser, "#restore-files")
    shot(browser, "backup-not-a-backup.png")
    wait_for(lambda: not temp_dirs() - before_dirs, 10, "the uploads removed after each check")
