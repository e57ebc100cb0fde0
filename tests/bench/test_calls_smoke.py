"""Smoke test of the calls benchmark (`python -m benchmarks calls`): tiny steps of each
kind against a real `sbc run` with rtpengine, and against Kamailio, so a broken
benchmark shows in CI.

Nothing here is timed: the tests check that every call completed, that RTP went through
rtpengine and that the readings exist, never a rate or a duration. The report is
rendered from what the tiny steps measured.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks import calls, calls_profile
from benchmarks.calls_peers import creation_rate
from benchmarks.calls_report import body
from benchmarks.sip_ladder import LadderResult
from benchmarks.sip_servers import kamailio_binary


def _need_tools() -> None:
    for tool in ("sipp", "rtpengine"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed (tools/host-deps bench)")


@pytest.fixture(scope="module")
def sbc(run: calls.Run) -> Iterator[calls.Bench]:
    _need_tools()
    with calls.Bench(run, "sbc-smoke", "SBC", media=False) as bench:
        yield bench


@pytest.mark.peers
def test_sbc_signalling_step(run: calls.Run, sbc: calls.Bench) -> None:
    step = sbc.step("SBC signalling", 10, 1, 0)
    assert step.sent == 10
    assert (step.ok, step.failed) == (10, 0), step.row()
    assert step.server_cpu_pct >= 0 and step.passed, step.row()
    run.ladders["SBC signalling"] = LadderResult("SBC signalling", 10, None, [step])
    assert sbc.server is not None and sbc.rtpe is not None
    assert calls._sbc_active_settles(sbc.server) == 0  # type: ignore[arg-type]
    assert sbc.rtpe.sessions() == 0


@pytest.mark.peers
def test_sbc_held_batch(run: calls.Run, sbc: calls.Bench) -> None:
    batch = calls.held_batch(sbc, 6, 6, 5000, "smoke", settle=0)
    assert (batch["ok"], batch["failed"]) == (6, 0), batch
    assert batch["peak"] == 6, batch
    assert batch["plateau"]["sbc_active"] == 6
    assert batch["plateau"]["rtpe_sessions"] == 6
    assert batch["before"]["server"]["rss"] > 0 and batch["server_cpu_s"] >= 0
    run.held["SBC"] = {"batches": [batch]}


@pytest.mark.peers
def test_sbc_media_step(run: calls.Run) -> None:
    _need_tools()
    with calls.Bench(run, "sbc-media-smoke", "SBC", media=True) as bench:
        step = bench.step("SBC media", 4, 1, 600)
    assert (step.ok, step.failed) == (4, 0), step.row()
    # 4 calls x 2 directions x 600 ms / 20 ms
    assert step.rtp_expected == 240
    assert step.rtp_relayed > 0, step.row()
    run.ladders["SBC media"] = LadderResult("SBC media", 4, None, [step])


@pytest.mark.peers
def test_kamailio_with_rtpengine(run: calls.Run) -> None:
    _need_tools()
    if kamailio_binary() is None:
        pytest.skip("kamailio not installed (tools/host-deps bench)")
    with calls.Bench(run, "kam-smoke", "Kamailio", media=False) as bench:
        step = bench.step("Kamailio signalling", 10, 1, 0)
        assert bench.server is not None
        log = bench.server.proc.tail() if bench.server.proc is not None else ""
        assert bench.server.memory()["processes"] > 1
    assert (step.ok, step.failed) == (10, 0), f"{step.row()}\n{log}"
    assert step.rtpe_cpu_pct >= 0
    run.ladders["Kamailio signalling"] = LadderResult("Kamailio signalling", 10, None, [step])


@pytest.mark.peers
def test_report_renders(run: calls.Run) -> None:
    text = body(run, {"sbc": "0", "python": "3", "kamailio": "5", "sipp": "3",
                      "rtpengine": "10"}, "0.00 0.00 0.00")
    assert "| calls/s, signalling only" in text
    assert "Leak check (SBC)" in text


def test_creation_rate_leaves_out_the_hold(tmp_path: Path) -> None:
    head = "StartTime;CurrentTime;OutgoingCall(C)"
    rows = [head]
    for second, created in ((0, 0), (1, 100), (2, 200), (3, 200), (4, 200)):
        rows.append(f"d\t0\t1000.0;d\t0\t{1000.0 + second};{created}")
    path = tmp_path / "stats.csv"
    path.write_text("\n".join(rows) + "\n")
    assert creation_rate(path, 200) == pytest.approx(100.0)
    assert creation_rate(path, 400) == pytest.approx(50.0)  # never got there: 200 in 4 s


def test_profile_summary_shares() -> None:
    frames = [{"name": "main", "file": "/x/appliance/sbc/cli.py", "line": 1},
              {"name": "parse", "file": "/x/appliance/sbc/sip/parser.py", "line": 5},
              {"name": "sendto", "file": "/usr/lib/python3.11/asyncio/selector_events.py",
               "line": 9},
              {"name": "EpollSelector.select", "file": "/usr/lib/python3.11/selectors.py",
               "line": 451}]
    samples = [[0, 1], [0, 1], [0, 2], [0], [0, 3]]  # the last one waits in epoll
    doc = {"shared": {"frames": frames},
           "profiles": [{"samples": samples, "weights": [1] * len(samples)}]}
    summary = calls_profile.summarise(doc)
    assert summary["samples"] == 4
    assert summary["waiting_share"] == pytest.approx(20.0)
    own = dict(summary["own"])
    assert own["parse (sbc/sip/parser.py:5)"] == pytest.approx(50.0)
    areas = dict(summary["areas"])
    assert areas["asyncio event loop, tasks, futures, UDP transports"] == pytest.approx(25.0)
    assert dict(summary["inclusive"])["main (sbc/cli.py:1)"] == pytest.approx(100.0)
