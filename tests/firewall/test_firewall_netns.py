"""The ruleset loaded for real in a network namespace: what gets through, and what
`python3 -m sbc.firewall apply` does with a missing or broken config. Root only."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fwtest_configs import EXAMPLE, with_allowlists, write
from fwtest_netns import in_ns, veth_pair

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not all(shutil.which(t) for t in ("ip", "nft", "unshare")),
    reason="needs root, iproute2, nftables, util-linux")

SERVER = r"""
import select, socket, sys, time
tcp, udp = [int(p) for p in sys.argv[1].split(",")], [int(p) for p in sys.argv[2].split(",")]
socks = {}
for port in tcp:
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port)); s.listen(); socks[s] = ("tcp", port)
for port in udp:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", port))
    socks[s] = ("udp", port)
print("ready", flush=True)
deadline = time.monotonic() + float(sys.argv[3])
while (left := deadline - time.monotonic()) > 0:
    for s in select.select(list(socks), [], [], left)[0]:
        kind, port = socks[s]
        if kind == "tcp":
            s.accept()[0].close()
        else:
            s.recvfrom(2048)
        print(kind, port, flush=True)
"""

CLIENT = r"""
import json, socket, sys
host = sys.argv[1]
result = {}
for port in [int(p) for p in sys.argv[2].split(",")]:
    s = socket.socket(); s.settimeout(1.0)
    try:
        s.connect((host, port)); result[f"tcp {port}"] = "open"
    except ConnectionRefusedError:
        result[f"tcp {port}"] = "refused"
    except OSError:
        result[f"tcp {port}"] = "timeout"
    s.close()
for port in [int(p) for p in sys.argv[3].split(",")]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b"x", (host, port)); s.close()
print(json.dumps(result))
"""


@pytest.fixture
def namespaces() -> Iterator[tuple[str, str]]:
    with veth_pair() as pair:
        yield pair


def test_only_configured_ports_get_through(namespaces: tuple[str, str]) -> None:
    fw, peer = namespaces
    applied = in_ns(fw, sys.executable, "-m", "sbc.firewall", "apply", "--config", str(EXAMPLE))
    assert applied.returncode == 0, applied.stderr
    tcp, udp = "22,9090,5060,5061,8080", "5060,5070,35000"
    server = subprocess.Popen(["ip", "netns", "exec", fw, sys.executable, "-c", SERVER,
                               tcp, udp, "15"], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        assert server.stdout.readline().strip() == "ready"
        client = in_ns(peer, sys.executable, "-c", CLIENT, "10.77.0.2", tcp, udp)
        assert client.returncode == 0, client.stderr
        ping = in_ns(peer, "ping", "-n", "-c", "1", "-w", "3", "10.77.0.2")
    finally:
        server.terminate()
        seen = set(server.communicate(timeout=30)[0].split("\n"))
    assert json.loads(client.stdout) == {
        "tcp 22": "open", "tcp 9090": "open", "tcp 5060": "open", "tcp 5061": "open",
        "tcp 8080": "timeout",  # dropped, not refused: policy drop
    }
    assert {"udp 5060", "udp 35000"} <= seen
    assert "udp 5070" not in seen
    if shutil.which("ping"):
        assert ping.returncode == 0  # ICMP echo is allowed


@pytest.mark.parametrize("carrier, ssh", [
    ("[10.77.0.1/32]", "timeout"),  # the peer is the carrier; admins elsewhere
    ("[192.0.2.0/24]", "open"),  # the peer is in no allowlist; it is an admin
])
def test_sip_from_allowlists_and_management_from_admins(namespaces: tuple[str, str],
                                                         tmp_path: Path, carrier: str,
                                                         ssh: str) -> None:
    fw, peer = namespaces
    admins = "[192.0.2.0/24]" if ssh == "timeout" else "[10.77.0.0/24]"
    config = write(tmp_path, with_allowlists(carrier, admins))
    applied = in_ns(fw, sys.executable, "-m", "sbc.firewall", "apply", "--config", str(config))
    assert applied.returncode == 0, applied.stderr
    server = subprocess.Popen(["ip", "netns", "exec", fw, sys.executable, "-c", SERVER,
                               "22,5061", "5060", "15"], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        assert server.stdout.readline().strip() == "ready"
        client = in_ns(peer, sys.executable, "-c", CLIENT, "10.77.0.2", "22,5061", "5060")
        assert client.returncode == 0, client.stderr
    finally:
        server.terminate()
        seen = set(server.communicate(timeout=30)[0].split("\n"))
    sip = "open" if carrier == "[10.77.0.1/32]" else "timeout"
    assert json.loads(client.stdout) == {"tcp 22": ssh, "tcp 5061": sip}
    assert ("udp 5060" in seen) == (sip == "open")


def _apply_then_list(ns: str, *configs: Path) -> tuple[list[int], str]:
    codes = []
    for config in configs:
        done = in_ns(ns, sys.executable, "-m", "sbc.firewall", "apply", "--config", str(config))
        codes.append(done.returncode)
    listing = in_ns(ns, "nft", "list", "table", "inet", "opensbc")
    return codes, listing.stdout


def test_apply_without_config_opens_management_only(namespaces: tuple[str, str],
                                                     tmp_path: Path) -> None:
    codes, rules = _apply_then_list(namespaces[0], tmp_path / "absent.yaml")
    assert codes == [0]
    assert 'tcp dport 22 accept comment "SSH"' in rules
    assert "SIP" not in rules and "policy drop" in rules


def test_invalid_config_keeps_the_last_good_rules(namespaces: tuple[str, str],
                                                  tmp_path: Path) -> None:
    broken = write(tmp_path, EXAMPLE.read_text().replace("options_interval: 60",
                                                         "options_interval: 1"))
    codes, rules = _apply_then_list(namespaces[0], EXAMPLE, broken)
    assert codes == [0, 1]
    assert 'tcp dport 5061 accept comment "SIP TLS"' in rules


def test_invalid_config_at_boot_opens_management_only(namespaces: tuple[str, str],
                                                      tmp_path: Path) -> None:
    broken = write(tmp_path, "sbc: {fqdn: not a name}\n")
    codes, rules = _apply_then_list(namespaces[0], broken)
    assert codes == [1]
    assert "web console" in rules and "SIP" not in rules
