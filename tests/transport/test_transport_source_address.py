"""Outgoing TCP/TLS connections leave from the listen address of their transport, not the
kernel's choice: checked in a network namespace with two addresses, where the peer
records the source it sees. Root only (`unshare -n`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .kit import PEER_NAME, Pki

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not all(shutil.which(t) for t in ("ip", "unshare")),
    reason="needs root, iproute2, util-linux")

# Runs inside the namespace: the peer on 10.99.0.1, the SBC listening on 10.99.0.2 (and,
# as the control, on every address). The kernel's own choice for 10.99.0.1 is 10.99.0.1.
SCRIPT = r"""
import asyncio, ipaddress, json, subprocess, sys
from pathlib import Path
from sbc.config.model import Listener
from sbc.sip import parse_datagram
from sbc.transport import Peer, TlsContexts, TransportManager

for argv in (["link", "set", "lo", "up"], ["addr", "add", "10.99.0.1/32", "dev", "lo"],
             ["addr", "add", "10.99.0.2/32", "dev", "lo"]):
    subprocess.run(["ip", *argv], check=True)
ca, peer_cert, peer_key, sbc_cert, sbc_key = (Path(a) for a in sys.argv[1:6])
fqdn = sys.argv[6]

class Recorder:
    def __init__(self):
        self.sources = []
    def receive(self, incoming):
        self.sources.append(incoming.source.host)
    def admit_connection(self, peer):
        return True
    def send_failed(self, message, dest, reason):
        print("send failed:", reason, file=sys.stderr)
    def connection_lost(self, peer, reason):
        pass

def options(branch, transport):
    return parse_datagram((
        f"OPTIONS sip:peer SIP/2.0\r\nVia: SIP/2.0/{transport} 10.99.0.2;branch={branch}\r\n"
        "Max-Forwards: 70\r\nFrom: <sip:sbc@x>;tag=1\r\nTo: <sip:peer>\r\n"
        f"Call-ID: {branch}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode())

async def seen_from(listen_on, kind, peer_tls, sbc_tls):
    rec = Recorder()
    peer = TransportManager(rec, tls=peer_tls)
    await peer.listen([Listener(kind, ipaddress.ip_address("10.99.0.1"), 0)])
    port = peer.listening()[0][2]
    sbc = TransportManager(Recorder(), tls=sbc_tls)
    await sbc.listen([Listener(kind, ipaddress.ip_address(listen_on), 0)])
    try:
        sbc.send(options(f"z9hG4bK{kind}{listen_on}", kind.upper()),
                 Peer("10.99.0.1", port, kind, sni=fqdn if kind == "tls" else None))
        for _ in range(500):
            if rec.sources:
                return rec.sources[0]
            await asyncio.sleep(0.01)
        return None
    finally:
        await sbc.close()
        await peer.close()

async def main():
    peer_tls = TlsContexts.load(peer_cert, peer_key, ca)
    sbc_tls = TlsContexts.load(sbc_cert, sbc_key, ca)
    out = {}
    for kind in ("tcp", "tls"):
        for listen_on in ("10.99.0.2", "0.0.0.0"):
            out[f"{kind} {listen_on}"] = await asyncio.wait_for(
                seen_from(listen_on, kind, peer_tls, sbc_tls), 20)
    print(json.dumps(out))

asyncio.run(main())
"""


def test_outgoing_connections_leave_from_the_listen_address(pki: Pki) -> None:
    # The SBC side connects with SNI = the name in the peer's certificate, as for Teams.

    done = subprocess.run(
        ["unshare", "-n", sys.executable, "-c", SCRIPT, str(pki.ca), str(pki.peer[0]),
         str(pki.peer[1]), str(pki.sbc[0]), str(pki.sbc[1]), PEER_NAME],
        capture_output=True, text=True, timeout=120, cwd=REPO, check=False)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {
        "tcp 10.99.0.2": "10.99.0.2", "tls 10.99.0.2": "10.99.0.2",  # the listen address
        "tcp 0.0.0.0": "10.99.0.1", "tls 0.0.0.0": "10.99.0.1",  # the kernel's choice
    }
