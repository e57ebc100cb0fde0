"""Registration against a SIPp registrar that challenges with 401 and checks the answer;
the result reaches a real rsyslogd on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Processes
from .rsyslogd import rsyslogd
from .sbcproc import AUTH_USER, LINE, PASSWORD, Pki, Ports, free_port, sbc_yaml, wait_until

pytestmark = pytest.mark.peers


def _carrier(registrar_port: int) -> tuple[str, dict[str, str]]:
    connections = (
        "  - name: Telekom\n"
        "    profile: telekom-deutschlandlan\n"
        f'    line_number: "{LINE}"\n'
        f'    auth_user: "{AUTH_USER}"\n'
        f"    password: {PASSWORD}\n"
        "    options: false\n"  # the registrar scenario expects REGISTER only
        "    allowlist: [127.0.0.1/32]\n"
    )
    return connections, {"reg.sip-trunk.telekom.de": f"127.0.0.1:{registrar_port}"}


def test_register_with_digest_and_syslog(pki: Pki, procs: Processes, tmp_path: Path) -> None:
    registrar_port = free_port()
    registrar = procs.sipp(
        "registrar", "registrar.xml", "-t", "t1", "-i", "127.0.0.1", "-p", str(registrar_port),
        "-m", "1", "-set", "auth_user", AUTH_USER, "-set", "password", PASSWORD,
        "-set", "line", LINE,
    )
    with rsyslogd(tmp_path / "rsyslog") as syslog:
        connections, hosts = _carrier(registrar_port)
        extra = f"syslog: {{host: 127.0.0.1, port: {syslog.port}, protocol: udp}}\n"
        sbc = procs.sbc(sbc_yaml(pki, Ports.fresh(), connections=connections, hosts=hosts,
                                 extra=extra))
        assert registrar.wait() == 0, registrar.report() + "\n" + sbc.output()

        line = syslog.wait_for("Telekom: registration succeeded")
        assert "expires in 300 s" in line
        assert 'result="ok"' in line and 'status="200"' in line
        assert "sbc.lab.test" in line  # HOSTNAME is the SBC's FQDN

    reg = wait_until(lambda: sbc.connection("Telekom")["registration"]["state"] == "registered"
                     and sbc.connection("Telekom")["registration"], 5, "registered in status")
    assert reg["code"] == 200
    assert reg["expires"] == 300
    assert reg["aor"] == f"sip:{LINE}@sip-trunk.telekom.de"
    # The refresh is planned at 50-80 % of the granted 300 s.
    assert 150 <= reg["next_attempt"] - (reg["expires_at"] - 300) <= 240 + 1
    table = sbc.cli("status", "--run-dir", str(sbc.run_dir))
    assert table.returncode == 0, table.stderr
    assert "registered (200)" in table.stdout


def test_wrong_password_fails_and_backs_off(pki: Pki, procs: Processes) -> None:
    registrar_port = free_port()
    registrar = procs.sipp(
        "registrar", "registrar.xml", "-t", "t1", "-i", "127.0.0.1", "-p", str(registrar_port),
        "-m", "1", "-set", "auth_user", AUTH_USER, "-set", "password", "not-the-password",
        "-set", "line", LINE,
    )
    connections, hosts = _carrier(registrar_port)
    sbc = procs.sbc(sbc_yaml(pki, Ports.fresh(), connections=connections, hosts=hosts))
    # SIPp's verifyauth finds the digest wrong for its password and fails the call.
    assert registrar.wait() != 0
    assert "digest response wrong" in registrar.report()
    reg = wait_until(lambda: sbc.connection("Telekom")["registration"]["state"] == "failed"
                     and sbc.connection("Telekom")["registration"], 10, "failed in status")
    assert reg["failures"] >= 1
    assert reg["next_attempt"] is not None
