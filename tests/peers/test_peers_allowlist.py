"""A source outside every allowlist gets no reply at all (UDP, TCP) and is counted; an
allowed source gets its OPTIONS answered, with the TLS Contact even over UDP."""

from __future__ import annotations

import socket
import time

import pytest

from .conftest import Processes
from .sbcproc import FQDN, TEAMS, Pki, Ports, free_port, sbc_yaml, wait_until

pytestmark = pytest.mark.peers

OPTIONS = (
    "OPTIONS sip:{fqdn} SIP/2.0\r\n"
    "Via: SIP/2.0/TCP 127.0.0.2:5099;branch=z9hG4bKscan{n}\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:scanner@127.0.0.2>;tag=s{n}\r\n"
    "To: <sip:{fqdn}>\r\n"
    "Call-ID: scan-{n}@127.0.0.2\r\n"
    "CSeq: 1 OPTIONS\r\n"
    "Content-Length: 0\r\n\r\n"
)


def test_unlisted_source_gets_nothing(pki: Pki, procs: Processes) -> None:
    ports = Ports.fresh()
    connections = (
        "  - name: Teams\n"
        "    profile: teams-generic\n"
        "    options: false\n"
        "    allowlist: [127.0.0.1/32]\n"
    )
    hosts = {name: f"127.0.0.1:{free_port()}" for name in TEAMS}
    sbc = procs.sbc(sbc_yaml(pki, ports, connections=connections, hosts=hosts))

    # SIPp from 127.0.0.2: passes only if nothing at all comes back within 3 s.
    scanner = procs.sipp("scanner", "no_reply_uac.xml", "-i", "127.0.0.2", "-p",
                         str(free_port(host="127.0.0.2")), f"127.0.0.1:{ports.udp}", "-m", "1")
    assert scanner.wait() == 0, scanner.report()

    # Over TCP the connection is closed before anything is read or answered.
    with socket.create_connection(("127.0.0.1", ports.tcp), timeout=5,
                                  source_address=("127.0.0.2", 0)) as tcp:
        try:
            tcp.sendall(OPTIONS.format(fqdn=FQDN, n=1).encode())
            time.sleep(0.5)
            answer = tcp.recv(4096)
        except ConnectionError:
            answer = b""
    assert answer == b""

    dropped = wait_until(lambda: sbc.status()["dropped"]["sources"].get("127.0.0.2"), 5,
                         "127.0.0.2 counted as dropped")
    assert dropped["count"] >= 2
    assert dropped["method"] in ("OPTIONS", "TCP connection")
    assert "dropped 1 request from 127.0.0.2" in sbc.output()  # logged once, at once
    table = sbc.cli("status", "--run-dir", str(sbc.run_dir))
    assert "127.0.0.2" in table.stdout

    # The same OPTIONS from the allowed 127.0.0.1 over UDP: 200 with the TLS Contact
    # (FQDN and the TLS listening port) and X-MS-SBC, checked by SIPp.
    friend = procs.sipp("teams_udp", "teams_uac.xml", "-i", "127.0.0.1", "-p",
                        str(free_port()), f"127.0.0.1:{ports.udp}", "-m", "1",
                        "-set", "fqdn", FQDN, "-set", "tls_port", str(ports.tls))
    assert friend.wait() == 0, friend.report()
