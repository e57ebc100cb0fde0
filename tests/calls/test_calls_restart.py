"""An SBC that dies in the middle of a call leaves its rtpengine session behind (no
dialog survives the process); the next start deletes it, so no media session leaks."""

from __future__ import annotations

import signal

import pytest
from peers.sbcproc import SbcProcess, wait_until

from .lab import CallLab

pytestmark = pytest.mark.peers


def test_restart_after_a_crash_deletes_the_calls_media(lab: CallLab) -> None:
    lab.registrar()
    sbc = lab.start()
    lab.wait_registered()
    lab.teams_uas(1, "teams_answer.xml", hangup=0, hold_ms=20000, timeout=30)
    lab.carrier_uac("carrier_call.xml", hangup=0, hold_ms=20000, timeout=30)
    ours = lab.wait_for(lambda: lab.media_calls() - lab.media_before,
                        "the call's media session in rtpengine")
    # The media session exists from the offer on; the answer may take a moment more.
    active = lab.wait_for(lambda: [c for c in sbc.status()["calls"]["active"]
                                   if c["state"] == "answered"], "the call answered")
    assert len(active) == 1, active

    sbc.signal(signal.SIGKILL)  # no BYE, no cleanup: the session stays in rtpengine
    wait_until(lambda: not sbc.alive(), 5, "the SBC to die")
    assert ours <= lab.media_calls()

    again = lab.workdir / "sbc-again"
    again.mkdir()
    lab.sbc = SbcProcess(again, lab.config()).start()
    wait_until(lambda: not (ours & lab.media_calls()), 5,
               "the restarted SBC to delete the dead call's media")
    assert "deleted 1 media session(s) left by an earlier run" in lab.sbc.output()
    for peer in lab.peers:  # their call died with the SBC: stop them, don't judge them
        peer.sipp.kill()
