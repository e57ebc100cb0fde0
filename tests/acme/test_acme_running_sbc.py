"""A renewal seen by the peers of a running SBC: Pebble issues, `sbc run` serves that
certificate over mutual TLS; at the renewal point the new pair is installed, the reload
(systemctl's stand-in sends SIGHUP as ExecReload does) makes new connections see the
new certificate, and the SBC closes the idle old connection (no transaction on it)."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import stat
import sys
from pathlib import Path

import pytest
from acme_helpers import FQDN, trust
from acme_pebble import Pebble, free_port
from cryptography import x509
from sbc.certs import compat
from sbc.certs.acme.renew import installed_leaf, renew
from sbc.certs.bundle import add_ca
from sbc.certs.paths import CertPaths
from sbc.certs.testpki import LabCA
from sbc.config.model import AcmeSettings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from peers.sbcproc import SbcProcess, wait_until  # noqa: E402

pytestmark = pytest.mark.peers

# ExecReload=/bin/kill -HUP $MAINPID, with the PID from the SBC's status file
SYSTEMCTL = """#!/bin/sh
echo "$*" >> {log}
kill -HUP "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' {status})"
"""


def _served(port: int, client: tuple[Path, Path], ca: Path) -> tuple[ssl.SSLSocket, int]:
    """A mutual-TLS connection to the SBC and the serial of the certificate it showed."""
    ctx = ssl.create_default_context(cafile=str(ca))
    ctx.load_cert_chain(str(client[0]), str(client[1]))
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn = ctx.wrap_socket(raw, server_hostname=FQDN)
    der = conn.getpeercert(binary_form=True)
    assert der is not None
    return conn, x509.load_der_x509_certificate(der).serial_number


def _closed_by_peer(conn: ssl.SSLSocket) -> bool:
    conn.settimeout(0.2)
    try:
        return conn.recv(1) == b""
    except TimeoutError:
        return False
    except (ssl.SSLError, OSError):
        return True


def test_renewal_reaches_new_connections_and_closes_the_old(
    pebble: Pebble, paths: CertPaths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trust(paths, pebble, monkeypatch)
    monkeypatch.setenv("OPENSBC_ACME_BIND", "127.0.0.1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("OPENSBC_NFT", "true")  # the firewall part has its own tests
    peer_ca = LabCA("Peer")  # the client certificate a Teams proxy would show
    peer = peer_ca.write(tmp_path / "peer", peer_ca.issue("sip.pstnhub.microsoft.com"))
    add_ca(peer_ca.root.cert_pem, paths, source="peer", system_store=None)
    settings = AcmeSettings(directory=pebble.directory, email="admin@example.org",
                            http_port=pebble.http_port)  # type: ignore[call-arg]
    monkeypatch.setenv("OPENSBC_SYSTEMCTL", "true")
    first = renew(settings, FQDN, paths, system_store=None)
    assert first.result == "issued", first
    old = installed_leaf(paths)
    assert old is not None

    tls_port = free_port()
    (tmp_path / "sbc").mkdir()
    config = (
        "sbc:\n"
        f"  fqdn: {FQDN}\n"
        "  public_ip: 127.0.0.1\n"
        "  listen:\n"
        f"    - {{transport: udp, address: 127.0.0.1, port: {free_port()}}}\n"
        f"    - {{transport: tls, address: 127.0.0.1, port: {tls_port}}}\n"
        f"  tls: {{cert: {paths.cert}, key: {paths.key}, ca_bundle: {paths.ca_bundle}}}\n"
        "connections:\n"  # the "Teams proxy" below connects from loopback
        "  - {name: Peer, profile: generic, host: 127.0.0.1, port: 9, transport: udp,\n"
        "     options: false, allowlist: [127.0.0.1/32]}\n"
    )
    sbc = SbcProcess(tmp_path / "sbc", config)
    sbc.start()
    try:
        wait_until(lambda: sbc.status()["tls"]["active"], 15, "the TLS listener")
        ca = tmp_path / "pebble-root.pem"
        ca.write_bytes(pebble.root_pem())
        conn, serial = _served(tls_port, (peer.cert, peer.key), ca)
        assert serial == old.serial_number

        systemctl = tmp_path / "systemctl"
        systemctl.write_text(SYSTEMCTL.format(log=tmp_path / "systemctl.log",
                                              status=sbc.status_file))
        systemctl.chmod(systemctl.stat().st_mode | stat.S_IXUSR)
        monkeypatch.setenv("OPENSBC_SYSTEMCTL", str(systemctl))
        end = compat.not_after(old)
        outcome = renew(settings, FQDN, paths, now=end - dt.timedelta(days=20),
                        system_store=None)
        assert outcome.result == "issued" and outcome.reloaded, outcome
        new = installed_leaf(paths)
        assert new is not None and new.serial_number != old.serial_number

        # the reload took it: new connections see the new certificate ...
        def serves_new() -> bool:
            fresh, seen = _served(tls_port, (peer.cert, peer.key), ca)
            fresh.close()
            return seen == new.serial_number

        wait_until(serves_new, 15, "the new certificate on a new connection")
        # ... and the idle old connection was closed (drained: no transaction on it)
        wait_until(lambda: _closed_by_peer(conn), 15, "the old connection closed")
        conn.close()
    finally:
        sbc.stop()
    assert sbc.proc is not None and sbc.proc.returncode == 0, sbc.output()[-3000:]
