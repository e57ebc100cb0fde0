"""Process and machine readings for the SIP benchmarks (Linux /proc only, no psutil).

Every process a benchmark starts is a `Started`: stopped by its own PID (SIGTERM, a
bounded wait, then SIGKILL), never by name. CPU comes from /proc/PID/stat (utime +
stime, in clock ticks), memory from /proc/PID/status (VmRSS) and
/proc/PID/smaps_rollup (Pss), the machine's load from /proc/stat.
"""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HZ = os.sysconf("SC_CLK_TCK")
NCPU = os.cpu_count() or 1


def raise_nofile() -> int:
    """Soft RLIMIT_NOFILE up to the hard limit (children inherit it); the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def free_port(host: str = "127.0.0.1") -> int:
    """A port free for both TCP and UDP right now (bounded tries)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((host, 0))
            port = int(s.getsockname()[1])
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.bind((host, port))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port")


def wait_port(port: int, host: str = "127.0.0.1", timeout: float = 15.0) -> bool:
    """True once a TCP connect to host:port succeeds, within `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


# -- CPU ----------------------------------------------------------------------------------


def cpu_ticks(pids: Iterable[int]) -> int:
    """utime + stime of the given PIDs, in clock ticks (gone PIDs count 0)."""
    total = 0
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields_ = text[text.rindex(")") + 2:].split()
        total += int(fields_[11]) + int(fields_[12])
    return total


def machine_ticks() -> tuple[int, int]:
    """(busy, total) ticks of all CPUs together, from /proc/stat."""
    parts = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    values = [int(v) for v in parts]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    total = sum(values[:8])
    return total - idle, total


def busy_percent(interval: float = 1.0) -> float:
    """Whole-machine busy CPU over `interval` seconds, in % of one core."""
    b0, t0 = machine_ticks()
    time.sleep(interval)
    b1, t1 = machine_ticks()
    return 100.0 * NCPU * (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0


def wait_quiet(max_wait: float = 3.0, quiet: float = 25.0) -> float:
    """Wait (at most `max_wait` s, 1 s samples) until other tenants use less than `quiet`
    % of a core; the last reading, so the caller can say how busy the machine was."""
    busy = 0.0
    deadline = time.monotonic() + max_wait
    while True:
        busy = busy_percent(1.0)
        if busy < quiet or time.monotonic() + 1.0 > deadline:
            return busy


@dataclass
class CpuWindow:
    """CPU used by some PIDs and by the whole machine between `start()` and `stop()`."""

    pids: Sequence[int] = ()
    other_pids: Sequence[int] = ()  # e.g. the load generator
    wall: float = 0.0
    server_s: float = 0.0
    other_s: float = 0.0
    machine_busy_s: float = 0.0
    _t0: float = field(default=0.0, repr=False)
    _s0: int = field(default=0, repr=False)
    _o0: int = field(default=0, repr=False)
    _m0: tuple[int, int] = field(default=(0, 0), repr=False)

    def start(self) -> CpuWindow:
        self._t0 = time.monotonic()
        self._s0 = cpu_ticks(self.pids)
        self._o0 = cpu_ticks(self.other_pids)
        self._m0 = machine_ticks()
        return self

    def stop(self) -> CpuWindow:
        self.wall = time.monotonic() - self._t0
        self.server_s = (cpu_ticks(self.pids) - self._s0) / HZ
        self.other_s = (cpu_ticks(self.other_pids) - self._o0) / HZ
        b1, t1 = machine_ticks()
        b0, t0 = self._m0
        # /proc/stat ticks are per CPU: busy seconds = busy ticks / HZ
        self.machine_busy_s = (b1 - b0) / HZ if t1 > t0 else 0.0
        return self

    def pct(self, seconds: float) -> float:
        return 100.0 * seconds / self.wall if self.wall > 0 else 0.0

    @property
    def background_pct(self) -> float:
        """Busy CPU not used by the server or the load generator, in % of one core."""
        return max(0.0, self.pct(self.machine_busy_s - self.server_s - self.other_s))


def udp_rcvbuf_errors() -> int:
    """The kernel's UDP RcvbufErrors counter (datagrams dropped on a full socket)."""
    lines = [ln.split() for ln in Path("/proc/net/snmp").read_text().splitlines()
             if ln.startswith("Udp:")]
    if len(lines) < 2 or "RcvbufErrors" not in lines[0]:
        return 0
    return int(lines[1][lines[0].index("RcvbufErrors")])


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# -- memory -------------------------------------------------------------------------------


def _status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_kib(pids: Iterable[int]) -> int:
    return sum(_status_kib(p, "VmRSS") for p in pids)


def pss_kib(pids: Iterable[int]) -> int:
    """Proportional set size summed over PIDs: shared pages (Kamailio's shm pool) once."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
        except OSError:
            continue
    return total


def children(pid: int) -> list[int]:
    """Direct children of `pid` (scans /proc; bounded by the number of processes)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        if int(text[text.rindex(")") + 2:].split()[1]) == pid:
            out.append(int(entry.name))
    return out


# -- processes ----------------------------------------------------------------------------


class Started:
    """A process we started: its PID, its log, and a bounded stop."""

    def __init__(self, name: str, args: Sequence[str], log: Path, *,
                 env: dict[str, str] | None = None, cwd: Path | None = None,
                 stdin: int | None = subprocess.DEVNULL,
                 stdout: int | None = None) -> None:
        self.name = name
        self.args = list(args)
        self.log = log
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.args, stdin=stdin, stdout=stdout if stdout is not None else out,
                stderr=out, env=env, cwd=cwd,
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 5.0) -> int | None:
        """SIGTERM, wait at most `timeout`, then SIGKILL; the exit status."""
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=timeout)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()
        return self.proc.returncode

    def tail(self, chars: int = 2000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""
