"""OPTIONS keep-alive status follows a real peer: up, down when it stops answering, up
again when it is back. The SBC runs with a 1 s interval (a test-only override)."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Processes
from .sbcproc import Pki, Ports, free_port, sbc_yaml, wait_until

pytestmark = pytest.mark.peers


def _state(sbc: Any, want: str) -> dict[str, Any] | None:
    options = sbc.connection("Pbx")["options_out"]
    return options if options["state"] == want else None


def test_status_goes_down_and_up_again(pki: Pki, procs: Processes) -> None:
    peer_port = free_port()
    connections = (
        "  - name: Pbx\n"
        "    profile: generic\n"
        "    host: 127.0.0.1\n"
        f"    port: {peer_port}\n"
        "    transport: udp\n"
        "    options: true\n"
        "    allowlist: [127.0.0.1/32]\n"
    )
    args = ("-i", "127.0.0.1", "-p", str(peer_port))
    peer = procs.sipp("peer1", "options_uas.xml", *args, timeout=60)
    sbc = procs.sbc(sbc_yaml(pki, Ports.fresh(), connections=connections), options_interval=1)

    up = wait_until(lambda: _state(sbc, "up"), 10, "Pbx up")
    assert up["code"] == 200 and up["reason"] == "OK"
    assert up["rtt_ms"] is not None and up["rtt_ms"] < 500

    peer.kill()  # the peer stops answering
    down = wait_until(lambda: _state(sbc, "down"), 10, "Pbx down")
    assert down["code"] is None and down["error"]
    assert down["since"] > up["since"]

    procs.sipp("peer2", "options_uas.xml", *args, timeout=60)  # and comes back
    again = wait_until(lambda: _state(sbc, "up"), 10, "Pbx up again")
    assert again["since"] > down["since"]

    log = sbc.output()
    assert "Pbx: OPTIONS status up (200 OK" in log
    assert "Pbx: OPTIONS status down (no response" in log
    assert log.count("Pbx: OPTIONS status up") >= 2
