"""The CLI adapter end to end: bundle, csr, import, show, add-ca, tls-check, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from certs_loopback import OneShotServer
from cryptography import x509
from sbc.certs.cli import add_parser, main
from sbc.certs.pem import certificates_pem
from sbc.certs.testpki import LabCA, write_lab_pki
from sbc.certs.tls import server_context

FQDN = "sbc.lab.test"
TEAMS = "sip.pstnhub.microsoft.com"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_workflow(tmp_path: Path, capsys: pytest.CaptureFixture[str], lab_ca: LabCA) -> None:
    data = tmp_path / "data"
    data.mkdir()
    store = tmp_path / "system.pem"
    store.write_bytes(b"")
    d = ["--data-dir", str(data)]

    code, out, _ = run(capsys, "cert", "bundle", "--system-store", str(store), *d)
    assert code == 0 and "added from the package: DigiCert Global Root G2" in out

    root = tmp_path / "root.pem"
    root.write_bytes(lab_ca.root.cert_pem)
    code, out, _ = run(capsys, "cert", "add-ca", str(root), *d)
    assert code == 0 and "added: OpenSBC Test Root CA" in out

    code, out, err = run(capsys, "cert", "csr", "--fqdn", FQDN, *d)
    assert code == 0 and out.startswith("-----BEGIN CERTIFICATE REQUEST-----")
    assert "sbc.key.pending" in err

    signed = lab_ca.sign_csr(x509.load_pem_x509_csr(out.encode()))
    leaf_file, chain_file = tmp_path / "sbc.cer", tmp_path / "chain.pem"
    leaf_file.write_bytes(certificates_pem([signed]))
    chain_file.write_bytes(lab_ca.intermediate.cert_pem)
    code, out, err = run(capsys, "cert", "import", str(leaf_file), str(chain_file), *d)
    assert code == 0, err
    assert f"installed {data / 'sbc.crt'} for {FQDN}" in out  # FQDN taken from the CSR

    code, out, _ = run(capsys, "cert", "show", *d)
    assert code == 0 and f"Subject:     CN={FQDN}" in out and "warning" not in out
    code, out, _ = run(capsys, "cert", "show", "--json", *d)
    info = json.loads(out)
    assert info["certificate"]["ekus"] == ["serverAuth", "clientAuth"]
    assert info["certificate"]["key_type"] == "RSA" and info["certificate"]["key_size"] == 2048
    assert info["chain"][0]["subject"] == "CN=OpenSBC Test Intermediate CA,O=OpenSBC Test"

    # the installed certificate is what tls-check presents
    lab = write_lab_pki(tmp_path / "peer", [TEAMS], ca=lab_ca)
    peer = lab.leaves[TEAMS]
    server = OneShotServer(server_context(peer.cert, peer.key, lab.ca_bundle))
    code, out, _ = run(capsys, "tls-check", f"{TEAMS}:{server.port}",
                       "--map", f"{TEAMS}=127.0.0.1", *d)
    server.join()
    assert code == 0, out
    assert f"Client certificate: {FQDN}" in out
    assert out.endswith("OK: the TLS handshake succeeded\n")
    assert server.sni == [TEAMS] and server.peercert is not None

    server = OneShotServer(server_context(peer.cert, peer.key, lab.ca_bundle))
    code, out, _ = run(capsys, "tls-check", f"127.0.0.1:{server.port}", "--no-client-cert",
                       "--servername", TEAMS, "--json", *d)
    server.join()
    result = json.loads(out)
    assert code == 1 and result["kind"] == "client_cert_missing" and not result["ok"]


def test_import_refusal_names_the_check(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        lab_ca: LabCA) -> None:
    data = tmp_path / "data"
    data.mkdir()
    cert = tmp_path / "x.pem"
    cert.write_bytes(certificates_pem(lab_ca.chain(lab_ca.issue(FQDN))))
    code, out, err = run(capsys, "cert", "import", str(cert), "--fqdn", FQDN,
                         "--data-dir", str(data))
    assert code == 1 and out == ""
    assert err.startswith("error (key check): there is no private key on this box")
    assert "hint: make the key and CSR with `sbc cert csr`" in err


def test_import_without_csr_needs_fqdn(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "cert", "import", str(tmp_path / "x"), "--data-dir", str(tmp_path))
    assert code == 1 and "which FQDN" in err and "--fqdn" in err


def test_csr_refuses_ip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "cert", "csr", "--fqdn", "192.0.2.7", "--data-dir", str(tmp_path))
    assert code == 1 and out == ""
    assert "error (fqdn check): the FQDN '192.0.2.7' is an IP address" in err


def test_show_without_certificate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "cert", "show", "--data-dir", str(tmp_path))
    assert code == 1 and "no certificate is installed" in err


def test_show_file_warns(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                         lab_ca: LabCA) -> None:
    leaf = lab_ca.issue("other.lab.test", client_auth=False, key_type="ec", days=5)
    path = tmp_path / "c.pem"
    path.write_bytes(leaf.cert_pem)
    code, out, _ = run(capsys, "cert", "show", str(path), "--fqdn", FQDN)
    assert code == 0
    for text in ("expires in 4 days", "EC key: Teams needs RSA", "EKU lacks clientAuth",
                 f"{FQDN} is not in both CN and SAN", "no intermediate certificates"):
        assert text in out


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "cert", "add-ca", str(tmp_path / "nope.pem"),
                       "--data-dir", str(tmp_path))
    assert code == 1 and "nope.pem" in err and "No such file" in err


def test_tls_check_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "tls-check", "host:99999", "--data-dir", str(tmp_path))
    assert code == 1 and "bad port" in err
    code, _, err = run(capsys, "tls-check", "host", "--map", "oops", "--data-dir", str(tmp_path))
    assert code == 1 and "NAME=ADDRESS" in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["cert"])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit):
        main(["cert", "csr", "--fqdn", FQDN, "--key-size", "1024"])


def test_add_parser_into_a_foreign_parser() -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="sbc")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run")
    add_parser(sub)
    args = parser.parse_args(["cert", "show", "--data-dir", "/tmp/x", "--json"])
    assert args.data_dir == Path("/tmp/x") and args.json and callable(args.func)
    args = parser.parse_args(["tls-check", "sip.pstnhub.microsoft.com"])
    assert args.data_dir == Path("/data") and args.target == "sip.pstnhub.microsoft.com"
