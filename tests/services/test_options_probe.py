"""OptionsProbe with a fake clock: scheduling, up/down rules, status changes."""

from __future__ import annotations

import pytest
from sbc.services import OptionsProbe


def test_first_ping_at_once_then_every_interval() -> None:
    probe = OptionsProbe("Teams1", interval=60)
    probe.start(1000.0)
    assert probe.due == 1000.0
    probe.sending(1000.0, "tls sip.pstnhub.microsoft.com 52.114.1.1:5061")
    assert probe.due == 1060.0
    assert probe.timeout == 10.0  # half the interval, at most 10 s
    assert OptionsProbe("x", interval=10).timeout == 5.0


def test_up_down_up_with_changes_only_on_transitions() -> None:
    probe = OptionsProbe("Teams1", interval=60)
    probe.start(0.0)
    probe.sending(0.0)
    change = probe.answered(200, "OK", 0.023, 0.023)
    assert change is not None and change.up and change.response == "200 OK"
    assert change.rtt_ms == pytest.approx(23.0)
    assert probe.since == 0.023

    probe.sending(60.0)
    assert probe.answered(200, "OK", 0.030, 60.03) is None  # still up: nothing to log
    assert probe.since == 0.023  # since when it is up

    probe.sending(120.0)
    down = probe.failed("timeout: no response", 130.0)
    assert down is not None and not down.up
    assert down.response is None and down.reason == "timeout: no response"
    status = probe.status()
    assert status["state"] == "down" and status["code"] is None and status["rtt_ms"] is None
    assert status["error"] == "timeout: no response" and status["since"] == 130.0

    probe.sending(180.0)
    assert probe.failed("connect failed: Connection refused", 180.0) is None  # still down
    assert probe.failures == 2

    probe.sending(240.0)
    again = probe.answered(200, None, 0.01, 240.01)
    assert again is not None and again.up and again.response == "200 OK"  # standard phrase
    assert probe.failures == 0


@pytest.mark.parametrize("code,up", [(200, True), (404, True), (403, True), (405, True),
                                     (500, True), (408, False), (503, False), (504, False)])
def test_which_answers_count_as_up(code: int, up: bool) -> None:
    probe = OptionsProbe("Carrier", interval=60)
    probe.sending(0.0)
    change = probe.answered(code, None, 0.01, 0.01)
    assert change is not None and change.up is up
    assert probe.last_code == code


def test_status_converts_to_wall_clock() -> None:
    probe = OptionsProbe("Teams1", interval=60)
    probe.sending(10.0, "t")
    probe.answered(200, "OK", 0.005, 10.005)
    status = probe.status(to_wall=1_700_000_000.0)
    assert status["since"] == pytest.approx(1_700_000_010.005)
    assert status["last_sent"] == pytest.approx(1_700_000_010.0)
    assert status["rtt_ms"] == 5.0 and status["target"] == "t"
    assert status["sent"] == 1 and status["answers"] == 1


def test_bad_interval() -> None:
    with pytest.raises(ValueError):
        OptionsProbe("x", interval=0)
