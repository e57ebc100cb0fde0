"""The walkthrough's order on a running SBC: carrier first, the certificate last.

The SBC starts from a config whose certificate does not exist yet: UDP/TCP listen, the
carrier registers with a SIPp registrar, the Teams connections wait with the reason.
A certificate made with `sbc cert csr`, signed by a test CA and installed with `sbc cert
import` while the SBC runs, brings the TLS listener and Teams1 up on SIGHUP, OPTIONS both
ways over mutual TLS, with the same process and the carrier's registration untouched.
"""

from __future__ import annotations

import dataclasses
import signal
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .conftest import Processes
from .sbcproc import (
    AUTH_USER,
    FQDN,
    LINE,
    PASSWORD,
    TEAMS,
    Pki,
    Ports,
    free_port,
    sbc_yaml,
    wait_until,
)
from .tlsrelay import TlsRelay

pytestmark = pytest.mark.peers


def _config(pki: Pki, data: Path, ports: Ports, registrar: int, teams: int) -> str:
    """Certificate files in `data`, none of them there yet; the CA store built there."""
    files = dataclasses.replace(pki, sbc_cert=data / "sbc.crt", sbc_key=data / "sbc.key",
                                ca=data / "ca.pem")
    connections = (
        "  - name: Telekom\n"
        "    profile: telekom-deutschlandlan\n"
        f'    line_number: "{LINE}"\n'
        f'    auth_user: "{AUTH_USER}"\n'
        f"    password: {PASSWORD}\n"
        "    options: false\n"
        "    allowlist: [127.0.0.1/32]\n"
        "  - name: Teams\n"
        "    profile: teams-generic\n"
        "    allowlist: [127.0.0.1/32]\n"
    )
    hosts = {"reg.sip-trunk.telekom.de": f"127.0.0.1:{registrar}",
             TEAMS[0]: f"127.0.0.1:{teams}", TEAMS[1]: f"127.0.0.1:{free_port()}",
             TEAMS[2]: f"127.0.0.1:{free_port()}"}
    return sbc_yaml(files, ports, connections=connections, hosts=hosts)


def _cli_ok(sbc: object, *args: str) -> str:
    result = sbc.cli(*args)  # type: ignore[attr-defined]
    assert result.returncode == 0, f"sbc {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return str(result.stdout)


def test_carrier_runs_before_the_certificate_and_teams_comes_up_on_import(
        pki: Pki, procs: Processes, tmp_path: Path) -> None:
    assert pki.authority is not None
    data = tmp_path / "data"
    data.mkdir()
    ports = Ports.fresh()
    registrar_port, relay_tls, sipp_uas_port, relay_plain = (
        free_port(), free_port(), free_port(), free_port())
    procs.sipp("registrar", "registrar.xml", "-t", "t1", "-i", "127.0.0.1",
               "-p", str(registrar_port), "-m", "1", "-set", "auth_user", AUTH_USER,
               "-set", "password", PASSWORD, "-set", "line", LINE)
    # The trust store as seeded on the appliance: system roots + Microsoft's + the lab CA
    # that stands in for Microsoft's and the carrier's.
    sbc = procs.sbc(_config(pki, data, ports, registrar_port, relay_tls), options_interval=2)
    _cli_ok(sbc, "cert", "add-ca", str(pki.ca), "--data-dir", str(data))

    # Before the certificate: no TLS listener, Teams waits, the carrier registers.
    status = sbc.status()
    assert status["tls"]["active"] is False
    assert "waiting for a certificate" in status["tls"]["reason"]
    assert not any(item.startswith("tls ") for item in status["sbc"]["listening"])
    for name in ("Teams1", "Teams2", "Teams3"):
        conn = sbc.connection(name)
        assert conn["waiting"].startswith("waiting for a certificate (`sbc cert csr --fqdn "
                                          f"{FQDN}`"), conn
        assert conn["options_out"] is None
    wait_until(lambda: (sbc.connection("Telekom")["registration"] or {}).get("state")
               == "registered", 20, "the carrier's registration")
    text = _cli_ok(sbc, "status", "--run-dir", str(sbc.run_dir))
    assert "Teams1, Teams2, Teams3: waiting for a certificate" in text
    pid = sbc.status()["pid"]

    # The walkthrough's certificate step, on the running box.
    _cli_ok(sbc, "cert", "csr", "--fqdn", FQDN, "--data-dir", str(data))
    csr = x509.load_pem_x509_csr((data / "sbc.csr").read_bytes())
    signed = pki.authority.sign_csr(csr)
    pem = serialization.Encoding.PEM
    (tmp_path / "signed.pem").write_bytes(
        signed.public_bytes(pem) + pki.authority.intermediate.cert.public_bytes(pem))
    _cli_ok(sbc, "cert", "import", str(tmp_path / "signed.pem"), "--fqdn", FQDN,
            "--data-dir", str(data))

    cert, key = pki.peers[TEAMS[0]]
    relay = TlsRelay(cert=cert, key=key, ca=pki.ca, tls_port=relay_tls, sipp_port=sipp_uas_port,
                     plain_port=relay_plain, sbc_tls_port=ports.tls, sbc_name=FQDN).start()
    try:
        uas = procs.sipp("teams_uas", "teams_uas.xml", "-t", "t1", "-i", "127.0.0.1",
                         "-p", str(sipp_uas_port), "-m", "1",
                         "-set", "fqdn", FQDN, "-set", "tls_port", str(ports.tls))
        sbc.signal(signal.SIGHUP)
        wait_until(lambda: sbc.status()["tls"]["active"], 10, "the TLS side to come up")
        wait_until(lambda: f"tls 127.0.0.1:{ports.tls}" in sbc.status()["sbc"]["listening"],
                   10, "the TLS listener")
        assert sbc.connection("Teams1")["waiting"] is None
        assert uas.wait() == 0, uas.report()
        wait_until(lambda: "Teams1: OPTIONS status up (200 OK, rtt" in sbc.output(), 10,
                   "Teams1 OPTIONS up")
        uac = procs.sipp("teams_uac", "teams_uac.xml", "-t", "t1", "-i", "127.0.0.1",
                         "-p", str(free_port()), f"127.0.0.1:{relay_plain}", "-m", "1",
                         "-set", "fqdn", FQDN, "-set", "tls_port", str(ports.tls))
        assert uac.wait() == 0, uac.report()
        wait_until(lambda: sbc.connection("Teams1").get("options_in"), 10,
                   "Teams1's OPTIONS in the status")
    finally:
        relay.stop()
    status = sbc.status()
    assert status["pid"] == pid and sbc.alive()  # no restart
    assert status["certificate"]["subject"] == FQDN
    assert status["certificate"]["report"]["usable"] is True
    assert sbc.connection("Telekom")["registration"]["state"] == "registered"
