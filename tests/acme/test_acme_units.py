"""ACME without a CA: when to renew, backoff, alerts by a moved clock, the settings,
the firewall table and the challenge server, an unreachable CA."""

from __future__ import annotations

import datetime as dt
import json
import socket
import textwrap
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from acme_helpers import FQDN, Tools
from cryptography import x509
from sbc.certs import compat
from sbc.certs.acme import firewall
from sbc.certs.acme.challenge import PREFIX, ChallengeServer
from sbc.certs.acme.order import Issued
from sbc.certs.acme.renew import (
    alert_threshold,
    backoff,
    due,
    expiry_alerts,
    installed_leaf,
    renew,
)
from sbc.certs.acme.store import AcmeFiles
from sbc.certs.cli import main
from sbc.certs.paths import CertPaths
from sbc.certs.testpki import LabCA
from sbc.config.loader import loads
from sbc.config.model import AcmeSettings
from sbc.config.settings import fixed

HOUR = dt.timedelta(hours=1)


@pytest.fixture(scope="module")
def ca() -> LabCA:
    return LabCA("ACME Unit")


def _install(ca: LabCA, paths: CertPaths, days: int = 90, name: str = FQDN,
             age: int = 0) -> x509.Certificate:
    leaf = ca.issue(name, days=days, not_before=ca.now - dt.timedelta(days=age, hours=1))
    files = ca.write(paths.data_dir / "in", leaf)
    paths.cert.write_bytes(files.cert.read_bytes())
    paths.key.write_bytes(files.key.read_bytes())
    return leaf.cert


def test_due_at_one_third_of_the_lifetime_left(ca: LabCA) -> None:
    cert = ca.issue(FQDN, days=90).cert
    start, end = compat.not_before(cert), compat.not_after(cert)
    point = end - (end - start) / 3
    assert not due(cert, FQDN, 1 / 3, point - HOUR).due
    assert due(cert, FQDN, 1 / 3, point + HOUR).due
    assert due(None, FQDN, 1 / 3, point).why == "no certificate is installed"
    other = due(cert, "other.example.org", 1 / 3, start + HOUR)
    assert other.due and "does not cover other.example.org" in other.why


def test_backoff_doubles_up_to_a_day() -> None:
    assert [backoff(n) / HOUR for n in range(7)] == [0, 1, 2, 4, 8, 16, 24]
    assert backoff(100) == dt.timedelta(hours=24)


def test_alert_thresholds_each_once() -> None:
    assert alert_threshold(31, None) is None
    assert alert_threshold(30, None) == 30
    assert alert_threshold(20, 30) is None
    assert alert_threshold(14, 30) == 14
    assert alert_threshold(3, 14) == 7
    assert alert_threshold(1, 7) == 1
    assert alert_threshold(0, 1) is None


def _never(settings: AcmeSettings, fqdn: str, files: AcmeFiles) -> Issued:
    raise AssertionError("ordered although not due")


def test_alerts_by_a_moved_clock(ca: LabCA, tmp_path: Path, tools: Tools) -> None:
    paths = CertPaths(tmp_path)
    cert = _install(ca, paths, days=90)
    end = compat.not_after(cert)
    settings = AcmeSettings("https://ca.invalid/dir", renew_at=0.05)  # due at 4.5 days
    warned = []
    for days in (40, 31, 29, 28, 15, 13, 8, 6, 5):
        outcome = renew(settings, FQDN, paths, now=end - dt.timedelta(days=days, hours=1),
                        obtain_with=_never, system_store=None)
        assert outcome.result == "not-due"
        warned += [(days, w) for w in outcome.warnings]
    assert [(d, "within" in w) for d, w in warned] == [(29, True), (13, True), (6, True)]
    assert "within 7 days" in warned[-1][1]


def test_unreachable_ca_fails_softly_and_keeps_the_pair(
    ca: LabCA, tmp_path: Path, tools: Tools
) -> None:
    paths = CertPaths(tmp_path)
    _install(ca, paths, days=10, age=80)  # due: 10 of 90 days left
    before = paths.cert.read_bytes(), paths.key.read_bytes()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    settings = AcmeSettings(f"https://127.0.0.1:{closed}/dir")
    outcome = renew(settings, FQDN, paths, system_store=None)
    assert outcome.result == "failed" and "cannot reach the CA" in outcome.message
    assert outcome.ca_error  # the connection error, for the log
    assert (paths.cert.read_bytes(), paths.key.read_bytes()) == before
    assert tools.calls(tools.nft_log) == [] and tools.calls(tools.systemctl_log) == []
    assert AcmeFiles(paths).load_state().failures == 1


def test_port_open_closes_whatever_happens(tools: Tools) -> None:
    with pytest.raises(RuntimeError), firewall.port_open(8080):
        assert tools.port_open
        raise RuntimeError("validation blew up")
    assert not tools.port_open
    assert tools.calls(tools.nft_log) == ["-f -", "delete table inet opensbc_acme"]
    ruleset = firewall.ruleset(80)
    assert ruleset.startswith("table inet opensbc_acme\ndelete table inet opensbc_acme\n")
    assert "tcp dport 80 meta mark set 0x00004143" in ruleset


def test_challenge_server_serves_only_its_answers() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ChallengeServer(port, "127.0.0.1")
    server.add(PREFIX + "tok", "tok.thumb")
    with server:
        url = f"http://127.0.0.1:{port}{PREFIX}"
        assert urllib.request.urlopen(url + "tok", timeout=5).read() == b"tok.thumb"
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(url + "other", timeout=5)
        assert err.value.code == 404
    assert server.served == [PREFIX + "tok"]
    with pytest.raises(OSError):  # closed again
        urllib.request.urlopen(url + "tok", timeout=2)


BASE = "sbc:\n  fqdn: sbc.example.org\n  public_ip: 203.0.113.7\n"


def test_acme_section() -> None:
    config = loads(BASE + textwrap.dedent("""\
        acme:
          directory: https://acme.example.org/dir
          email: admin@example.org
          eab_kid: kid-1
          eab_hmac: c2VjcmV0
          renew_at: 1/4
        """), "sbc.yaml")
    assert config.acme == AcmeSettings("https://acme.example.org/dir", "admin@example.org",
                                       "http-01", "kid-1", "c2VjcmV0", 0.25, 80)
    assert "c2VjcmV0" not in repr(config.acme)
    assert loads(BASE, "sbc.yaml").acme is None
    assert fixed("acme.eab_hmac").secret and not fixed("acme.eab_kid").secret
    assert fixed("acme.tsig_secret").secret
    dns01 = loads(BASE + "acme:\n  directory: https://a.example/d\n  challenge: dns-01\n"
                  "  dns_server: 192.0.2.53\n  tsig_name: k\n  tsig_secret: c2VjcmV0\n",
                  "sbc.yaml").acme
    assert dns01 is not None and dns01.dns_server == ("192.0.2.53", 53)
    assert fixed("acme.renew_at").default == pytest.approx(1 / 3)


@pytest.mark.parametrize(("lines", "message"), [
    ("  directory: http://acme.example.org/dir\n", "must be an https:// URL"),
    ("  directory: https://a.example/d\n  eab_kid: k\n", "acme.eab_hmac"),
    ("  directory: https://a.example/d\n  renew_at: 0.95\n", "between 0.05 and 0.9"),
    ("  directory: https://a.example/d\n  email: nobody\n", "must be an e-mail address"),
    ("  directory: https://a.example/d\n  challenge: tls-alpn-01\n", "http-01, dns-01"),
    ("  email: a@example.org\n", "acme.directory: required"),
    ("  directory: https://a.example/d\n  challenge: dns-01\n", "acme.tsig_secret"),
    ("  directory: https://a.example/d\n  dns_server: 192.0.2.1:99999\n", "IP or IP:PORT"),
])
def test_acme_section_errors(lines: str, message: str) -> None:
    from sbc.config.issues import ConfigError

    with pytest.raises(ConfigError, match=message):
        loads(BASE + "acme:\n" + lines, "sbc.yaml")


def test_cli_without_acme_section(
    paths_env: CertPaths, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cert", "acme", "renew"]) == 0
    assert "not configured" in capsys.readouterr().out
    assert main(["cert", "acme", "issue", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["error"]["check"] == "config"
    assert main(["cert", "acme", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["configured"] is False and status["days_left"] is None


@pytest.fixture
def paths_env(paths: CertPaths, monkeypatch: pytest.MonkeyPatch) -> CertPaths:
    config = paths.data_dir / "sbc.yaml"
    config.write_text(BASE)
    monkeypatch.setenv("OPENSBC_CONFIG", str(config))
    return paths


def test_installed_leaf_tolerates_garbage(tmp_path: Path) -> None:
    paths = CertPaths(tmp_path)
    assert installed_leaf(paths) is None
    paths.cert.write_text("not a certificate")
    assert installed_leaf(paths) is None


def test_expiry_alerts_without_acme_and_afresh_for_a_new_certificate(
    ca: LabCA, tmp_path: Path
) -> None:
    paths = CertPaths(tmp_path)
    old = _install(ca, paths, days=90)
    end = compat.not_after(old)
    assert expiry_alerts(paths, end - dt.timedelta(days=7, hours=1)) == (
        f"the SBC certificate expires in 7 days ({end:%Y-%m-%d}), within 7 days",)
    assert expiry_alerts(paths, end - dt.timedelta(days=6)) == ()
    new = _install(ca, paths, days=20)  # imported by hand: its 30-day alert comes again
    assert "within 30 days" in expiry_alerts(paths, compat.not_after(new)
                                             - dt.timedelta(days=19, hours=1))[0]


def test_cli_renew_without_acme_still_warns(
    ca: LabCA, paths_env: CertPaths, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _install(ca, paths_env, days=5)
    monkeypatch.setenv("JOURNAL_STREAM", "8:1234")  # as under systemd: priority prefixes
    assert main(["cert", "acme", "renew"]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith("<4>warning: the SBC certificate expires in ")
    assert "within 7 days" in captured.err
