"""Smoke test of the OPTIONS benchmark (`python -m benchmarks options`): one tiny step of
each kind against a real `sbc run`, so a broken benchmark shows in CI.

Nothing here is timed: the tests check that every OPTIONS got its 200 and that the
readings exist, never a rate or a duration. The ladder's logic is checked with a fake
step function.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks import options
from benchmarks.options_peers import hold, release, tls_step
from benchmarks.options_report import body
from benchmarks.sip_ladder import Step, ladder
from benchmarks.sip_procs import free_port
from benchmarks.sip_servers import KamailioServer, Pki, SbcServer, kamailio_binary, make_pki
from benchmarks.sip_sipp import sipp_step

Fixture = tuple[SbcServer, Pki, Path]


@pytest.fixture(scope="module")
def sbc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fixture]:
    work = tmp_path_factory.mktemp("bench-options")
    pki = make_pki(work / "pki")
    server = SbcServer(work / "sbc", pki).start()
    try:
        yield server, pki, work
    finally:
        server.stop()


@pytest.mark.peers
def test_udp_step_with_sipp(sbc: Fixture) -> None:
    if shutil.which("sipp") is None:
        pytest.skip("sipp not installed (Debian package sip-tester)")
    server, _, work = sbc
    step = sipp_step("SBC udp", f"127.0.0.1:{server.udp_port}", 50, 1, work, server.pids,
                     local_port=free_port())
    assert step.sent == 50
    assert (step.ok, step.failed) == (50, 0), step.row()


@pytest.mark.peers
def test_tls_step_with_the_client(sbc: Fixture) -> None:
    server, pki, work = sbc
    step = tls_step("SBC tls", server, pki, 50, 1, work, connections=2)
    assert step.sent == 50, step.note
    assert (step.ok, step.failed) == (50, 0), f"{step.row()} {step.note}"
    assert step.extra.get("tls", "").startswith("TLS")


@pytest.mark.peers
def test_idle_connections_and_memory(sbc: Fixture) -> None:
    server, pki, work = sbc
    before = server.memory()
    proc, event = hold(server, pki, 5, work, "smoke")
    try:
        assert event.get("open") == 5, event
        assert event.get("answered") == 5, event
        assert server.memory()["rss"] > 0
    finally:
        release(proc)
    assert before["rss"] > 0 and before["pss"] > 0


@pytest.mark.peers
def test_kamailio_answers_options(tmp_path: Path) -> None:
    if kamailio_binary() is None or shutil.which("sipp") is None:
        pytest.skip("kamailio or sipp not installed (tools/host-deps bench)")
    pki = make_pki(tmp_path / "pki")
    server = KamailioServer(tmp_path / "kam", pki, children=1).start()
    try:
        step = sipp_step("Kamailio udp", f"127.0.0.1:{server.udp_port}", 20, 1, tmp_path,
                         server.pids, local_port=free_port())
        log = server.proc.tail() if server.proc is not None else ""
        assert (step.ok, step.failed) == (20, 0), f"{step.row()}\n{log}"
        if server.with_tls:
            tls = tls_step("Kamailio tls", server, pki, 20, 1, tmp_path, connections=1)
            assert (tls.ok, tls.failed) == (20, 0), f"{tls.row()} {tls.note}"
        assert server.memory()["processes"] > 1
    finally:
        server.stop()


def test_ladder_steps_up_then_bisects() -> None:
    capacity = 3000
    seen: list[int] = []

    def fake(rate: int) -> Step:
        seen.append(rate)
        step = Step(label="fake udp", target=rate, sent=rate, ok=rate, achieved=rate)
        if rate > capacity:
            step.failed = rate // 10
        step.judge()
        return step

    result = ladder("fake", fake, start=500, deadline=time.monotonic() + 60, step_cost=0,
                    log=lambda _: None)
    assert seen == [500, 1000, 2000, 4000, 3000, 3500]
    assert (result.best, result.first_fail) == (3000, 3500)


def test_ladder_steps_down_when_the_first_step_fails() -> None:
    def fake(rate: int) -> Step:
        step = Step(label="fake tls", target=rate, sent=rate, ok=rate, achieved=rate)
        if rate > 300:
            step.retrans = rate  # every answer late
        step.judge()
        return step

    result = ladder("fake", fake, start=1000, deadline=time.monotonic() + 60, step_cost=0,
                    log=lambda _: None)
    assert result.best == 250
    assert result.steps[0].verdict == "FAIL(late)"


def test_report_renders_without_figures(tmp_path: Path) -> None:
    pki = Pki(*(tmp_path / name for name in ("ca", "cert", "key", "ccert", "ckey")))
    versions = {"sbc": "0", "python": "3", "kamailio": "-", "sipp": "-"}
    text = body(options.Run(tmp_path, pki), versions)
    assert "| OPTIONS/s over UDP (highest passing step) | not measured | not measured |" in text
    assert "knobs in\n`benchmarks/options.py`" in text
    assert "Not measured in this run." in text
