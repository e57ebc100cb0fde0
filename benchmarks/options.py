"""OPTIONS figures (issue 3): answered per second over UDP and mutual TLS, and memory per
idle TLS connection, for the SBC and, in the same run on the same machine with the same
load generators, for Kamailio (Debian package) answering OPTIONS statelessly.

    python -m benchmarks options          (`make bench` runs every benchmark)

Parts, in this order, each with a fresh server process:
1. UDP ladders: SIPp (`benchmarks/data/uac_options.xml`) against the SBC, then Kamailio
   (`benchmarks/data/kamailio-options.cfg`); see `sip_ladder` for the pass criteria.
2. TLS ladders: the asyncio mutual-TLS client (`sip_tls`; Debian's SIPp has no TLS)
   over a few persistent connections, against both.
3. Memory: idle mutual-TLS connections held open (200, then 1000 in all), each having
   answered one OPTIONS; the SBC's VmRSS and Pss, Kamailio's Pss summed over all of its
   processes (its shared-memory pool counted once) and its shm `real_used`.
4. Where the SBC's time goes: cProfile (CPU time) of the SBC under a steady UDP load.

Knobs (environment): BENCH_STEP_SECS (6), BENCH_MAX_SECS (540: hard budget of the run),
BENCH_TLS_CONNS (4), BENCH_HOLD ("200 1000"), BENCH_KAM_CHILDREN (4),
BENCH_SBC_START (250), BENCH_KAM_START (4000), BENCH_PROFILE_SECS (8); BENCH_NO_DOC=1
leaves docs/benchmarks.md alone (trial runs). Output: build/bench/options/STAMP/.
Everything runs on 127.0.0.1; every process is stopped by its PID. The servers under test
are in `sip_servers` (shared with the other benchmarks), the TLS client's steps in
`options_peers`, the profile's summary in `options_profile`, the report's text in
`options_report`.
"""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .options_peers import hold, release, tls_step
from .options_profile import read_profile
from .report import ROOT, env_int, log, write_section
from .sip_ladder import HEADER, LadderResult, Step, ladder
from .sip_procs import Started, busy_percent, free_port, load_average, raise_nofile, wait_quiet
from .sip_servers import (
    KamailioServer,
    Pki,
    SbcServer,
    Server,
    kamailio_binary,
    kamailio_version,
    make_pki,
    sbc_version,
    wait_for,
)
from .sip_sipp import DATA, sipp_binary, sipp_step, sipp_version

STEP_SECS = env_int("BENCH_STEP_SECS", 6)
MAX_SECS = env_int("BENCH_MAX_SECS", 540)
TLS_CONNS = env_int("BENCH_TLS_CONNS", 4)
HOLD = tuple(int(x) for x in os.environ.get("BENCH_HOLD", "200 1000").split())
KAM_CHILDREN = env_int("BENCH_KAM_CHILDREN", 4)
SBC_START = env_int("BENCH_SBC_START", 250)
KAM_START = env_int("BENCH_KAM_START", 4000)
PROFILE_SECS = env_int("BENCH_PROFILE_SECS", 8)
STEP_COST = STEP_SECS + 7  # a step, its quiet wait and teardown (deadline checks)
LADDER_CAP = 100  # seconds per ladder (4 ladders + 2 memory parts + profile < MAX_SECS)
MEMORY_CAP = 40  # seconds per server's memory part
# Kamailio 5.6.3 (Debian 12) with OpenSSL 3 double-frees in its tls module, then crashes,
# when several TCP workers handshake (kamailio issue #3791; later versions have
# tls_threads_mode): its TLS runs with one TCP worker, one core for TLS like the SBC.
KAM_TLS_CHILDREN = 1


# -- parts ----------------------------------------------------------------------------------


@dataclass
class Run:
    work: Path
    pki: Pki
    t0: float = field(default_factory=time.monotonic)
    ladders: dict[str, LadderResult] = field(default_factory=dict)
    memory: dict[str, dict[str, Any]] = field(default_factory=dict)
    profile: dict[str, Any] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)
    busy_samples: list[float] = field(default_factory=list)
    tls_version: str = ""

    @property
    def deadline(self) -> float:
        return self.t0 + MAX_SECS

    def left(self) -> float:
        return self.deadline - time.monotonic()


def run_ladder(run: Run, server: Server, transport: str, start: int) -> None:
    label = f"{server.name} {transport}"
    uac_port = free_port()

    def one(rate: int) -> Step:
        if not server.alive() or server.crashed():
            step = Step(label=label, target=rate, note=f"({server.name} is not running)")
            step.judge()
            return step
        busy = wait_quiet(max_wait=2.0)
        run.busy_samples.append(busy)
        if transport == "udp":
            step = sipp_step(label, f"127.0.0.1:{server.udp_port}", rate, STEP_SECS, run.work,
                             server.pids, local_port=uac_port)
        else:
            step = tls_step(label, server, run.pki, rate, STEP_SECS, run.work,
                            connections=TLS_CONNS)
            run.tls_version = step.extra.get("tls", run.tls_version)
        if not server.alive() or server.crashed():
            step.note = (step.note + f" ({server.name} crashed: see its log)").strip()
            step.verdict = "FAIL(crash)"
            run.crashes.append(f"{label} at {rate}/s")
        return step

    log(f"== {label}: ladder from {start}/s, {STEP_SECS} s per step")
    log(HEADER)
    deadline = min(run.deadline - 100, time.monotonic() + LADDER_CAP)
    result = ladder(label, one, start=start, deadline=deadline, step_cost=STEP_COST, log=log)
    log(f"{label}: max passing rate {result.best}/s (first failing: {result.first_fail})")
    run.ladders[label] = result


def run_memory(run: Run, server: Server) -> None:
    """Fresh server; warm up with 4 connections; then hold 200, then 1000 in all."""
    label = server.name
    log(f"== {label}: memory per idle mutual-TLS connection ({', '.join(map(str, HOLD))})")
    started = time.monotonic()
    warm, event = hold(server, run.pki, 4, run.work, f"{label}_warm")
    release(warm)
    if event.get("open", 0) < 4:
        log(f"{label}: warm-up connections failed: {event}")
    time.sleep(1.0)
    base = server.memory()
    points: list[dict[str, Any]] = []
    holders: list[Started] = []
    total = opened = 0
    try:
        for count in HOLD:
            if time.monotonic() - started > MEMORY_CAP or run.left() < 40:
                log(f"{label}: memory part stopped early (time budget)")
                break
            proc, event = hold(server, run.pki, count - total, run.work, f"{label}_{count}")
            holders.append(proc)
            total = count
            opened += int(event.get("open", 0))
            time.sleep(1.0)
            if not server.alive() or server.crashed():
                run.crashes.append(f"{label} memory with {count} connections")
                log(f"{label}: the server crashed or exited; no memory figure")
                break
            mem = server.memory()
            point = {"connections": count, "open": opened, "event": event, "memory": mem}
            for key, value in mem.items():
                if key in base and key != "processes":
                    point[f"{key}_per_conn_kib"] = (value - base[key]) / max(opened, 1)
            points.append(point)
            log(f"{label}: {opened}/{count} connections open, memory {mem} "
                f"(baseline {base}); per connection: "
                + ", ".join(f"{k[:-13]} {v:.1f} KiB" for k, v in point.items()
                            if k.endswith("_per_conn_kib")))
    finally:
        for proc in holders:
            release(proc)
    run.memory[label] = {"baseline": base, "points": points}


def run_profile(run: Run, rate: int) -> None:
    out = run.work / "sbc-udp.prof"
    out.unlink(missing_ok=True)
    log(f"== SBC under cProfile: UDP OPTIONS at {rate}/s for {PROFILE_SECS} s")
    server = SbcServer(run.work / "sbc-profile", run.pki, profile=out).start()
    uac_port = free_port()
    try:
        assert server.proc is not None
        pid = server.proc.pid
        proc = subprocess.Popen(
            [str(sipp_binary()), f"127.0.0.1:{server.udp_port}", "-sf",
             str(DATA / "uac_options.xml"), "-i", "127.0.0.1", "-p", str(uac_port), "-nostdin",
             "-skip_rlimit", "-r", str(rate), "-rp", "1000", "-m", str(rate * PROFILE_SECS),
             "-recv_timeout", "5000", "-timeout", f"{PROFILE_SECS + 20}s"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            cwd=run.work)
        try:
            time.sleep(1.5)
            os.kill(pid, signal.SIGUSR1)
            time.sleep(max(1.0, PROFILE_SECS - 2.5))
            os.kill(pid, signal.SIGUSR1)
            proc.wait(timeout=PROFILE_SECS + 25)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=5)
        wait_for(out.exists, 10)
    finally:
        server.stop()
    if not out.exists():
        log("no profile written")
        return
    run.profile = read_profile(out, rate)
    handled = run.profile["handled"]
    log(f"profile: {handled} datagrams, {run.profile['calls_per_request']:.0f} calls and "
        f"{run.profile['us_per_request']:.0f} µs (profiled, epoll waits left out) per OPTIONS")
    for fname, pct, per in run.profile["own"]:
        log(f"  own {pct:5.1f} %  {per:5.1f}/req  {fname}")


def main() -> int:
    raise_nofile()
    if sipp_binary() is None:
        print("options: sipp is not installed (tools/host-deps bench: sip-tester)",
              file=sys.stderr)
        return 1
    stamp = time.strftime("%Y%m%d-%H%M%S")
    work = ROOT / "build" / "bench" / "options" / stamp
    work.mkdir(parents=True, exist_ok=True)
    run = Run(work, make_pki(work / "pki"))
    versions = {
        "sbc": sbc_version(), "python": platform.python_version(),
        "kamailio": kamailio_version(), "sipp": sipp_version(),
    }
    have_kam = kamailio_binary() is not None
    log(f"options benchmark: {work}; load average {load_average()}; "
        f"busy now {busy_percent(1.0):.0f} % of a core; budget {MAX_SECS} s")
    if not have_kam:
        run.skipped.append("Kamailio (not installed: Debian package kamailio)")

    def part(name: str, fn: Callable[[], None], need: float) -> None:
        if run.left() < need:
            run.skipped.append(f"{name} (time budget)")
            log(f"skipping {name}: {run.left():.0f} s left")
            return
        try:
            fn()
        except Exception as exc:  # one broken part must not lose the others' figures
            run.skipped.append(f"{name} ({type(exc).__name__}: {exc})")
            log(f"{name} failed: {exc}")

    def ladder_part(factory: Callable[[], Server], transport: str, start: int) -> None:
        server = factory()
        try:
            if transport == "tls" and isinstance(server, KamailioServer) and not server.with_tls:
                raise RuntimeError("the Kamailio tls module is missing (kamailio-tls-modules)")
            if isinstance(server, SbcServer | KamailioServer):
                server.start()
            run_ladder(run, server, transport, start)
        finally:
            server.stop()

    def memory_part(factory: Callable[[], Server]) -> None:
        server = factory()
        try:
            if isinstance(server, SbcServer | KamailioServer):
                server.start()
            run_memory(run, server)
        finally:
            server.stop()

    def sbc(sub: str) -> Callable[[], Server]:
        return lambda: SbcServer(work / sub, run.pki)

    def kam(sub: str, tcp_children: int | None = None) -> Callable[[], Server]:
        return lambda: KamailioServer(work / sub, run.pki, children=KAM_CHILDREN,
                                      tcp_children=tcp_children)

    part("SBC udp", lambda: ladder_part(sbc("sbc-udp"), "udp", SBC_START), 120)
    if have_kam:
        part("Kamailio udp", lambda: ladder_part(kam("kam-udp"), "udp", KAM_START), 120)
    part("SBC tls", lambda: ladder_part(sbc("sbc-tls"), "tls", SBC_START), 110)
    if have_kam:
        part("Kamailio tls", lambda: ladder_part(kam("kam-tls", KAM_TLS_CHILDREN), "tls",
                                                  KAM_START // 2), 100)
    part("SBC memory", lambda: memory_part(sbc("sbc-mem")), 60)
    if have_kam:
        part("Kamailio memory", lambda: memory_part(kam("kam-mem", KAM_TLS_CHILDREN)), 45)
    best = run.ladders.get("SBC udp")
    rate = max(100, (best.best if best else 400) // 4)
    part("SBC profile", lambda: run_profile(run, rate), 25)

    from .options_report import body  # the report's text lives apart (long)

    log("")
    log(HEADER)
    for result in run.ladders.values():
        for step in result.steps:
            log(step.row())
    text = body(run, versions)
    (work / "section.md").write_text(text)
    (work / "results.json").write_text(json.dumps({
        "ladders": {k: {"best": v.best, "first_fail": v.first_fail,
                        "steps": [s.__dict__ for s in v.steps]} for k, v in run.ladders.items()},
        "memory": run.memory, "profile": run.profile, "skipped": run.skipped,
    }, indent=2, default=str))
    if os.environ.get("BENCH_NO_DOC") != "1":
        write_section("options", text)
    log(text)
    log(f"options benchmark done in {time.monotonic() - run.t0:.0f} s; files in {work}")
    return 0
