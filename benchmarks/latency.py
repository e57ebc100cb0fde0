"""The delay a server adds to a call's set-up: from an INVITE arriving at it to the INVITE
it sends on toward the callee, p50/p90/p99/max at a steady 100 calls/s; the SBC (a B2BUA
anchoring media in rtpengine) and, in the same run, Kamailio (tm + rr, rtpengine module).

    python -m benchmarks latency        (about a minute)

Each server is set up exactly as in the calls benchmark's signalling step (`calls.Bench`:
a fresh rtpengine, server and SIPp callee on 127.0.0.1 over UDP; `call_step` drives the
SIPp caller). After an uncounted warm-up at the same rate, dumpcap captures the SIP on
loopback while SIPp calls at BENCH_LATENCY_RATE/s for BENCH_LATENCY_SECS s. The delays
come from the capture's kernel timestamps, not from the server: they hold everything
the server does (socket queue, parsing, routing, the rtpengine offer, sending) and
cannot be flattered by the server's own clock. The two INVITEs of a call are matched by
the From user (`+4989100<SIPp call number>`), which both servers pass on unchanged
(a B2BUA changes Call-ID, tags and branch); only each INVITE's first transmission
counts.

Knobs (environment): BENCH_LATENCY_RATE (100), BENCH_LATENCY_SECS (20),
BENCH_LATENCY_WARM_SECS (3), BENCH_LATENCY_SERVERS ("SBC Kamailio"); the calls
benchmark's BENCH_CALLS_KAM_CHILDREN and BENCH_CALLS_RTP_PORTS apply; BENCH_NO_DOC=1
leaves docs/benchmarks.md alone. Output: build/bench/latency/STAMP/ (captures, logs).
"""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import calls
from .calls_peers import CALL_HEADER, rtpengine_version
from .report import DOC, ROOT, env_int, log, machine, write_section
from .sip_procs import Started, load_average, raise_nofile, wait_quiet
from .sip_servers import kamailio_binary, kamailio_version, make_pki, sbc_version
from .sip_sipp import sipp_binary, sipp_version

RATE = env_int("BENCH_LATENCY_RATE", 100)
SECS = env_int("BENCH_LATENCY_SECS", 20)
WARM_SECS = env_int("BENCH_LATENCY_WARM_SECS", 3)
SERVERS = tuple(os.environ.get("BENCH_LATENCY_SERVERS", "SBC Kamailio").split())
GOAL_MS = 2.0  # the SBC's p99 goal (issue: "goal p99 <= 2 ms")
CAPTURE_START = 10.0  # seconds to wait for dumpcap to capture
READ_TIMEOUT = 180.0  # seconds for tshark to read one capture
LABELS = {"SBC": "OpenSBC (B2BUA)", "Kamailio": "Kamailio (stateful proxy, tm + rr)"}


@dataclass
class Delays:
    """One server's figures: the delays in ms (sorted) and what they were taken from."""

    server: str
    rate: int
    secs: float
    sent: int = 0  # calls SIPp started
    ok: int = 0  # calls SIPp completed
    inbound: int = 0  # calls whose INVITE the capture saw reach the server
    delays_ms: list[float] = field(default_factory=list)
    retrans_in: int = 0  # INVITE retransmissions seen toward the server
    retrans_out: int = 0  # and from it toward the callee
    server_cpu_pct: float = 0.0
    busy_before: float = 0.0  # other tenants' CPU just before, % of a core
    step: str = ""  # the SIPp step's row (calls benchmark columns)
    captured: int = -1  # packets dumpcap received (-1: unknown)
    capture_dropped: int = -1  # and dropped

    @property
    def matched(self) -> int:
        return len(self.delays_ms)

    def pct(self, p: float) -> float:
        """The p-th percentile, nearest rank (an observed delay, never interpolated)."""
        if not self.delays_ms:
            return math.nan
        return self.delays_ms[max(0, math.ceil(p / 100 * len(self.delays_ms)) - 1)]


# -- the capture ------------------------------------------------------------------------------


class Capture:
    """dumpcap on lo for the UDP of some ports, into a pcap file; stopped by its PID."""

    def __init__(self, path: Path, ports: tuple[int, ...]) -> None:
        self.path = path
        self.ports = ports
        self.proc: Started | None = None

    def __enter__(self) -> Capture:
        binary = shutil.which("dumpcap")
        if binary is None:
            raise RuntimeError("dumpcap is not installed (Debian package tshark)")
        self.path.unlink(missing_ok=True)
        logfile = self.path.with_suffix(".log")
        logfile.unlink(missing_ok=True)
        bpf = "udp and (" + " or ".join(f"port {p}" for p in self.ports) + ")"
        self.proc = Started("dumpcap", [binary, "-i", "lo", "-f", bpf, "-B", "64",
                                        "-w", str(self.path)], logfile)
        deadline = time.monotonic() + CAPTURE_START
        while "Capturing on" not in self.proc.tail():
            if not self.proc.alive() or time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError(f"dumpcap did not start capturing:\n{self.proc.tail()}")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            time.sleep(0.2)  # the last datagrams reach the capture
            self.proc.stop(timeout=10)

    def counts(self) -> tuple[int, int]:
        """dumpcap's closing count: packets received and dropped ((-1, -1): none)."""
        text = self.proc.tail() if self.proc is not None else ""
        for line in text.splitlines():
            if line.startswith("Packets received/dropped"):
                got, _, lost = line.rsplit(": ", 1)[-1].split()[0].partition("/")
                try:
                    return int(got), int(lost)
                except ValueError:
                    break
        return -1, -1


def read_invites(pcap: Path, ports: tuple[int, ...]) -> list[tuple[int, int, int, str]]:
    """(time in ns, source port, destination port, From user) of every INVITE request in
    `pcap`, in capture order; the ports are decoded as SIP whatever their number."""
    args = ["tshark", "-r", str(pcap), "-n"]
    for p in ports:
        args += ["-d", f"udp.port=={p},sip"]
    args += ["-Y", 'sip.Method == "INVITE"', "-T", "fields", "-E", "separator=/t",
             "-e", "frame.time_epoch", "-e", "udp.srcport", "-e", "udp.dstport",
             "-e", "sip.from.user"]
    out = subprocess.run(args, capture_output=True, text=True, timeout=READ_TIMEOUT,
                         check=True).stdout
    rows = []
    for line in out.splitlines():
        cols = line.split("\t")
        if len(cols) < 4 or not cols[3]:
            continue
        whole, _, frac = cols[0].partition(".")
        try:
            ns = int(whole) * 1_000_000_000 + int((frac + "000000000")[:9])
            rows.append((ns, int(cols[1]), int(cols[2]), cols[3]))
        except ValueError:
            continue
    return rows


def match(rows: list[tuple[int, int, int, str]], server_port: int, callee_port: int,
          ) -> tuple[list[float], int, int, int]:
    """The delays in ms (sorted) between the first INVITE of each From user toward the
    server and the first one toward the callee; calls seen inbound; retransmissions seen
    inbound and outbound (later copies of an INVITE already seen)."""
    first_in: dict[str, int] = {}
    first_out: dict[str, int] = {}
    again = {server_port: 0, callee_port: 0}
    for ns, _src, dst, user in sorted(rows):
        seen = first_in if dst == server_port else first_out if dst == callee_port else None
        if seen is None:
            continue
        if user in seen:
            again[dst] += 1
        else:
            seen[user] = ns
    delays = sorted((first_out[u] - t) / 1e6 for u, t in first_in.items() if u in first_out)
    return delays, len(first_in), again[server_port], again[callee_port]


# -- one server -------------------------------------------------------------------------------


def measure(run: calls.Run, kind: str, rate: int, secs: float, warm_secs: float) -> Delays:
    """rtpengine, `kind` ("SBC" or "Kamailio") and the callee as in the calls benchmark; an
    uncounted warm-up, then `rate` calls/s for `secs` s under capture. Every process is
    stopped on the way out, whatever happened."""
    sub = f"{kind.lower()}-latency"
    result = Delays(kind, rate, secs)
    with calls.Bench(run, sub, kind, media=False) as bench:
        assert bench.server is not None
        if warm_secs > 0:
            warm = bench.step(f"{kind} warm-up", rate, warm_secs, 0)
            log(f"{kind}: warm-up {warm.ok}/{warm.sent} calls (not counted)")
        result.busy_before = wait_quiet(max_wait=calls.QUIET_WAIT, quiet=calls.QUIET_MAX)
        ports = (bench.server.port, bench.callee_port)
        pcap = bench.work / f"{kind.lower()}.pcap"
        log(f"{kind}: {rate} calls/s for {secs:g} s under capture "
            f"(other tenants {result.busy_before:.0f} % of a core)")
        with Capture(pcap, ports) as capture:
            step = bench.step(f"{kind} latency", rate, secs, 0)
        result.captured, result.capture_dropped = capture.counts()
        if not bench.alive():
            run.problems.append(f"{kind}: a process exited during the run (see its log)")
    result.sent, result.ok, result.step = step.sent, step.ok, step.row()
    result.server_cpu_pct = step.server_cpu_pct
    log(CALL_HEADER)
    log(step.row())
    rows = read_invites(pcap, ports)
    delays, result.inbound, result.retrans_in, result.retrans_out = match(rows, *ports)
    result.delays_ms = delays
    log(f"{kind}: {result.matched} of {result.sent} calls matched; p50 {result.pct(50):.3f} "
        f"ms, p99 {result.pct(99):.3f} ms, max {result.pct(100):.3f} ms; capture: "
        f"{result.captured} packets, {result.capture_dropped} dropped")
    return result


# -- the report -------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.2f} ms"


def verdict(sbc: Delays | None) -> str:
    if sbc is None or not sbc.matched:
        return "Goal (the SBC's p99 at most 2 ms): **not measured**."
    p99 = sbc.pct(99)
    if p99 <= GOAL_MS:
        return f"Goal (the SBC's p99 at most 2 ms): **met** (p99 {p99:.2f} ms)."
    return (f"Goal (the SBC's p99 at most 2 ms): **not met**: p99 is {p99:.2f} ms, "
            f"{p99 / GOAL_MS:.1f} times the goal.")


def body(results: dict[str, Delays], versions: dict[str, str], notes: list[str]) -> str:
    kinds = [k for k in ("SBC", "Kamailio") if k in results]
    rate = next(iter(results.values())).rate if results else RATE
    secs = sorted({r.secs for r in results.values()})

    def row(name: str, cell: Callable[[Delays], str]) -> str:
        return f"| {name} | " + " | ".join(cell(results[k]) for k in kinds) + " |"

    lines = [
        "Command: `python -m benchmarks latency` (about a minute; knobs in "
        f"`benchmarks/latency.py`). Versions: OpenSBC {versions['sbc']} on Python "
        f"{versions['python']}, Kamailio {versions['kamailio']}, rtpengine "
        f"{versions['rtpengine']}, SIPp {versions['sipp']}, {versions['tshark']}.",
        "",
        f"| INVITE in to INVITE out, at {rate} calls/s | "
        + " | ".join(LABELS[k] for k in kinds) + " |",
        "|---" * (len(kinds) + 1) + "|",
        row("p50", lambda r: _ms(r.pct(50))),
        row("p90", lambda r: _ms(r.pct(90))),
        row("p99 (goal for the SBC: at most 2 ms)", lambda r: _ms(r.pct(99))),
        row("max", lambda r: _ms(r.pct(100))),
        row("calls measured (both INVITEs captured) of calls sent",
            lambda r: f"{r.matched:,} of {r.sent:,} ({100 * r.matched / max(r.sent, 1):.1f} %)"),
        row("calls completed (SIPp)", lambda r: f"{r.ok:,}"),
        row("INVITE retransmissions seen: to the server / from it",
            lambda r: f"{r.retrans_in} / {r.retrans_out}"),
        row("packets captured / dropped by the capture",
            lambda r: f"{r.captured:,} / {r.capture_dropped}"),
        row("server CPU at this rate", lambda r: f"{r.server_cpu_pct:.0f} % of a core"),
        row("other tenants' CPU just before", lambda r: f"{r.busy_before:.0f} % of a core"),
        "",
        verdict(results.get("SBC")),
        "",
        "How: each server set up as in the calls benchmark's signalling step (a fresh "
        "rtpengine anchoring every call's SDP, the server, a SIPp callee; all on 127.0.0.1 "
        f"over UDP); a {WARM_SECS} s warm-up at the same rate is not counted; then SIPp "
        f"calls at {rate}/s for {' and '.join(f'{s:g}' for s in secs)} s (no hold) "
        "while dumpcap captures the server's and the callee's SIP ports on `lo`. A delay "
        "is the kernel timestamp of the INVITE the server sends to the callee minus that "
        "of the INVITE the caller sent it, matched by the From user (SIPp's call number, "
        "passed on unchanged by both servers; the B2BUA changes Call-ID and tags), first "
        "transmissions only; percentiles are nearest-rank over the matched calls. The "
        "delay holds the wait in the server's socket buffer, its processing and, for both "
        "servers, the rtpengine offer (a round trip to another process) before the INVITE "
        f"leaves. One run on one machine ({machine()}), shared by the server, rtpengine, "
        "both SIPps and dumpcap (and other tenants): a process waiting for a core shows "
        "in the tail.",
    ]
    lines += [f"- {note}" for note in notes]
    return "\n".join(lines)


def place_markers() -> None:
    """The latency section's markers right after the calls section, once."""
    begin, end = "<!-- bench:latency:begin -->", "<!-- bench:latency:end -->"
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    if begin in text:
        return
    calls_end = "<!-- bench:calls:end -->"
    block = ("\n\n## Delay added to call set-up\n\n"
             "From an INVITE arriving at the server to the INVITE it sends on toward the\n"
             "callee, for the SBC and Kamailio side by side; `python -m benchmarks latency`\n"
             f"writes the block below.\n\n{begin}\n{end}")
    if calls_end in text:
        at = text.index(calls_end) + len(calls_end)
        text = text[:at] + block + text[at:]
    else:
        text = text.rstrip() + block + "\n"
    DOC.write_text(text)


def tshark_version() -> str:
    try:
        out = subprocess.run(["tshark", "--version"], capture_output=True, text=True,
                             timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "tshark not installed"
    first = out.splitlines()[0] if out else "tshark unknown"
    return first.split(" (Git")[0]


def main() -> int:
    raise_nofile()
    missing = [name for name, ok in (("sipp (sip-tester)", sipp_binary()),
                                     ("rtpengine (rtpengine-daemon)", shutil.which("rtpengine")),
                                     ("tshark, dumpcap (tshark)",
                                      shutil.which("tshark") and shutil.which("dumpcap")))
               if not ok]
    if missing:
        print(f"latency: not installed: {', '.join(missing)} (tools/host-deps test)",
              file=sys.stderr)
        return 1
    work = ROOT / "build" / "bench" / "latency" / time.strftime("%Y%m%d-%H%M%S")
    work.mkdir(parents=True, exist_ok=True)
    make_pki(work / "pki")
    run = calls.Run(work)
    versions = {"sbc": sbc_version(), "python": platform.python_version(),
                "kamailio": kamailio_version(), "rtpengine": rtpengine_version(),
                "sipp": sipp_version(), "tshark": tshark_version()}
    log(f"latency benchmark: {work}; load average {load_average()}; {RATE} calls/s for "
        f"{SECS} s per server after a {WARM_SECS} s warm-up; servers {' '.join(SERVERS)}")
    results: dict[str, Delays] = {}
    notes: list[str] = []
    for kind in SERVERS:
        if kind == "Kamailio" and kamailio_binary() is None:
            notes.append("Kamailio: not measured (not installed: Debian package kamailio)")
            continue
        try:
            results[kind] = measure(run, kind, RATE, SECS, WARM_SECS)
        except Exception as exc:  # one broken server must not lose the other's figures
            notes.append(f"{kind}: not measured ({type(exc).__name__}: {exc})")
            log(f"{kind} failed: {exc}")
    notes += run.problems
    text = body(results, versions, notes)
    (work / "section.md").write_text(text)
    (work / "results.json").write_text(json.dumps(
        {"results": {k: asdict(v) for k, v in results.items()}, "versions": versions,
         "notes": notes}, indent=1))
    if os.environ.get("BENCH_NO_DOC") != "1" and results:
        place_markers()
        write_section("latency", text)
    log(text)
    log(f"latency benchmark done in {time.monotonic() - run.t0:.0f} s; files in {work}")
    return 0 if results else 1


if __name__ == "__main__":
    sys.exit(main())
