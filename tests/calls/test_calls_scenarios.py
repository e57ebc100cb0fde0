"""The SIPp scenarios against each other, without an SBC: proves the XML (flows, branches,
variables) so that a failing call test points at the SBC, not at a scenario.

Each pair: the UAS scenario listens, the UAC scenario calls it directly over TCP. The
selftest/ UACs play the SBC's part where no other scenario does (REFER, 407, abandon).
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from peers.sbcproc import Sipp

from .lab import SCENARIOS, lab_port, scenario_globals, sipp_sets
from .sipmsg import read_messages

pytestmark = pytest.mark.peers

FAST = {"hold_ms": 100, "linger_ms": 0}

PAIRS = {
    "carrier-hangs-up": ("teams_answer.xml", {}, "carrier_call.xml", {}),
    "teams-hangs-up": ("teams_answer.xml", {"hangup": 1}, "carrier_call.xml", {"hangup": 1}),
    "cancel": ("teams_cancel.xml", {}, "carrier_cancel.xml", {}),
    "decline": ("teams_reject.xml", {"code": 603}, "carrier_rejected.xml", {}),
    "unavailable": ("teams_reject.xml", {"code": 503}, "teams_call_503.xml", {}),
    "hold-resume": ("carrier_answer.xml", {}, "teams_call.xml", {"hold": 1}),
    "refresh": ("carrier_answer.xml", {}, "teams_call.xml", {"refresh": 1}),
    "emergency": ("carrier_answer.xml", {}, "teams_emergency.xml", {"called": "112"}),
    "digest": ("carrier_answer.xml", {"challenge": 1}, "selftest/auth_uac.xml", {}),
    "refer": ("teams_refer.xml", {}, "selftest/referee_uac.xml", {}),
    "abandon": ("teams_silent.xml", {}, "selftest/abandon_uac.xml", {}),
}


def _fast(scenario: str, given: dict[str, object]) -> dict[str, object]:
    names = scenario_globals(SCENARIOS / scenario)
    return {**{k: v for k, v in FAST.items() if k in names}, **given}


@pytest.mark.parametrize("pair", list(PAIRS))
def test_scenario_pair(pair: str, tmp_path: Path) -> None:
    uas_file, uas_vars, uac_file, uac_vars = PAIRS[pair]
    port = lab_port()
    uas = Sipp(tmp_path, "uas", str(SCENARIOS / uas_file),
               ["-t", "t1", "-i", "127.0.0.1", "-p", str(port), "-m", "1",
                *sipp_sets(SCENARIOS / uas_file, _fast(uas_file, uas_vars))], timeout=10)
    extra = ["-au", "555123456789", "-ap", "lab-secret"] if pair == "digest" else []
    uac = Sipp(tmp_path, "uac", str(SCENARIOS / uac_file),
               ["-t", "t1", "-i", "127.0.0.1", "-p", str(lab_port()), f"127.0.0.1:{port}",
                "-m", "1", *extra,
                *sipp_sets(SCENARIOS / uac_file, _fast(uac_file, uac_vars))], timeout=10)
    try:
        uas.start()
        _listening(port)
        uac.start()
        codes = (uac.wait(), uas.wait())
    finally:
        uac.kill()
        uas.kill()
    assert codes == (0, 0), f"{pair}: exit codes {codes}\n{uac.report()}\n{uas.report()}"
    # Both logs parse into the same number of messages (each sent one is received).
    sent = [m.first_line for m in read_messages(uac.workdir) if m.direction == "sent"]
    got = [m.first_line for m in read_messages(uas.workdir) if m.direction == "received"]
    assert sent == got


def _listening(port: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise AssertionError(f"SIPp did not listen on {port} within {timeout} s")
