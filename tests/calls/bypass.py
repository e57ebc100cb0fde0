"""The media-bypass lab: Teams endpoints in a network namespace of their own.

    with BypassNet.create() as net:             # root only (CI runs as root)
        agent = NetnsAgent(net, net.client)       # aioice, controlling, at 10.79.x.1
        teams = lab.teams_uas(..., **agent.sipp_vars())
        agent.connect(sdp_from_the_sbc)           # checks + nomination over the veth

The namespace holds the endpoints' addresses (`client` 10.79.x.1, `other` 10.79.x.3: a
second forked endpoint or a media processor); the host side of the veth pair holds
`sbc` (10.79.x.2), which is rtpengine's interface and the SBC's public IP in the lab.
SIP stays on loopback. Every wait is bounded; the namespace and the agents go on exit.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

AGENT = Path(__file__).resolve().parent / "iceagent.py"


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30,
                          check=False)
    if done.returncode:
        raise AssertionError(f"ip {' '.join(args)}: {done.stderr.strip()}")


@dataclass(frozen=True)
class BypassNet:
    ns: str
    sbc: str
    client: str
    other: str

    @classmethod
    @contextmanager
    def create(cls) -> Iterator[BypassNet]:
        if os.geteuid() != 0:
            pytest.fail("the media-bypass tests need root for a network namespace "
                        "(CI runs make test as root)", pytrace=False)
        tag = f"bp{os.getpid() % 100000}"
        subnet = f"10.79.{os.getpid() % 250}"
        net = cls(tag, f"{subnet}.2", f"{subnet}.1", f"{subnet}.3")
        host_dev, ns_dev = f"{tag}h", f"{tag}n"
        _ip("netns", "add", tag)
        try:
            _ip("link", "add", host_dev, "type", "veth", "peer", "name", ns_dev)
            _ip("link", "set", ns_dev, "netns", tag)
            _ip("addr", "add", f"{net.sbc}/24", "dev", host_dev)
            _ip("link", "set", host_dev, "up")
            for address in (net.client, net.other):
                _ip("-n", tag, "addr", "add", f"{address}/24", "dev", ns_dev)
            _ip("-n", tag, "link", "set", ns_dev, "up")
            _ip("-n", tag, "link", "set", "lo", "up")
            yield net
        finally:
            subprocess.run(["ip", "link", "del", host_dev], capture_output=True, check=False)
            subprocess.run(["ip", "netns", "del", tag], capture_output=True, check=False)


class NetnsAgent:
    """tests/calls/iceagent.py in the namespace, at `address`."""

    def __init__(self, net: BypassNet, address: str) -> None:
        self.address = address
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", net.ns, sys.executable, str(AGENT), address],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.hello = self._read(20.0)
        self.port = int(self.hello["port"])

    def sipp_vars(self, prefix: str = "ice") -> dict[str, str]:
        """Its SDP values as SIPp variables (ice_addr, ice_port, ...; or mp_...)."""
        return {f"{prefix}_addr": self.address, f"{prefix}_port": str(self.port),
                f"{prefix}_ufrag": self.hello["ufrag"], f"{prefix}_pwd": self.hello["pwd"],
                f"{prefix}_candidate": self.hello["candidate"]}

    def connect(self, sdp: bytes) -> tuple[str, int]:
        """Checks and nomination toward the SBC's SDP; the SBC's address of the pair."""
        reply = self._ask({"cmd": "connect", "sdp": sdp.decode()}, 20.0)
        if "error" in reply:
            raise AssertionError(f"the Teams endpoint at {self.address}: {reply['error']}")
        host, port = reply["remote"]
        return str(host), int(port)

    def send(self, packets: list[bytes]) -> None:
        self._ask({"cmd": "send", "packets": [p.hex() for p in packets]},
                  5.0 + 0.05 * len(packets))

    def recv(self, count: int, timeout: float = 2.0) -> list[bytes]:
        """Up to `count` packets, each waited for at most `timeout` seconds."""
        reply = self._ask({"cmd": "recv", "count": count, "timeout": timeout},
                          5.0 + timeout * (count + 1))
        return [bytes.fromhex(p) for p in reply["packets"]]

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
                self.proc.stdin.flush()
                self.proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(5)

    def _ask(self, command: dict[str, Any], timeout: float) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        return self._read(timeout)

    def _read(self, timeout: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.proc.kill()
            _, err = self.proc.communicate(timeout=5)
            raise AssertionError(f"the ICE agent at {self.address} said nothing within "
                                 f"{timeout} s (exit {self.proc.returncode}):\n{err[-3000:]}")
        result: dict[str, Any] = json.loads(line)
        return result
