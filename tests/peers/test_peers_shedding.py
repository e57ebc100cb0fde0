"""The real `sbc run` under abuse from outside and inside the allowlists.

A UDP flood from a source outside every allowlist is shed unread while an allowed
peer's OPTIONS (SIPp, retransmitting per Timer E like any peer: a burst faster than any
receiver still overflows the kernel buffer now and then) are all answered. One allowed source
holding idle TCP connections fills the general pool, and the configured Teams peer still
gets in over mutual TLS and has its OPTIONS answered. Counts are bounded; nothing is timed.
"""

from __future__ import annotations

import socket
import ssl
import threading

import pytest

from .conftest import Processes
from .sbcproc import FQDN, TEAMS, Pki, Ports, free_port, sbc_yaml, wait_until

pytestmark = pytest.mark.peers

FLOOD = 20_000
OUTSIDE = "127.0.0.9"
IDLE_SOURCE = "127.0.0.5"
POOL = 20  # sbc.limits.max_connections here

OPTIONS = (
    "OPTIONS sip:{fqdn} SIP/2.0\r\n"
    "Via: SIP/2.0/{transport} {host}:5099;branch=z9hG4bK{tag}\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:{host}>;tag={tag}\r\n"
    "To: <sip:{fqdn}>\r\n"
    "Call-ID: {tag}@{host}\r\n"
    "CSeq: 1 OPTIONS\r\n"
    "Content-Length: 0\r\n\r\n"
)


def _teams(pki: Pki, ports: Ports, allowlist: str, extra: str = "") -> str:
    connections = (
        "  - name: Teams\n"
        "    profile: teams-generic\n"
        "    options: false\n"
        f"    allowlist: [{allowlist}]\n"
    )
    hosts = {name: f"127.0.0.1:{free_port()}" for name in TEAMS}
    return sbc_yaml(pki, ports, connections=connections, hosts=hosts, extra=extra)


def _flood(port: int, count: int) -> None:
    """`count` OPTIONS from OUTSIDE, as fast as one socket sends them."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((OUTSIDE, 0))
        for n in range(count):
            data = OPTIONS.format(fqdn=FQDN, transport="UDP", host=OUTSIDE, tag=f"f{n}")
            try:
                sock.sendto(data.encode(), ("127.0.0.1", port))
            except OSError:  # ENOBUFS under load: the flood is best effort
                pass


def test_flood_from_outside_is_shed_and_options_are_answered(pki: Pki,
                                                            procs: Processes) -> None:
    ports = Ports.fresh()
    sbc = procs.sbc(_teams(pki, ports, "127.0.0.1/32"))
    friend = procs.sipp("friend", "options_retrans_uac.xml", "-i", "127.0.0.1", "-p",
                        str(free_port()), f"127.0.0.1:{ports.udp}", "-m", "30", "-r", "10",
                        "-set", "fqdn", FQDN, timeout=60)
    flooders = [threading.Thread(target=_flood, args=(ports.udp, FLOOD // 2)) for _ in range(2)]
    for thread in flooders:
        thread.start()
    for thread in flooders:
        thread.join(timeout=120)
    assert friend.wait() == 0, friend.report()  # every OPTIONS answered (all 30 calls)
    assert sbc.alive()
    dropped = wait_until(lambda: sbc.status()["dropped"]["sources"].get(OUTSIDE), 10,
                         f"{OUTSIDE} counted as dropped")
    stats = sbc.status()["transport"]["stats"]
    assert dropped["count"] == stats["shed"] > 0  # every one dropped before parsing
    assert dropped["method"] == "OPTIONS"


def test_idle_connections_do_not_lock_the_configured_peer_out(pki: Pki,
                                                              procs: Processes) -> None:
    ports = Ports.fresh()
    limits = f"  limits: {{max_connections: {POOL}}}\n"
    config = _teams(pki, ports, "127.0.0.0/8").replace("  tls: {", limits + "  tls: {", 1)
    sbc = procs.sbc(config)
    idle = []
    try:
        for _ in range(POOL + 10):  # allowed by Microsoft's range, never says anything
            idle.append(socket.create_connection(("127.0.0.1", ports.tcp), timeout=5,
                                                 source_address=(IDLE_SOURCE, 0)))
        wait_until(lambda: sbc.status()["transport"]["stats"]["refused_connections"] >= 10, 10,
                   "the general pool full")
        # Teams1 (127.0.0.1 in the host map) over mutual TLS with its certificate.
        ctx = ssl.create_default_context(cafile=str(pki.ca))
        ctx.load_cert_chain(*pki.peers[TEAMS[0]])
        with socket.create_connection(("127.0.0.1", ports.tls), timeout=5) as raw, \
                ctx.wrap_socket(raw, server_hostname=FQDN) as tls:
            tls.sendall(OPTIONS.format(fqdn=FQDN, transport="TLS", host="127.0.0.1",
                                       tag="teams").encode())
            answer = b""
            while b"\r\n\r\n" not in answer:
                chunk = tls.recv(4096)
                if not chunk:
                    break
                answer += chunk
        assert answer.startswith(b"SIP/2.0 200 OK"), answer
    finally:
        for sock in idle:
            sock.close()
    stats = sbc.status()["transport"]["stats"]
    assert stats["refused_connections"] == 10  # the idle source's, and nothing else
