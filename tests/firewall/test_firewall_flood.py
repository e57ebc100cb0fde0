"""The rendered firewall in front of the real `sbc run`, in a network namespace: a UDP
flood from an address outside every allowlist never reaches the SBC (nftables drops it
on the SIP port), while the allowed peer's OPTIONS (SIPp) are all answered. Root only."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fwtest_configs import REPO, write
from fwtest_netns import BOX, PEER, in_ns, veth_pair

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not all(shutil.which(t) for t in ("ip", "nft", "sipp")),
    reason="needs root, iproute2, nftables, SIPp")

OUTSIDE = "10.77.0.3"
FLOOD = 20_000
SCENARIO = REPO / "tests/peers/scenarios/options_retrans_uac.xml"

CONFIG = f"""
sbc:
  fqdn: sbc.lab.test
  public_ip: {BOX}
  listen:
    - {{transport: udp, address: {BOX}, port: 5060}}
  admin_allowlist: [{PEER}/32]
  tls: {{cert: /nonexistent/sbc.crt, key: /nonexistent/sbc.key, ca_bundle: /nonexistent/ca.pem}}
connections:
  - {{name: Carrier, profile: generic, host: {PEER}, transport: udp, options: false}}
"""

FLOODER = r"""
import socket, sys
target, count = (sys.argv[1], 5060), int(sys.argv[2])
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((sys.argv[3], 0))
data = (b"OPTIONS sip:sbc.lab.test SIP/2.0\r\nVia: SIP/2.0/UDP x;branch=z9hG4bKf\r\n"
        b"Max-Forwards: 70\r\nFrom: <sip:x>;tag=f\r\nTo: <sip:sbc.lab.test>\r\n"
        b"Call-ID: flood\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
sent = 0
for _ in range(count):
    try:
        sock.sendto(data, target); sent += 1
    except OSError:
        pass
print(sent)
"""


def _status(run_dir: Path) -> dict[str, object]:
    for _ in range(100):
        try:
            data: dict[str, object] = json.loads((run_dir / "status.json").read_text())
            return data
        except (FileNotFoundError, ValueError):
            time.sleep(0.1)
    raise AssertionError("no status file")


def test_firewall_drops_the_flood_and_the_peer_is_answered(tmp_path: Path) -> None:
    config = write(tmp_path, CONFIG)
    run_dir = tmp_path / "run"
    with veth_pair(OUTSIDE) as (fw, peer):
        applied = in_ns(fw, sys.executable, "-m", "sbc.firewall", "apply", "--config",
                        str(config))
        assert applied.returncode == 0, applied.stderr
        env = dict(os.environ, PYTHONPATH=str(REPO / "appliance"), PYTHONUNBUFFERED="1")
        log = (tmp_path / "sbc.log").open("wb")
        sbc = subprocess.Popen(["ip", "netns", "exec", fw, sys.executable, "-m", "sbc.cli",
                                "run", "--config", str(config), "--run-dir", str(run_dir),
                                "--status-interval", "0.3"],
                               stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO)
        try:
            _status(run_dir)
            sipp = subprocess.Popen(
                ["ip", "netns", "exec", peer, "sipp", "-sf", str(SCENARIO), "-nostdin",
                 "-i", PEER, "-p", "5070", f"{BOX}:5060", "-m", "30", "-r", "10",
                 "-set", "fqdn", "sbc.lab.test", "-timeout", "60s", "-timeout_error"],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=tmp_path)
            flood = in_ns(peer, sys.executable, "-c", FLOODER, BOX, str(FLOOD), OUTSIDE)
            assert flood.returncode == 0, flood.stderr
            out = sipp.communicate(timeout=90)[0].decode(errors="replace")
            assert sipp.returncode == 0, out[-3000:]  # every OPTIONS answered
            assert int(flood.stdout) > 0
            time.sleep(0.5)  # one more status write (not an assertion on time)
            status = _status(run_dir)
        finally:
            sbc.terminate()
            sbc.wait(timeout=30)
            log.close()
    dropped = status["dropped"]
    stats = status["transport"]["stats"]  # type: ignore[index]
    assert OUTSIDE not in dropped["sources"]  # type: ignore[index]  # never reached the SBC
    assert stats["shed"] == 0  # type: ignore[index]
    assert stats["udp_in"] >= 30  # type: ignore[index]  # the peer's OPTIONS did
