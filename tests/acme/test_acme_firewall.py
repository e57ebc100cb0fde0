"""Port 80 really opens and closes: two network namespaces joined by a veth pair, the
SBC side with the appliance's own nftables ruleset (drop by default), and its rule for
the mark that `sbc.certs.acme.firewall` sets (see its docstring)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sbc.certs.acme import firewall
from sbc.config.loader import load_config
from sbc.firewall.plan import plan_for
from sbc.firewall.render import render_ruleset

pytestmark = pytest.mark.peers

SBC, CA = "10.99.0.1", "10.99.0.2"
# The appliance's own ruleset, rendered from the shipped example as opensbc-firewall does
# (its input chain accepts the mark; management from anywhere, SIP from the allowlists).
EXAMPLE = Path(__file__).resolve().parents[2] / "examples/appliance.yaml"
MAIN = render_ruleset(plan_for(load_config(str(EXAMPLE)), "/data/sbc.yaml"))


def _run(*argv: str, input: str | None = None) -> None:  # noqa: A002
    subprocess.run(argv, input=input, text=True, check=True, capture_output=True)


@pytest.fixture
def namespaces() -> Iterator[tuple[str, str]]:
    if os.geteuid() != 0 or not all(shutil.which(t) for t in ("ip", "nft", "curl")):
        pytest.skip("needs root, ip, nft and curl")
    sbc, ca = f"acme-sbc-{os.getpid()}", f"acme-ca-{os.getpid()}"
    _run("ip", "netns", "add", sbc)
    _run("ip", "netns", "add", ca)
    server = None
    try:
        _run("ip", "link", "add", "va", "netns", sbc, "type", "veth", "peer", "name", "vb",
             "netns", ca)
        for ns, dev, address in ((sbc, "va", SBC), (ca, "vb", CA)):
            _run("ip", "-n", ns, "addr", "add", f"{address}/24", "dev", dev)
            _run("ip", "-n", ns, "link", "set", dev, "up")
        _run("ip", "-n", sbc, "link", "set", "lo", "up")
        _run("ip", "netns", "exec", sbc, "nft", "-f", "-", input=MAIN)
        server = subprocess.Popen(
            ["ip", "netns", "exec", sbc, "python3", "-m", "http.server", "80", "--bind", SBC],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not _reachable(sbc):  # from inside (loopback is always open)
            assert time.monotonic() < deadline, "http.server did not start"
            time.sleep(0.1)
        yield sbc, ca
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        subprocess.run(["ip", "netns", "del", sbc], check=False)
        subprocess.run(["ip", "netns", "del", ca], check=False)


def _reachable(ns: str) -> bool:
    proc = subprocess.run(["ip", "netns", "exec", ns, "curl", "-s", "-m", "2", "-o",
                           "/dev/null", f"http://{SBC}/"], check=False)
    return proc.returncode == 0


def test_port_80_open_only_inside(namespaces: tuple[str, str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    sbc, ca = namespaces
    monkeypatch.setenv(firewall.NFT_ENV, f"ip netns exec {sbc} nft")
    assert not _reachable(ca)
    with firewall.port_open(80):
        assert _reachable(ca)
    assert not _reachable(ca)
    with pytest.raises(RuntimeError), firewall.port_open(80):
        raise RuntimeError("the CA went away")
    assert not _reachable(ca)
