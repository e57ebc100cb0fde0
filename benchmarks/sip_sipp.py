"""One SIPp load step over UDP (the Debian SIPp has no TLS; see `sip_tls` for that).

The SIPp invocation is the shared peer harness's (run_peer_baseline.sh `run_uac`):
`-r RATE -rp 1000 -m N`, 4 MB socket buffers, 5 s receive timeout, statistics every
second into a CSV whose last line gives the totals. The server's CPU is read over the
steady-state window (from 2 s after the start to 1 s before the planned end).
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from .report import ROOT
from .sip_ladder import Step
from .sip_procs import CpuWindow, udp_rcvbuf_errors

DATA = ROOT / "benchmarks" / "data"
SCENARIO = DATA / "uac_options.xml"


def sipp_binary() -> str | None:
    return shutil.which("sipp")


def sipp_version() -> str:
    binary = sipp_binary()
    if binary is None:
        return "not installed"
    out = subprocess.run([binary, "-v"], capture_output=True, text=True, timeout=10).stdout
    for word in out.split():
        if word.startswith("v3") or word.startswith("v4"):
            return word.rstrip(".")
    return "unknown"


def response_ms(value: str) -> float:
    """SIPp's HH:MM:SS:uuuuuu response time to milliseconds."""
    try:
        h, m, s, us = (int(x) for x in value.split(":"))
    except ValueError:
        return 0.0
    return ((h * 60 + m) * 60 + s) * 1000 + us / 1000


def last_stats(path: Path) -> dict[str, str]:
    try:
        rows = list(csv.reader(path.read_text(errors="replace").splitlines(), delimiter=";"))
    except OSError:
        return {}
    if len(rows) < 2:
        return {}
    return dict(zip(rows[0], rows[-1], strict=False))


def sipp_step(
    label: str,
    dest: str,
    rate: int,
    secs: float,
    workdir: Path,
    server_pids: Callable[[], Sequence[int]],
    *,
    local_port: int,
    scenario: Path = SCENARIO,
) -> Step:
    """`rate` OPTIONS/s for `secs` seconds at `dest` (HOST:PORT); a judged `Step`."""
    binary = sipp_binary()
    if binary is None:
        raise RuntimeError("sipp is not installed (Debian package sip-tester)")
    n = max(1, int(rate * secs))
    stem = f"{label.replace(' ', '_')}_{rate}"
    stats = workdir / f"{stem}.csv"
    stats.unlink(missing_ok=True)
    args = [
        binary, dest, "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(local_port),
        "-nostdin", "-skip_rlimit", "-buff_size", "4194304",
        "-default_behaviors", "all,-abortunexp",
        "-r", str(rate), "-rp", "1000", "-m", str(n), "-l", str(n),
        "-recv_timeout", "5000", "-timeout", f"{int(secs) + 25}s", "-max_recv_loops", "10000",
        "-trace_stat", "-stf", str(stats), "-fd", "1",
        "-trace_err", "-error_file", str(workdir / f"{stem}_err.log"),
        "-max_log_size", "1000000",
    ]
    drops0 = udp_rcvbuf_errors()
    with (workdir / f"{stem}.out").open("wb") as out:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, cwd=workdir)
    started = time.monotonic()
    window = CpuWindow(pids=[], other_pids=[proc.pid])
    try:
        lead = min(2.0, secs * 0.3)
        time.sleep(lead)
        window.pids = list(server_pids())
        window.start()
        time.sleep(max(0.5, secs - lead - 1.0))
        window.stop()
        # a passing step ends right after its last answer; an overloaded one is cut off
        # 8 s after the planned end (SIPp's own 5 s receive timeout fails the rest)
        try:
            proc.wait(timeout=max(1.0, started + secs + 8 - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
    time.sleep(0.2)
    row = last_stats(stats)
    ok = int(row.get("SuccessfulCall(C)", 0) or 0)
    step = Step(
        label=label,
        target=rate,
        sent=n,
        ok=ok,
        failed=n - ok,  # failed, timed out, or never completed
        retrans=int(row.get("Retransmissions(C)", 0) or 0),
        achieved=float(row.get("CallRate(C)", 0) or 0),
        rtt_ms=response_ms(row.get("ResponseTime1(C)", "")),
        server_cpu_pct=window.pct(window.server_s),
        client_cpu_pct=window.pct(window.other_s),
        background_pct=window.background_pct,
        udp_drops=udp_rcvbuf_errors() - drops0,
    )
    if not row:
        step.note = f"(no SIPp statistics; see {workdir / (stem + '.out')})"
    step.judge()
    return step
