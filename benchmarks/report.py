"""Writes a benchmark's table into docs/benchmarks.md between its own markers.

Each benchmark owns one section, so runs of different benchmarks never overwrite
each other's figures.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"


def log(text: str) -> None:
    """A progress line, flushed at once: benchmarks run for minutes under `make bench`."""
    print(text, flush=True)


def env_int(name: str, default: int) -> int:
    """A benchmark's knob from the environment (BENCH_...), `default` when unset or bad."""
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def skipped_reason(skipped: list[str], part: str, default: str) -> str:
    """Why `part` was skipped, from a run's "PART (reason)" entries, else `default`: a
    report without a part's figures says so and why, rather than print filler."""
    for item in skipped:
        if item.startswith(part):
            reason = item[len(part):].strip()
            if reason.startswith("(") and reason.endswith(")"):
                reason = reason[1:-1]
            if reason:
                return reason
    return default


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    mem = Path("/proc/meminfo").read_text().split()[1]
    gib = int(mem) // 1024 // 1024
    return f"{cpu}, {cores} cores, {gib} GiB, {platform.system()} {platform.release()}"


def write_section(name: str, body: str) -> None:
    begin, end = f"<!-- bench:{name}:begin -->", f"<!-- bench:{name}:end -->"
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    block = f"{begin}\n_Measured {stamp} on {machine()}._\n\n{body.strip()}\n{end}"
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    if begin in text:
        text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + f"\n\n{block}\n"
    DOC.write_text(text)
