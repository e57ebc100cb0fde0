"""Two network namespaces joined by a veth pair: the box (10.77.0.2) and its peer
(10.77.0.1, plus any further addresses a test asks for). Root only."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

from fwtest_configs import REPO

BOX, PEER = "10.77.0.2", "10.77.0.1"


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


def in_ns(ns: str, *argv: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", "netns", "exec", ns, *argv], capture_output=True, text=True,
                          timeout=60, check=False, cwd=REPO, **kw)  # type: ignore[call-overload]


@contextmanager
def veth_pair(*extra_peer_addresses: str) -> Iterator[tuple[str, str]]:
    """(box namespace, peer namespace); deleted again on the way out."""
    tag = f"fw{os.getpid() % 100000}"
    fw, peer = f"{tag}sbc", f"{tag}peer"
    ip("netns", "add", fw)
    ip("netns", "add", peer)
    try:
        ip("link", "add", f"{tag}a", "type", "veth", "peer", "name", f"{tag}b")
        ip("link", "set", f"{tag}a", "netns", fw)
        ip("link", "set", f"{tag}b", "netns", peer)
        for ns, dev, addr in ((fw, f"{tag}a", f"{BOX}/24"), (peer, f"{tag}b", f"{PEER}/24")):
            ip("-n", ns, "addr", "add", addr, "dev", dev)
            ip("-n", ns, "link", "set", dev, "up")
            ip("-n", ns, "link", "set", "lo", "up")
        for addr in extra_peer_addresses:
            ip("-n", peer, "addr", "add", f"{addr}/24", "dev", f"{tag}b")
        yield fw, peer
    finally:
        for ns in (fw, peer):
            subprocess.run(["ip", "netns", "del", ns], check=False, capture_output=True)
