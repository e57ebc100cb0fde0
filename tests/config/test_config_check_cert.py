"""`sbc check` assesses the installed certificate when the config uses TLS: one line per
problem on stderr, `--strict` fails on a failed check, a missing certificate only warns."""

from __future__ import annotations

from pathlib import Path

import pytest
from sbc.certs.assess import CLIENT_AUTH_MISSING
from sbc.certs.testpki import Issued, LabCA
from sbc.config import check_main

from .conftest import WriteConfig

FQDN = "sbc.example.com"


@pytest.fixture(scope="module")
def ca() -> LabCA:
    return LabCA("Check Test")


def config_for(write_config: WriteConfig, tmp_path: Path, listen: str = "tls") -> Path:
    return write_config(f"""\
        sbc:
          fqdn: {FQDN}
          public_ip: 203.0.113.10
          listen:
            - {{transport: {listen}, port: 5061}}
          tls:
            cert: {tmp_path / 'sbc.crt'}
            key: {tmp_path / 'sbc.key'}
            ca_bundle: {tmp_path / 'ca.pem'}
        """)


def install(tmp_path: Path, ca: LabCA, leaf: Issued) -> None:
    ca.write(tmp_path, leaf, stem="sbc")
    ca.write_root(tmp_path / "ca.pem")


def certificate_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("certificate: ")]


def test_good_certificate_says_nothing(write_config: WriteConfig, tmp_path: Path, ca: LabCA,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    install(tmp_path, ca, ca.issue(FQDN))
    assert check_main(["--config", str(config_for(write_config, tmp_path)), "--strict"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("config OK") and certificate_lines(err) == []


def test_wrong_name_is_reported_and_fails_strict(write_config: WriteConfig, tmp_path: Path,
                                                 ca: LabCA,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    install(tmp_path, ca, ca.issue("other.example.com", client_auth=False))
    path = config_for(write_config, tmp_path)
    assert check_main(["--config", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out == ("config loads: 0 connections, but the certificate failed 1 check(s); "
                   "`sbc run` would keep the TLS side off\n")
    lines = certificate_lines(err)
    assert len(lines) == 2
    assert lines[0].startswith(
        "certificate: fqdn: the certificate is for other.example.com (SAN: other.example.com), "
        f"not {FQDN}")
    assert "403" in lines[0] and lines[0].endswith("correct the SBC's FQDN)")
    assert lines[1].startswith(f"certificate: eku: {CLIENT_AUTH_MISSING} (ask the CA for")
    assert check_main(["--config", str(path), "--strict"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.endswith(
        f"{path}: the certificate failed 1 check(s); `sbc run` would keep the TLS side off\n")


def test_warnings_alone_pass_strict(write_config: WriteConfig, tmp_path: Path, ca: LabCA,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    install(tmp_path, ca, ca.issue(FQDN, days=10))
    assert check_main(["--config", str(config_for(write_config, tmp_path)), "--strict"]) == 0
    (line,) = certificate_lines(capsys.readouterr().err)
    assert line.startswith("certificate: expiry: the certificate expires in ")
    assert "within 14 days" in line


def test_missing_certificate_only_warns(write_config: WriteConfig, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert check_main(["--config", str(config_for(write_config, tmp_path))]) == 0
    assert certificate_lines(capsys.readouterr().err) == [
        f"certificate: files: no certificate yet: {tmp_path / 'sbc.crt'} does not exist "
        f"(`sbc cert csr --fqdn {FQDN}`, have it signed, then `sbc cert import`)"
    ]


def test_no_tls_no_certificate_check(write_config: WriteConfig, tmp_path: Path, ca: LabCA,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    install(tmp_path, ca, ca.issue("other.example.com"))
    path = config_for(write_config, tmp_path, listen="udp")
    assert check_main(["--config", str(path), "--strict"]) == 0
    assert certificate_lines(capsys.readouterr().err) == []


def _run_refuses(path: Path) -> str:
    """Why `sbc run` keeps its TLS side off with this config (None: it would serve)."""
    from sbc.app.readiness import load_tls
    from sbc.config import load_config

    state = load_tls(load_config(path))
    assert not state.active
    return state.reason or ""


def test_key_of_another_certificate_fails_as_at_run(
        write_config: WriteConfig, tmp_path: Path, ca: LabCA,
        capsys: pytest.CaptureFixture[str]) -> None:
    install(tmp_path, ca, ca.issue(FQDN))
    (tmp_path / "sbc.key").write_bytes(ca.issue(FQDN).key_pem)  # a newer CSR's key
    path = config_for(write_config, tmp_path)
    assert check_main(["--config", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("config loads: 0 connections, but the certificate failed 1 check")
    assert check_main(["--config", str(path), "--strict"]) == 1
    (line,) = certificate_lines(err)
    assert line.startswith(f"certificate: key: the private key {tmp_path / 'sbc.key'} does "
                           "not belong to the certificate")
    assert "does not belong to the certificate" in _run_refuses(path)


def test_der_certificate_fails_as_at_run(
        write_config: WriteConfig, tmp_path: Path, ca: LabCA,
        capsys: pytest.CaptureFixture[str]) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding

    leaf = ca.issue(FQDN)
    install(tmp_path, ca, leaf)
    intermediate = ca.chain(leaf)[1]
    (tmp_path / "ca.pem").write_bytes(ca.root.cert_pem + intermediate.public_bytes(Encoding.PEM))
    (tmp_path / "sbc.crt").write_bytes(leaf.cert.public_bytes(Encoding.DER))
    path = config_for(write_config, tmp_path)
    assert check_main(["--config", str(path), "--strict"]) == 1
    (line,) = certificate_lines(capsys.readouterr().err)
    assert line.startswith(f"certificate: parse: {tmp_path / 'sbc.crt'} is a DER certificate, "
                           "not PEM; the SBC's TLS reads PEM only")
    assert "is a DER certificate, not PEM" in _run_refuses(path)
