"""Smoke test of the latency benchmark (`python -m benchmarks latency`): a tiny captured
run against a real `sbc run` with rtpengine, and against Kamailio, so a broken benchmark
shows in CI.

Nothing here is timed: the tests check that every call was captured and matched and that
the delays exist, never how long they are. The report is rendered from what the tiny
runs measured; docs/benchmarks.md is never written (only `main` writes it).
"""

from __future__ import annotations

import math
import shutil

import pytest

from benchmarks import calls, latency
from benchmarks.sip_servers import kamailio_binary

VERSIONS = {"sbc": "0", "python": "3", "kamailio": "5", "rtpengine": "10", "sipp": "3",
            "tshark": "TShark 4"}


def _need_tools() -> None:
    for tool in ("sipp", "rtpengine", "tshark", "dumpcap"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed (tools/host-deps test)")


@pytest.fixture(scope="module")
def results() -> dict[str, latency.Delays]:
    return {}


def _check(result: latency.Delays) -> None:
    assert (result.sent, result.ok) == (20, 20), result.step
    assert result.matched == 20 and result.inbound == 20, result
    assert result.capture_dropped == 0 and result.captured > 0, result
    assert all(d > 0 for d in result.delays_ms), result.delays_ms
    assert result.delays_ms == sorted(result.delays_ms)
    assert result.pct(50) <= result.pct(99) <= result.pct(100) == result.delays_ms[-1]


@pytest.mark.peers
def test_sbc_delays(run: calls.Run, results: dict[str, latency.Delays]) -> None:
    _need_tools()
    result = latency.measure(run, "SBC", 10, 2, 1)
    _check(result)
    assert not run.problems, run.problems
    results["SBC"] = result


@pytest.mark.peers
def test_kamailio_delays(run: calls.Run, results: dict[str, latency.Delays]) -> None:
    _need_tools()
    if kamailio_binary() is None:
        pytest.skip("kamailio not installed (tools/host-deps bench)")
    result = latency.measure(run, "Kamailio", 10, 2, 0)
    _check(result)
    results["Kamailio"] = result


@pytest.mark.peers
def test_report_renders(results: dict[str, latency.Delays]) -> None:
    if "SBC" not in results:
        pytest.skip("no SBC figures")
    text = latency.body(results, VERSIONS, [])
    assert "| p99 (goal for the SBC: at most 2 ms) |" in text
    assert "20 of 20 (100.0 %)" in text
    assert "**met**" in text or "**not met**" in text


def test_match_counts_first_transmissions_only() -> None:
    server, callee = 5060, 5080
    ms = 1_000_000
    rows = [
        (0 * ms, 7000, server, "+49891001"),
        (2 * ms, server, callee, "+49891001"),
        (500 * ms, 7000, server, "+49891001"),  # the caller's retransmission
        (10 * ms, 7000, server, "+49891002"),
        (13 * ms, server, callee, "+49891002"),
        (513 * ms, server, callee, "+49891002"),  # the server's retransmission
        (20 * ms, 7000, server, "+49891003"),  # never sent on
    ]
    delays, inbound, again_in, again_out = latency.match(rows, server, callee)
    assert delays == [2.0, 3.0]
    assert (inbound, again_in, again_out) == (3, 1, 1)


def test_percentiles_nearest_rank_and_verdict() -> None:
    result = latency.Delays("SBC", 100, 1, delays_ms=[float(i) for i in range(1, 101)])
    assert (result.pct(50), result.pct(99), result.pct(100)) == (50.0, 99.0, 100.0)
    assert "**not met**" in latency.verdict(result)
    result.delays_ms = [0.5] * 100
    assert "**met**" in latency.verdict(result)
    assert math.isnan(latency.Delays("SBC", 100, 1).pct(99))
    assert "not measured" in latency.verdict(None)
