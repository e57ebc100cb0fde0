"""ACME in `sbc doctor` (a finding with the CA's words) and `sbc status` (one line)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import textwrap
from pathlib import Path

import pytest
from sbc.certs.acme.store import AcmeFiles, AcmeState
from sbc.certs.paths import CertPaths
from sbc.config.loader import load_config
from sbc.doctor.checks import acme_findings
from sbc.doctor.facts import AcmeFacts, Facts
from sbc.doctor.gather import read_acme
from sbc.status.table import format_status

CA_SAID = "sbc.example.org: Connection refused (urn:ietf:params:acme:error:connection)"


def _facts(acme: AcmeFacts | None) -> Facts:
    return Facts("sbc.yaml", None, acme=acme)


def test_doctor_names_the_failure_and_the_cas_words() -> None:
    failed = AcmeFacts("https://ca.example/dir", due=True, last_result="failed",
                       last_attempt="2026-12-01T10:00:00+00:00",
                       message="the CA could not validate the name", ca_error=CA_SAID,
                       failures=2, next_try="2026-12-01T12:00:00+00:00")
    [finding] = acme_findings(_facts(failed))
    assert finding.level == "warn" and finding.id == "cert.acme"
    assert CA_SAID in finding.message and "2 failure(s)" in finding.message
    assert "renew --force" in finding.action
    fine = AcmeFacts("https://ca.example/dir", due=False, renew_on="2027-02-01T00:00:00+00:00",
                     last_result="issued")
    [finding] = acme_findings(_facts(fine))
    assert finding.level == "ok" and "2027-02-01" in finding.message
    assert acme_findings(_facts(None)) == []


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "sbc.yaml"
    path.write_text(textwrap.dedent("""\
        sbc:
          fqdn: sbc.example.org
          public_ip: 203.0.113.7
          tls: {cert: sbc.crt, key: sbc.key, ca_bundle: ca.pem}
        acme:
          directory: https://ca.example/dir
        """))
    return path


def test_doctor_reads_the_state_next_to_the_certificate(config: Path) -> None:
    files = AcmeFiles(CertPaths(config.parent))
    files.save_state(AcmeState(last_result="rejected", message="fqdn check: wrong name",
                               failures=1, last_attempt=dt.datetime(2026, 12, 1).isoformat()))
    loaded = load_config(config)
    facts = read_acme(loaded)
    assert facts is not None and facts.due  # no certificate installed
    assert facts.last_result == "rejected" and facts.failures == 1
    assert read_acme(dataclasses.replace(loaded, acme=None)) is None


def test_status_line() -> None:
    doc = {"sbc": {"fqdn": "sbc.example.org"}, "acme": {
        "configured": True, "renew_on": "2027-02-01T00:00:00+00:00", "last_result": "failed",
        "message": "cannot reach the CA", "ca_error": "timed out"}}
    text = format_status(doc, now=0)
    assert ("Renewal:      ACME, due 2027-02-01; last attempt failed: cannot reach the CA; "
            "the CA said: timed out") in text
    assert "Renewal:" not in format_status({"sbc": {}}, now=0)


def test_the_running_sbc_reports_the_state(config: Path) -> None:
    """app.report.acme_info: what `sbc run` puts into status.json as "acme"."""
    from sbc.app.report import acme_info

    AcmeFiles(CertPaths(config.parent)).save_state(
        AcmeState(last_result="failed", message="cannot reach the CA", failures=2,
                  last_attempt=dt.datetime(2026, 12, 1).isoformat()))
    loaded = load_config(config)
    acme = acme_info(loaded)
    assert acme is not None and acme["configured"] and acme["due"]
    assert acme["last_result"] == "failed" and acme["message"] == "cannot reach the CA"
    assert "Renewal:      ACME" in format_status({"sbc": {}, "acme": acme}, now=0)
    assert acme_info(dataclasses.replace(loaded, acme=None)) is None
