"""The `--json` answers the web console reads: `sbc cert csr|import|show|add-ca --json`,
stdin (`-`) for pasted PEM, the refusal as {check, message, hint}, $OPENSBC_DATA_DIR."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sbc.certs import cli
from sbc.certs.pem import certificates_pem, load_private_key
from sbc.certs.testpki import LabCA

FQDN = "sbc.lab.test"


def run(capsys: pytest.CaptureFixture[str], *argv: str, stdin: bytes | None = None,
        monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, dict[str, Any]]:
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    assert err == ""  # everything is in the JSON
    answer: dict[str, Any] = json.loads(out)
    return code, answer


def make_csr(capsys: pytest.CaptureFixture[str], data: Path) -> dict[str, Any]:
    code, answer = run(capsys, "cert", "csr", "--json", "--fqdn", FQDN, "--san", "alt.lab.test",
                       "--org", "Example GmbH", "--country", "de", "--data-dir", str(data))
    assert code == 0
    return answer


def pending_key(data: Path) -> Any:
    return load_private_key((data / "sbc.key.pending").read_bytes())


def signed(lab_ca: LabCA, csr_pem: str) -> bytes:
    cert = lab_ca.sign_csr(x509.load_pem_x509_csr(csr_pem.encode()))
    return certificates_pem([cert, lab_ca.intermediate.cert, lab_ca.root.cert])


def test_csr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    answer = make_csr(capsys, data)
    assert answer["ok"] is True
    assert answer["fqdn"] == FQDN
    assert answer["sans"] == [FQDN, "alt.lab.test"]
    assert answer["subject"] == "CN=sbc.lab.test,O=Example GmbH,C=DE"
    assert answer["key_size"] == 2048
    assert answer["csr_path"] == str(data / "sbc.csr")
    assert answer["key_path"] == str(data / "sbc.key.pending")
    assert answer["csr"] == (data / "sbc.csr").read_text()
    assert answer["csr"].startswith("-----BEGIN CERTIFICATE REQUEST-----")


def test_csr_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, answer = run(capsys, "cert", "csr", "--json", "--fqdn", "bad_name",
                       "--data-dir", str(tmp_path / "data"))
    assert code == 1 and answer["ok"] is False
    assert answer["error"]["check"] == "fqdn" and "bad_name" in answer["error"]["message"]
    assert not (tmp_path / "data/sbc.key.pending").exists()


def test_import_from_stdin_then_show(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch, lab_ca: LabCA) -> None:
    data = tmp_path / "data"
    csr = make_csr(capsys, data)
    code, answer = run(capsys, "cert", "import", "-", "--json", "--fqdn", FQDN,
                       "--data-dir", str(data), stdin=signed(lab_ca, csr["csr"]),
                       monkeypatch=monkeypatch)
    assert code == 0 and answer["ok"] is True
    installed = answer["installed"]
    assert installed["fqdn"] == FQDN and installed["subject"] == FQDN
    assert installed["cert_path"] == str(data / "sbc.crt")
    assert installed["chain"] == ["OpenSBC Test Intermediate CA"]
    assert installed["anchor"] == "OpenSBC Test Root CA"
    assert installed["added_roots"] == ["OpenSBC Test Root CA"]
    assert installed["key_source"] == "pending"
    assert answer["warnings"] == [] and answer["findings"] == []
    assert answer["reload"] == "systemctl reload opensbc"
    assert not (data / "sbc.key.pending").exists()

    config = tmp_path / "sbc.yaml"  # sbc.fqdn for the assessment, via $OPENSBC_CONFIG
    config.write_text(f"sbc:\n  fqdn: {FQDN}\n  public_ip: 192.0.2.1\n")
    monkeypatch.setenv("OPENSBC_CONFIG", str(config))
    code, shown = run(capsys, "cert", "show", "--json", "--data-dir", str(data))
    assert code == 0 and shown["ok"] is True and shown["fqdn"] == FQDN
    assert shown["certificate"]["sans"] == [FQDN, "alt.lab.test"]
    assert [c["subject"] for c in shown["chain"]] == [
        "CN=OpenSBC Test Intermediate CA,O=OpenSBC Test"]
    assessment = shown["assessment"]
    assert assessment["usable"] is True
    assert [(f["check"], f["level"]) for f in assessment["findings"]] == [
        ("files", "ok"), ("parse", "ok"), ("key", "ok"), ("chain", "ok"), ("order", "ok"),
        ("fqdn", "ok"), ("validity", "ok"), ("expiry", "ok"), ("key-type", "ok"), ("eku", "ok"),
        ("load", "ok")]
    assert shown["pending"] is None


def test_import_refusal(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                        monkeypatch: pytest.MonkeyPatch, lab_ca: LabCA) -> None:
    data = tmp_path / "data"
    make_csr(capsys, data)
    other = lab_ca.issue("other.lab.test", key=pending_key(data))
    cert = tmp_path / "other.pem"
    cert.write_bytes(other.cert_pem)
    chain = tmp_path / "chain.pem"
    chain.write_bytes(certificates_pem([lab_ca.intermediate.cert, lab_ca.root.cert]))
    code, answer = run(capsys, "cert", "import", str(cert), str(chain), "--json",
                       "--data-dir", str(data))  # the FQDN of the last CSR
    assert code == 1 and answer == {"ok": False, "error": {
        "check": "fqdn",
        "message": answer["error"]["message"],
        "hint": f"make a CSR for {FQDN} with `sbc cert csr`, or correct the SBC's FQDN"}}
    assert answer["error"]["message"].startswith(
        f"the certificate is for other.lab.test (SAN: other.lab.test), not {FQDN}")
    assert not (data / "sbc.crt").exists() and (data / "sbc.key.pending").exists()

    # not a certificate at all, from stdin
    code, answer = run(capsys, "cert", "import", "-", "--json", "--data-dir", str(data),
                       stdin=b"hello", monkeypatch=monkeypatch)
    assert code == 1 and answer["error"]["check"] == "parse"
    assert "the certificate text is neither a PEM nor a DER" in answer["error"]["message"]

    # a missing file is an error in JSON too
    code, answer = run(capsys, "cert", "import", str(tmp_path / "none.pem"), "--json",
                       "--data-dir", str(data))
    assert code == 1 and answer["error"]["check"] == "files"


def test_import_without_client_auth_warns(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch,
                                          lab_ca: LabCA) -> None:
    data = tmp_path / "data"
    make_csr(capsys, data)
    leaf = lab_ca.issue(FQDN, key=pending_key(data), client_auth=False)
    pem = certificates_pem([leaf.cert, lab_ca.intermediate.cert, lab_ca.root.cert])
    code, answer = run(capsys, "cert", "import", "-", "--json", "--data-dir", str(data),
                       stdin=pem, monkeypatch=monkeypatch)
    assert code == 0 and answer["ok"] is True
    assert [(f["check"], f["level"]) for f in answer["findings"]] == [("eku", "warn")]
    assert "lacks Client Authentication" in answer["warnings"][0]
    assert answer["warnings"][0].endswith(f"({answer['findings'][0]['hint']})")
    assert (data / "sbc.crt").exists()

    # --strict-eku turns it into the refusal
    make_csr(capsys, data)
    leaf = lab_ca.issue(FQDN, key=pending_key(data), client_auth=False)
    pem = certificates_pem([leaf.cert, lab_ca.intermediate.cert])
    code, answer = run(capsys, "cert", "import", "-", "--json", "--strict-eku",
                       "--data-dir", str(data), stdin=pem, monkeypatch=monkeypatch)
    assert code == 1 and answer["error"]["check"] == "eku"


def test_add_ca(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                monkeypatch: pytest.MonkeyPatch, lab_ca: LabCA) -> None:
    data = tmp_path / "data"
    root = lab_ca.root.cert.public_bytes(serialization.Encoding.PEM)
    code, answer = run(capsys, "cert", "add-ca", "-", "--json", "--data-dir", str(data),
                       stdin=root, monkeypatch=monkeypatch)
    assert code == 0 and answer["ok"] is True
    assert answer["added"] == ["OpenSBC Test Root CA"] and answer["already_present"] == []
    assert answer["bundle"]["path"] == str(data / "ca.pem")
    assert answer["bundle"]["from_extra"] == 1
    code, answer = run(capsys, "cert", "add-ca", "-", "--json", "--data-dir", str(data),
                       stdin=root, monkeypatch=monkeypatch)
    assert answer["added"] == [] and answer["already_present"] == ["OpenSBC Test Root CA"]
    leaf = lab_ca.issue("x.lab.test")
    code, answer = run(capsys, "cert", "add-ca", "-", "--json", "--data-dir", str(data),
                       stdin=leaf.cert_pem, monkeypatch=monkeypatch)
    assert code == 1 and answer["error"]["check"] == "ca"
    assert answer["error"]["hint"].startswith("add the root certificate of the CA")


def test_show_without_certificate(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("OPENSBC_DATA_DIR", str(data))  # the default of --data-dir
    monkeypatch.setenv("OPENSBC_CONFIG", str(tmp_path / "none.yaml"))
    code, answer = run(capsys, "cert", "show", "--json")
    assert code == 1 and answer["ok"] is False and answer["pending"] is None
    assert answer["error"]["check"] == "missing"
    assert str(data / "sbc.crt") in answer["error"]["message"]
    csr = make_csr(capsys, data)
    code, answer = run(capsys, "cert", "show", "--json")
    pending = answer["pending"]
    assert pending["csr"] == csr["csr"] and pending["fqdn"] == FQDN
    assert pending["csr_path"] == str(data / "sbc.csr")


def test_tls_check_usage_error_in_json(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, answer = run(capsys, "tls-check", "host.lab.test", "--map", "nonsense", "--json",
                       "--data-dir", str(tmp_path))
    assert code == 1 and answer["error"]["check"] == "usage"
