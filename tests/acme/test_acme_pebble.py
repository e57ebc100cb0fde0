"""Issuance and renewal against a real ACME server: Pebble on loopback (HTTP-01)."""

from __future__ import annotations

import datetime as dt
import functools
import json
import textwrap
from pathlib import Path

import pytest
from acme_helpers import EAB_HMAC, EAB_KID, FQDN, Tools, trust
from acme_pebble import Pebble
from cryptography import x509
from sbc.certs import compat
from sbc.certs.acme.order import obtain
from sbc.certs.acme.renew import installed_leaf, renew
from sbc.certs.acme.store import AcmeFiles
from sbc.certs.cli import main
from sbc.certs.paths import CertPaths
from sbc.config.model import AcmeSettings

pytestmark = pytest.mark.peers

RELOAD = "reload-or-restart opensbc.service"


def _settings(server: Pebble, **changes: object) -> AcmeSettings:
    base = {"directory": server.directory, "email": "admin@example.org",
            "http_port": server.http_port}
    return AcmeSettings(**{**base, **changes})  # type: ignore[arg-type]


def _leaf(paths: CertPaths) -> x509.Certificate:
    leaf = installed_leaf(paths)
    assert leaf is not None
    return leaf


def _issue(server: Pebble, paths: CertPaths) -> x509.Certificate:
    outcome = renew(_settings(server), FQDN, paths, system_store=None)
    assert outcome.result == "issued", outcome
    return _leaf(paths)


def test_issue_installs_the_pair_with_port_80_open_only_meanwhile(
    pebble: Pebble, paths: CertPaths, tools: Tools, monkeypatch: pytest.MonkeyPatch
) -> None:
    trust(paths, pebble, monkeypatch)
    outcome = renew(_settings(pebble), FQDN, paths, system_store=None)
    assert outcome.result == "issued" and outcome.reloaded, outcome
    leaf = _leaf(paths)
    assert FQDN in leaf.subject.rfc4514_string()
    assert paths.key.stat().st_mode & 0o777 == 0o600
    assert (paths.data_dir / "tls" / "current").is_symlink()  # certs.pair installed it
    files = AcmeFiles(paths)
    assert files.account_key.stat().st_mode & 0o777 == 0o600
    assert files.account_uri(pebble.directory)
    # nft: the table loaded, then deleted; nothing open now
    calls = tools.calls(tools.nft_log)
    assert calls == ["-f -", "delete table inet opensbc_acme"]
    ruleset = Path(f"{tools.nft_log}.last-ruleset").read_text()
    assert f"tcp dport {pebble.http_port} meta mark set" in ruleset
    assert not tools.port_open
    assert tools.calls(tools.systemctl_log) == [RELOAD]
    state = files.load_state()
    assert state.last_result == "issued" and state.failures == 0


def test_not_due_does_nothing(
    pebble: Pebble, paths: CertPaths, tools: Tools, monkeypatch: pytest.MonkeyPatch
) -> None:
    trust(paths, pebble, monkeypatch)
    _issue(pebble, paths)
    before = paths.cert.read_bytes()
    outcome = renew(_settings(pebble), FQDN, paths, system_store=None)
    assert outcome.result == "not-due" and "renewal due on" in outcome.message
    assert paths.cert.read_bytes() == before
    assert tools.calls(tools.systemctl_log) == [RELOAD]  # only the first issuance
    assert len(tools.calls(tools.nft_log)) == 2


def test_due_renews_and_reloads(
    pebble: Pebble, paths: CertPaths, tools: Tools, monkeypatch: pytest.MonkeyPatch
) -> None:
    trust(paths, pebble, monkeypatch)
    old = _issue(pebble, paths)
    end, start = compat.not_after(old), compat.not_before(old)
    just_before = end - (end - start) / 3 - dt.timedelta(days=1)
    assert renew(_settings(pebble), FQDN, paths, now=just_before,
                 system_store=None).result == "not-due"
    later = end - dt.timedelta(days=20)  # past 1/3 left, and past the 30-day alert
    outcome = renew(_settings(pebble), FQDN, paths, now=later, system_store=None)
    assert outcome.result == "issued", outcome
    assert any("within 30 days" in w for w in outcome.warnings)
    new = _leaf(paths)
    assert new.serial_number != old.serial_number
    assert tools.calls(tools.systemctl_log) == [RELOAD, RELOAD]


def test_ca_error_keeps_the_old_pair_and_records_the_cas_message(
    pebble: Pebble, paths: CertPaths, tools: Tools, monkeypatch: pytest.MonkeyPatch
) -> None:
    trust(paths, pebble, monkeypatch)
    _issue(pebble, paths)
    cert, key = paths.cert.read_bytes(), paths.key.read_bytes()
    # The answer is served where Pebble does not look: it cannot validate the name.
    wrong_port = _settings(pebble, http_port=pebble.http_port + 1 if pebble.http_port < 65535
                           else pebble.http_port - 1)
    due_time = compat.not_after(_leaf(paths)) - dt.timedelta(days=10)
    outcome = renew(wrong_port, FQDN, paths, now=due_time, system_store=None)
    assert outcome.result == "failed"
    assert "could not validate" in outcome.message
    assert FQDN in outcome.ca_error and "urn:ietf:params:acme:error:" in outcome.ca_error
    assert (paths.cert.read_bytes(), paths.key.read_bytes()) == (cert, key)
    assert not tools.port_open
    state = AcmeFiles(paths).load_state()
    assert state.failures == 1 and state.ca_error == outcome.ca_error
    assert state.next_try == (due_time + dt.timedelta(hours=1)).isoformat()
    # still due, but within the backoff: no new attempt, the CA's message kept
    nft_calls = len(tools.calls(tools.nft_log))
    outcome = renew(wrong_port, FQDN, paths, now=due_time + dt.timedelta(minutes=10),
                    system_store=None)
    assert outcome.result == "backoff" and outcome.ca_error == state.ca_error
    assert len(tools.calls(tools.nft_log)) == nft_calls
    # after it: tried again, and the next backoff is twice as long
    outcome = renew(wrong_port, FQDN, paths, now=due_time + dt.timedelta(hours=2),
                    system_store=None)
    assert outcome.result == "failed"
    assert AcmeFiles(paths).load_state().failures == 2
    assert tools.calls(tools.systemctl_log) == [RELOAD]


def test_a_certificate_failing_a_check_is_kept_aside(
    pebble: Pebble, paths: CertPaths, tools: Tools, monkeypatch: pytest.MonkeyPatch
) -> None:
    trust(paths, pebble, monkeypatch)
    _issue(pebble, paths)
    cert, key = paths.cert.read_bytes(), paths.key.read_bytes()
    # the CA issues for another name than sbc.fqdn (a changed FQDN, a wrong order)
    other = functools.partial(_obtain_for, "other.example.org")
    outcome = renew(_settings(pebble), FQDN, paths, force=True, obtain_with=other,
                    system_store=None)
    assert outcome.result == "rejected"
    assert outcome.kept_aside is not None
    reason = (outcome.kept_aside / "reason.txt").read_text()
    assert reason.startswith("fqdn check:") and "other.example.org" in reason
    assert (outcome.kept_aside / "sbc.key").stat().st_mode & 0o777 == 0o600
    assert (paths.cert.read_bytes(), paths.key.read_bytes()) == (cert, key)
    assert tools.calls(tools.systemctl_log) == [RELOAD]  # no reload for a refused one
    assert AcmeFiles(paths).load_state().last_result == "rejected"


def _obtain_for(name: str, settings: AcmeSettings, fqdn: str, files: AcmeFiles):  # type: ignore[no-untyped-def]
    return obtain(settings, name, files, bind="127.0.0.1")


def test_external_account_binding(
    pebble_eab: Pebble, paths: CertPaths, tools: Tools, monkeypatch: pytest.MonkeyPatch
) -> None:
    trust(paths, pebble_eab, monkeypatch)
    refused = renew(_settings(pebble_eab), FQDN, paths, system_store=None)
    assert refused.result == "failed" and "externalAccountRequired" in refused.ca_error
    outcome = renew(_settings(pebble_eab, eab_kid=EAB_KID, eab_hmac=EAB_HMAC), FQDN, paths,
                    force=True, system_store=None)
    assert outcome.result == "issued", outcome


def test_cli_issue_and_status(
    pebble: Pebble, paths: CertPaths, tools: Tools, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    trust(paths, pebble, monkeypatch)
    config = paths.data_dir / "sbc.yaml"
    config.write_text(textwrap.dedent(f"""\
        sbc:
          fqdn: {FQDN}
          public_ip: 203.0.113.7
          tls: {{cert: sbc.crt, key: sbc.key, ca_bundle: ca.pem}}
        acme:
          directory: {pebble.directory}
          email: admin@example.org
          http_port: {pebble.http_port}
        """))
    monkeypatch.setenv("OPENSBC_CONFIG", str(config))
    monkeypatch.setattr("sbc.certs.acme.renew.SYSTEM_STORE", None)
    assert main(["cert", "acme", "renew", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["result"] == "issued" and answer["reloaded"]
    assert main(["cert", "acme", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["last_result"] == "issued" and status["days_left"] > 100
    assert status["due"] is False
    assert main(["cert", "acme", "status"]) == 0
    assert "days left" in capsys.readouterr().out
