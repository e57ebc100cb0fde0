"""What the SBC runs with: the TLS side only with a certificate that passes every check,
each connection unless its values are the template's or it needs the missing TLS."""

from __future__ import annotations

from pathlib import Path

import pytest
from sbc.app.readiness import TlsState, load_tls, waiting_reason
from sbc.certs.testpki import LabCA
from sbc.config import Config, loads

FQDN = "sbc.contoso.de"


@pytest.fixture(scope="module")
def ca() -> LabCA:
    return LabCA("Readiness Test")


def _config(data: Path, *, fqdn: str = FQDN, password: str = "s3cret") -> Config:
    text = (
        "sbc:\n"
        f"  fqdn: {fqdn}\n"
        "  public_ip: 198.18.0.10\n"
        f"  tls: {{cert: {data}/sbc.crt, key: {data}/sbc.key, ca_bundle: {data}/ca.pem}}\n"
        "connections:\n"
        "  - name: Telekom\n"
        "    profile: telekom-deutschlandlan\n"
        '    line_number: "+4930123456780"\n'
        '    auth_user: "555123456789"\n'
        f"    password: {password}\n"
        "  - name: Teams\n"
        "    profile: teams-generic\n"
    )
    return loads(text, str(data / "sbc.yaml"))


def _install(ca: LabCA, data: Path, name: str, **options: object) -> None:
    files = ca.write(data, ca.issue(name, **options), stem="sbc")  # type: ignore[arg-type]
    ca.write_root(data / "ca.pem")
    assert files.cert.exists()


def test_no_certificate_teams_waits_carrier_runs(tmp_path: Path) -> None:
    config = _config(tmp_path)
    tls = load_tls(config)
    assert not tls.active
    assert tls.reason == (f"waiting for a certificate (`sbc cert csr --fqdn {FQDN}`, have it "
                          "signed, then `sbc cert import`)")
    assert waiting_reason(config, config.connection("Teams2"), tls) == tls.reason
    assert waiting_reason(config, config.connection("Telekom"), tls) is None


def test_a_good_certificate_brings_tls_up(ca: LabCA, tmp_path: Path) -> None:
    _install(ca, tmp_path, FQDN)
    config = _config(tmp_path)
    tls = load_tls(config)
    assert tls.active and tls.reason is None
    assert tls.report is not None and tls.report.usable
    assert waiting_reason(config, config.connection("Teams1"), tls) is None


def test_a_certificate_for_another_name_keeps_tls_off(ca: LabCA, tmp_path: Path) -> None:
    _install(ca, tmp_path, "other.contoso.de")
    config = _config(tmp_path)
    tls = load_tls(config)
    assert not tls.active
    assert tls.reason is not None and tls.reason.startswith("certificate not usable: ")
    assert FQDN in tls.reason
    assert waiting_reason(config, config.connection("Teams3"), tls) == tls.reason


def test_missing_client_auth_is_a_warning_not_a_stop(ca: LabCA, tmp_path: Path) -> None:
    _install(ca, tmp_path, FQDN, client_auth=False)
    tls = load_tls(_config(tmp_path))
    assert tls.active and tls.report is not None
    assert [f.check for f in tls.report.problems] == ["eku"]


def test_template_values_make_their_connection_wait(tmp_path: Path) -> None:
    config = _config(tmp_path, fqdn="sbc.example.com", password="CHANGE-ME")
    up = TlsState(None, None)
    assert waiting_reason(config, config.connection("Telekom"), up) == (
        "not configured yet: connections.Telekom.password")
    assert waiting_reason(config, config.connection("Teams1"), up) == (
        "not configured yet: sbc.fqdn")
