"""The TLS side of the OPTIONS benchmark (`python -m benchmarks options`): the asyncio
mutual-TLS client (`benchmarks/sip_tls.py`, Debian's SIPp has no TLS) run as a process,
either as one load step (`tls_step`: OPTIONS at a steady rate over a few persistent
connections, judged like a SIPp step) or holding idle connections open (`hold`, then
`release`) for the memory readings. The client prints JSON lines; every process is a
`Started`: stopped by its PID, never by name.
"""

from __future__ import annotations

import json
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .report import ROOT
from .sip_ladder import Step
from .sip_procs import CpuWindow, Started
from .sip_servers import FQDN, Pki, Server, sbc_env


def client_args(mode: str, server: Server, pki: Pki) -> list[str]:
    return [sys.executable, "-m", "benchmarks.sip_tls", mode, "--port", str(server.tls_port),
            "--cert", str(pki.client_cert), "--key", str(pki.client_key), "--ca", str(pki.ca),
            "--name", FQDN]


def read_event(proc: subprocess.Popen[bytes], timeout: float) -> dict[str, Any] | None:
    """The next JSON line the client prints, within `timeout` (None: timed out, exited)."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            return None
        line = proc.stdout.readline()
        if not line:
            return None
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            return event
    return None


def tls_step(label: str, server: Server, pki: Pki, rate: int, secs: float, work: Path,
             connections: int = 4) -> Step:
    """One load step over `connections` persistent mutual-TLS connections (the OPTIONS
    benchmark passes its BENCH_TLS_CONNS)."""
    args = [*client_args("load", server, pki), "--connections", str(connections),
            "--rate", str(rate), "--secs", str(secs), "--grace", "5"]
    proc = Started("tls-load", args, work / f"{label.replace(' ', '_')}_{rate}.log",
                   env=sbc_env(), cwd=ROOT, stdout=subprocess.PIPE)
    step = Step(label=label, target=rate)
    try:
        assert proc.proc.stdout is not None
        first = read_event(proc.proc, 30)
        if first is None or first.get("event") != "sending":
            last = read_event(proc.proc, 5) if first is None else first
            step.note = f"(client: {(last or {}).get('error') or proc.tail(300)})"
            step.judge()
            return step
        lead = min(2.0, secs * 0.3)
        time.sleep(lead)
        window = CpuWindow(pids=server.pids(), other_pids=[proc.pid]).start()
        time.sleep(max(0.5, secs - lead - 1.0))
        window.stop()
        result = read_event(proc.proc, secs * 3 + 20) or {}
    finally:
        proc.stop()
    step.sent = int(result.get("sent", 0))
    step.ok = int(result.get("ok", 0))
    step.failed = int(result.get("failed", step.sent - step.ok))
    step.retrans = int(result.get("late", 0))
    step.achieved = float(result.get("achieved", 0.0))
    step.rtt_ms = float(result.get("rtt_mean_ms", 0.0))
    step.server_cpu_pct = window.pct(window.server_s)
    step.client_cpu_pct = window.pct(window.other_s)
    step.background_pct = window.background_pct
    if result.get("tls"):
        step.extra["tls"] = str(result["tls"])
    if result.get("statuses"):
        step.note = f"(statuses {result['statuses']})"
    step.judge()
    if not step.passed and step.client_cpu_pct >= 90:
        step.note = (step.note + " (load client at a full core)").strip()
    return step


def hold(server: Server, pki: Pki, count: int, work: Path, tag: str,
         ) -> tuple[Started, dict[str, Any]]:
    args = [*client_args("hold", server, pki), "--connections", str(count),
            "--max-hold", "120"]
    proc = Started("tls-hold", args, work / f"hold_{tag}.log", env=sbc_env(), cwd=ROOT,
                   stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    event = read_event(proc.proc, 60) or {"event": "timeout", "open": 0}
    return proc, event


def release(proc: Started) -> None:
    if proc.proc.stdin is not None:
        proc.proc.stdin.close()
        proc.proc.stdin = None
    try:
        proc.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    proc.stop()
