"""Calls figures: calls per second, signalling only and with media, concurrent calls held,
memory and CPU per call, for the SBC (a B2BUA anchoring media in rtpengine) and, in the
same run on the same machine with the same SIPp scenarios, for Kamailio as a stateful
proxy (tm + rr) anchoring media through its rtpengine module.

    python -m benchmarks calls          (`make bench` runs every benchmark)

SIPp calls (benchmarks/scenarios/calls_uac*.xml) through the server under test to a SIPp
callee (calls_uas*.xml), all over UDP on 127.0.0.1; each server part has a fresh server,
its own rtpengine and its own callee. Parts, in this order:
1. signalling ladders, SBC then Kamailio: calls without hold; rtpengine still gets the
   offer, answer and delete of every call, as the SBC always anchors media;
2. media ladders: each call streams G.711 both ways (SIPp rtp_stream, 50 packets/s per
   direction) for BENCH_CALLS_MEDIA_HOLD_MS through rtpengine; a step also fails when
   rtpengine relayed less than 95 % of the RTP expected;
3. held calls: BENCH_CALLS_HOLD_N calls at BENCH_CALLS_HOLD_RATE/s held
   BENCH_CALLS_HOLD_MS (signalling only): memory before, with all held, after; CPU per
   call over the whole batch. The SBC runs the batch twice (a leak shows as growth
   after the second batch too);
4. the SBC under py-spy (sampling, from outside) at a steady rate: where the time goes;
5. Kamailio without rtpengine (tm + rr alone), the reference of the harness, if time is left.

Ladders: the rate doubles from a start value until a step fails (failed calls >= 0.1 %,
retransmissions >= 1 %, achieved rate < 95 % of the target), then bisection steps; a
step that failed while other tenants used more than half a core is retried once. Before
each step the machine's background load is read (at most BENCH_CALLS_QUIET_WAIT s
waiting for it to fall below BENCH_CALLS_QUIET_MAX % of a core) and recorded.

Knobs (environment): BENCH_CALLS_STEP_SECS (6), BENCH_CALLS_MAX_SECS (570: hard budget),
BENCH_CALLS_SBC_START (100), BENCH_CALLS_KAM_START (500), BENCH_CALLS_MEDIA_START (25),
BENCH_CALLS_MEDIA_HOLD_MS (1000), BENCH_CALLS_REFINE (2), BENCH_CALLS_HOLD_N (1000),
BENCH_CALLS_HOLD_RATE (200), BENCH_CALLS_HOLD_MS (10000), BENCH_CALLS_PROFILE_SECS (8),
BENCH_CALLS_KAM_CHILDREN (4), BENCH_CALLS_RTP_PORTS ("12000-19999"),
BENCH_CALLS_QUIET_MAX (25), BENCH_CALLS_QUIET_WAIT (3), BENCH_CALLS_PARTS (all:
"sig media hold profile plain"); BENCH_NO_DOC=1 leaves docs/benchmarks.md alone.
Output: build/bench/calls/STAMP/ (every SIPp statistics file, server logs, the profile).
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import calls_peers, calls_profile
from .calls_peers import (
    CALL_HEADER,
    CallServer,
    CallStep,
    KamailioProxy,
    Rtpengine,
    SbcB2bua,
    call_step,
    port,
    rtpengine_version,
    start_callee,
    write_pcmu,
)
from .report import DOC, ROOT, env_int, log, write_section
from .sip_ladder import LadderResult, Step, ladder
from .sip_procs import (
    HZ,
    NCPU,
    Started,
    cpu_ticks,
    load_average,
    raise_nofile,
    rss_kib,
    wait_quiet,
)
from .sip_servers import kamailio_binary, kamailio_version, make_pki, sbc_version
from .sip_sipp import last_stats, sipp_binary, sipp_version

STEP_SECS = env_int("BENCH_CALLS_STEP_SECS", 6)
MAX_SECS = env_int("BENCH_CALLS_MAX_SECS", 570)
SBC_START = env_int("BENCH_CALLS_SBC_START", 100)
KAM_START = env_int("BENCH_CALLS_KAM_START", 500)
MEDIA_START = env_int("BENCH_CALLS_MEDIA_START", 25)
MEDIA_HOLD_MS = env_int("BENCH_CALLS_MEDIA_HOLD_MS", 1000)
REFINE = env_int("BENCH_CALLS_REFINE", 2)
HOLD_N = env_int("BENCH_CALLS_HOLD_N", 1000)
HOLD_RATE = env_int("BENCH_CALLS_HOLD_RATE", 200)
HOLD_MS = env_int("BENCH_CALLS_HOLD_MS", 10000)
SETTLE_MAX = 40  # seconds to wait after a held batch for the transactions to end
PROFILE_SECS = env_int("BENCH_CALLS_PROFILE_SECS", 8)
KAM_CHILDREN = env_int("BENCH_CALLS_KAM_CHILDREN", 4)
QUIET_MAX = env_int("BENCH_CALLS_QUIET_MAX", 25)
QUIET_WAIT = env_int("BENCH_CALLS_QUIET_WAIT", 3)
PARTS = tuple(os.environ.get("BENCH_CALLS_PARTS", "sig media hold profile plain").split())
_lo, _, _hi = os.environ.get("BENCH_CALLS_RTP_PORTS", "12000-19999").partition("-")
RTP_MIN, RTP_MAX = int(_lo), int(_hi or 19999)
calls_peers.AVOID = (RTP_MIN, RTP_MAX)
# the SBC's calls.max_calls: as many as the RTP range holds at 2 ports per call (its check)
MAX_CALLS = (RTP_MAX - RTP_MIN + 1) // 2
STEP_COST = STEP_SECS + QUIET_WAIT + 6  # a step, its quiet wait and teardown
LADDER_CAP = 95  # seconds per ladder


@dataclass
class Run:
    work: Path
    t0: float = field(default_factory=time.monotonic)
    ladders: dict[str, LadderResult] = field(default_factory=dict)
    held: dict[str, dict[str, Any]] = field(default_factory=dict)
    profile: dict[str, Any] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # server log lines, crashes
    busy: list[float] = field(default_factory=list)

    def left(self) -> float:
        return self.t0 + MAX_SECS - time.monotonic()


# -- one server part: rtpengine + server + callee, stopped whatever happens ---------------


class Bench:
    """The processes of one part, started in order and stopped in reverse."""

    def __init__(self, run: Run, sub: str, kind: str, *, media: bool,
                 with_rtpe: bool = True) -> None:
        self.run = run
        self.work = run.work / sub
        self.work.mkdir(parents=True, exist_ok=True)
        write_pcmu(self.work)
        self.kind = kind
        self.media = media
        self.with_rtpe = with_rtpe
        self.caller_port = port()
        self.callee_port = port()
        self.rtpe: Rtpengine | None = None
        self.server: SbcB2bua | KamailioProxy | None = None
        self.callee: Started | None = None
        self.restarts = 0

    def restart(self) -> None:
        """Fresh processes after a failed step: an overloaded server still works off its
        backlog and holds calls the caller gave up on, which would fail the next step."""
        self.__exit__()
        self.rtpe = self.server = self.callee = None
        self.restarts += 1
        self.__enter__()

    def __enter__(self) -> Bench:
        again = f"-{self.restarts}" if self.restarts else ""
        try:
            if self.with_rtpe:
                self.rtpe = Rtpengine(self.work / f"rtpengine{again}", RTP_MIN, RTP_MAX).start()
            if self.kind == "SBC":
                assert self.rtpe is not None
                self.server = SbcB2bua(self.work / f"sbc{again}", self.run.work / "pki", self.rtpe,
                                       caller_port=self.caller_port,
                                       callee_port=self.callee_port,
                                       max_calls=MAX_CALLS).start()
            else:
                self.server = KamailioProxy(self.work / f"kamailio{again}", self.rtpe,
                                            callee_port=self.callee_port,
                                            children_=KAM_CHILDREN).start()
            self.callee = start_callee(self.work, self.callee_port, media=self.media,
                                       tag=f"{self.kind}{again}")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        for item in (self.callee, self.server, self.rtpe):
            if item is not None:
                item.stop()
        self.note_problems()

    @property
    def dest(self) -> str:
        assert self.server is not None
        return f"127.0.0.1:{self.server.port}"

    def step(self, label: str, rate: int, secs: float, hold_ms: int) -> CallStep:
        assert self.server is not None and self.callee is not None
        return call_step(label, self.dest, rate, secs, self.work, server=self.server,
                         rtpe=self.rtpe, callee=self.callee, caller_port=self.caller_port,
                         callee_port=self.callee_port, hold_ms=hold_ms, media=self.media)

    def alive(self) -> bool:
        items: list[Started | CallServer | Rtpengine | None] = [self.server, self.callee]
        if self.with_rtpe:
            items.append(self.rtpe)
        return all(item is not None and item.alive() for item in items)

    def note_problems(self) -> None:
        server = self.server
        if server is None:
            return
        lines = server.log_problems()
        if lines:
            self.run.problems.append(f"{self.kind} ({self.work.name}): {len(lines)} log "
                                     f"line(s), first: {lines[0][:300]}")


# -- parts --------------------------------------------------------------------------------


def run_ladder(run: Run, kind: str, *, media: bool, start: int, with_rtpe: bool = True,
               label: str = "") -> None:
    label = label or f"{kind} {'media' if media else 'signalling'}"
    sub = label.lower().replace(" ", "-")
    hold = MEDIA_HOLD_MS if media else 0
    with Bench(run, sub, kind, media=media, with_rtpe=with_rtpe) as bench:
        warm = bench.step(f"{label} warm-up", 10, 1, hold)
        log(f"{label}: warm-up {warm.ok}/{warm.sent} calls")

        dirty = [False]

        def one(rate: int) -> CallStep:
            if dirty[0] or not bench.alive():
                bench.restart()
            busy = wait_quiet(max_wait=QUIET_WAIT, quiet=QUIET_MAX)
            run.busy.append(busy)
            step = bench.step(label, rate, STEP_SECS, hold)
            step.busy_before = busy
            if not bench.alive():
                step.verdict = "FAIL(crash)"
                step.note = (step.note + " (a process exited: see its log)").strip()
                run.problems.append(f"{label} at {rate}/s: a process exited")
            elif step.passed and isinstance(bench.server, SbcB2bua):
                # every call of a passing step has ended: the SBC must hold none
                active = _sbc_active_settles(bench.server)
                step.extra["sbc_active_after"] = str(active)
                if active:
                    run.problems.append(f"{label} at {rate}/s: the SBC still counts "
                                        f"{active} active call(s) after the step")
            dirty[0] = not step.passed
            return step

        log(f"== {label}: ladder from {start}/s, {STEP_SECS} s per step"
            + (f", calls held {hold} ms with RTP" if media else ""))
        log(CALL_HEADER)
        deadline = min(run.t0 + MAX_SECS - 60, time.monotonic() + LADDER_CAP)
        result = ladder(label, one, start=start, refine=REFINE, deadline=deadline,
                        step_cost=STEP_COST + hold / 1000, log=log)
        log(f"{label}: max passing rate {result.best}/s (first failing: {result.first_fail})")
        run.ladders[label] = result
        if isinstance(bench.server, SbcB2bua):
            counters = bench.server.calls()
            if counters:
                log(f"{label}: SBC call counters {counters}")


def _sbc_active_settles(server: SbcB2bua, timeout: float = 4.5) -> int | None:
    """The SBC's active calls once its status file shows 0 (or after `timeout` s)."""
    deadline = time.monotonic() + timeout
    active = server.calls().get("active")
    while active and time.monotonic() < deadline:
        time.sleep(0.5)
        active = server.calls().get("active")
    return int(active) if isinstance(active, int) else None


def _sipp_batch(bench: Bench, n: int, rate: int, hold_ms: int, tag: str,
                ) -> tuple[subprocess.Popen[bytes], Path]:
    binary = sipp_binary()
    assert binary is not None
    stats = bench.work / f"held_{tag}.csv"
    stats.unlink(missing_ok=True)
    args = [binary, bench.dest, "-sf", str(ROOT / "benchmarks/scenarios/calls_uac.xml"),
            "-s", "+4930123456789", "-i", "127.0.0.1", "-p", str(bench.caller_port),
            "-nostdin", "-skip_rlimit", "-buff_size", "4194304",
            "-default_behaviors", "all,-abortunexp", "-r", str(rate), "-rp", "1000",
            "-m", str(n), "-l", str(n), "-d", str(hold_ms), "-recv_timeout", "5000",
            "-timeout", f"{n // max(rate, 1) + hold_ms // 1000 + 30}s",
            "-trace_stat", "-stf", str(stats), "-fd", "1",
            "-trace_err", "-error_file", str(bench.work / f"held_{tag}_errors.log")]
    with (bench.work / f"held_{tag}.out").open("wb") as out:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, cwd=bench.work)
    return proc, stats


def _current(stats: Path) -> int:
    return int(last_stats(stats).get("CurrentCall", 0) or 0)


def _server_state(bench: Bench) -> dict[str, Any]:
    server, rtpe = bench.server, bench.rtpe
    assert server is not None
    state: dict[str, Any] = {"server": server.memory(), "transactions": server.transactions(),
                             "rtpe_rss": rss_kib(rtpe.pids()) if rtpe else None,
                             "rtpe_sessions": rtpe.sessions() if rtpe else None}
    if isinstance(server, SbcB2bua):
        state["sbc_active"] = server.calls().get("active")
    return state


def held_batch(bench: Bench, n: int, rate: int, hold_ms: int, tag: str, *,
               settle: float = 40.0) -> dict[str, Any]:
    """n calls at `rate`/s held `hold_ms`: memory before, with all of them up, and after
    they ended and the server's transactions are gone (bounded wait: Timer J keeps a
    non-INVITE server transaction 32 s over UDP); CPU per call over all that (setup, hold,
    BYE, timers), the server and rtpengine apart."""
    server, rtpe = bench.server, bench.rtpe
    assert server is not None
    pids, rpids = server.pids(), rtpe.pids() if rtpe else []
    before = _server_state(bench)
    c0, r0, w0 = cpu_ticks(pids), cpu_ticks(rpids), time.monotonic()
    proc, stats = _sipp_batch(bench, n, rate, hold_ms, tag)
    ramp = n / max(rate, 1)
    peak = 0
    try:
        deadline = time.monotonic() + min(ramp * 3 + 5, ramp + hold_ms / 1000 - 1)
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.5)
            peak = max(peak, _current(stats))
            if peak >= n:
                break
        time.sleep(2.2)  # the last ACKs, and one more status file
        peak = max(peak, _current(stats))
        plateau = _server_state(bench)
        try:
            proc.wait(timeout=ramp + hold_ms / 1000 + 40)
        except subprocess.TimeoutExpired:
            proc.terminate()
            proc.wait(timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
    ended = time.monotonic()
    settle_deadline = ended + settle
    time.sleep(min(2.2, settle))
    while time.monotonic() < settle_deadline and (server.transactions() or 0) > 0:
        time.sleep(1.0)
    settled = time.monotonic() - ended
    c1, r1, wall = cpu_ticks(pids), cpu_ticks(rpids), time.monotonic() - w0
    row = last_stats(stats)
    ok = int(row.get("SuccessfulCall(C)", 0) or 0)
    after = _server_state(bench)
    return {"n": n, "rate": rate, "hold_ms": hold_ms, "peak": peak, "ok": ok,
            "failed": n - ok, "before": before, "plateau": plateau, "after": after,
            "settled_s": settled, "server_cpu_s": (c1 - c0) / HZ,
            "rtpe_cpu_s": (r1 - r0) / HZ, "wall": wall}


def run_held(run: Run, kind: str, rounds: int) -> None:
    rate = HOLD_RATE
    best = run.ladders.get(f"{kind} signalling")
    if best is not None and best.best:
        rate = max(10, min(rate, best.best // 2))
    label = f"{kind} held"
    # all calls must be up (and one status file written) well before the first ends
    hold_ms = max(HOLD_MS, int(1000 * HOLD_N / rate) + 5000)
    with Bench(run, f"{kind.lower()}-held", kind, media=False) as bench:
        assert bench.server is not None
        warm = bench.step(f"{label} warm-up", 20, 1, 0)
        log(f"{label}: warm-up {warm.ok}/{warm.sent} calls")
        time.sleep(1.0)
        batches = []
        for i in range(rounds):
            if run.left() < HOLD_N / rate + hold_ms / 1000 + SETTLE_MAX + 10:
                run.skipped.append(f"{label} batch {i + 1} (time budget)")
                break
            busy = wait_quiet(max_wait=QUIET_WAIT, quiet=QUIET_MAX)
            run.busy.append(busy)
            log(f"== {label}: {HOLD_N} calls at {rate}/s held {hold_ms} ms "
                f"(batch {i + 1} of {rounds}; other tenants {busy:.0f} % of a core)")
            batch = held_batch(bench, HOLD_N, rate, hold_ms, f"{kind}_{i + 1}",
                               settle=SETTLE_MAX)
            batch["busy_before"] = busy
            batches.append(batch)
            log(f"{label} batch {i + 1}: " + json.dumps(batch, default=str))
        run.held[kind] = {"batches": batches}


def py_spy() -> str | None:
    """py-spy on PATH, else next to this interpreter (`make bench` installs it into .venv
    with the `bench` extra, and runs the benchmarks without activating .venv)."""
    found = shutil.which("py-spy")
    if found:
        return found
    for folder in (Path(sys.executable).parent, ROOT / ".venv" / "bin"):
        if (folder / "py-spy").exists():
            return str(folder / "py-spy")
    return None


def _spy_error(log_file: Path) -> str:
    """The last line py-spy wrote (why it sampled nothing: ptrace refused, process gone)."""
    try:
        lines = [line.strip() for line in log_file.read_text(errors="replace").splitlines()]
    except OSError:
        return "no log"
    lines = [line for line in lines if line]
    return lines[-1][:200] if lines else "an empty log"


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def run_profile(run: Run) -> None:
    spy = py_spy()
    if spy is None:
        run.skipped.append("SBC profile (py-spy is not installed: `make bench` installs it "
                           "into .venv with the `bench` extra)")
        return
    best = run.ladders.get("SBC signalling")
    rate = max(20, int((best.best if best and best.best else 200) * 0.6))
    out = run.work / "sbc-profile.speedscope.json"
    with Bench(run, "sbc-profile", "SBC", media=False) as bench:
        assert bench.server is not None
        warm = bench.step("SBC profile warm-up", 20, 1, 0)
        log(f"== SBC under py-spy: {rate} calls/s, {PROFILE_SECS} s sampled "
            f"(warm-up {warm.ok}/{warm.sent})")
        pid = bench.server.pids()[0]
        args = [spy, "record", "--pid", str(pid), "--duration", str(PROFILE_SECS),
                "--rate", "200", "--function", "--format", "speedscope",
                "-o", str(out)]
        spy_proc: list[Started] = []

        def start_spy() -> None:
            spy_proc.append(Started("py-spy", args, bench.work / "py-spy.log"))

        # the step samples its CPU window itself; py-spy starts 1.5 s into the load
        u0, s0 = _utime_stime(pid)
        step = _step_with(bench, "SBC profiled", rate, PROFILE_SECS + 3, 1.5, start_spy)
        u1, s1 = _utime_stime(pid)
        for p in spy_proc:
            try:
                p.proc.wait(timeout=PROFILE_SECS + 15)
            except subprocess.TimeoutExpired:
                pass
            p.stop()
        log(step.row())
    if not out.exists():
        log_file = bench.work / "py-spy.log"
        run.skipped.append(f"SBC profile (py-spy wrote no profile: {_spy_error(log_file)}; "
                           f"see {_rel(log_file)})")
        return
    version = subprocess.run([spy, "--version"], capture_output=True, text=True,
                             timeout=10).stdout.strip()
    busy = (u1 - u0) + (s1 - s0)
    run.profile = {"rate": rate, "step": step.row(), "ok": step.ok, "sent": step.sent,
                   "file": _rel(out), "secs": PROFILE_SECS,
                   "spy_version": version, "stime_share": (s1 - s0) / busy if busy else None,
                   **calls_profile.summarise(json.loads(out.read_text()))}
    for name, pct in run.profile["own"][:12]:
        log(f"  own {pct:5.1f} %  {name}")


def _utime_stime(pid: int) -> tuple[int, int]:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0, 0
    fields_ = text[text.rindex(")") + 2:].split()
    return int(fields_[11]), int(fields_[12])


def _step_with(bench: Bench, label: str, rate: int, secs: float, after: float,
               action: Callable[[], None]) -> CallStep:
    """A step with `action` run `after` seconds into it (from a timer thread)."""
    import threading

    timer = threading.Timer(after, action)
    timer.start()
    try:
        return bench.step(label, rate, secs, 0)
    finally:
        timer.cancel()


# -- the report -----------------------------------------------------------------------------


def render(work: Path) -> str:
    """The section again from a run's results.json (after the report's wording changed);
    written into docs/benchmarks.md unless BENCH_NO_DOC=1."""
    from .calls_report import body

    data = json.loads((work / "results.json").read_text())
    run = Run(work)
    for label, result in data["ladders"].items():
        steps: list[Step] = [CallStep(**step) for step in result["steps"]]
        run.ladders[label] = LadderResult(label, result["best"], result["first_fail"], steps)
    run.held, run.profile = data["held"], data["profile"]
    run.skipped, run.problems, run.busy = data["skipped"], data["problems"], data["busy"]
    text = body(run, data["versions"], data.get("load0", "not recorded"))
    if os.environ.get("BENCH_NO_DOC") != "1":
        write_section("calls", text)
        # the block's date is the run's (its folder's name, local time), not today's
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(
            time.mktime(time.strptime(work.name, "%Y%m%d-%H%M%S"))))
        doc = DOC.read_text()
        begin = doc.index("<!-- bench:calls:begin -->")
        head, sep, tail = doc[begin:].partition(" on ")
        head = re.sub(r"_Measured [^_]*$", f"_Measured {stamp}", head)
        DOC.write_text(doc[:begin] + head + sep + tail)
    return text


def main(argv: list[str] | None = None) -> int:
    """`python -m benchmarks calls` runs it; `python -m benchmarks.calls --render DIR`
    rewrites the section from an earlier run's files."""
    if argv and argv[0] == "--render" and len(argv) == 2:
        print(render(Path(argv[1])))
        return 0
    raise_nofile()
    missing = [name for name, ok in (("sipp (sip-tester)", sipp_binary()),
                                     ("rtpengine (rtpengine-daemon)", shutil.which("rtpengine")))
               if not ok]
    if missing:
        print(f"calls: not installed: {', '.join(missing)} (tools/host-deps bench)",
              file=sys.stderr)
        return 1
    stamp = time.strftime("%Y%m%d-%H%M%S")
    work = ROOT / "build" / "bench" / "calls" / stamp
    work.mkdir(parents=True, exist_ok=True)
    run = Run(work)
    make_pki(work / "pki")
    have_kam = kamailio_binary() is not None
    versions = {"sbc": sbc_version(), "python": platform.python_version(),
                "kamailio": kamailio_version(), "sipp": sipp_version(),
                "rtpengine": rtpengine_version()}
    load0 = load_average()
    log(f"calls benchmark: {work}; load average {load0}; budget {MAX_SECS} s; "
        f"parts {' '.join(PARTS)}")
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

    if "sig" in PARTS:
        part("SBC signalling", lambda: run_ladder(run, "SBC", media=False, start=SBC_START),
             60)
        if have_kam:
            part("Kamailio signalling",
                 lambda: run_ladder(run, "Kamailio", media=False, start=KAM_START), 60)
    if "media" in PARTS:
        part("SBC media", lambda: run_ladder(run, "SBC", media=True, start=MEDIA_START), 60)
        if have_kam:
            part("Kamailio media",
                 lambda: run_ladder(run, "Kamailio", media=True, start=MEDIA_START * 2), 60)
    hold_need = HOLD_N / HOLD_RATE + HOLD_MS / 1000 + SETTLE_MAX + 10
    if "hold" in PARTS:
        part("SBC held calls", lambda: run_held(run, "SBC", 2), 2 * hold_need)
        if have_kam:
            part("Kamailio held calls", lambda: run_held(run, "Kamailio", 1), hold_need)
    if "profile" in PARTS:
        part("SBC profile", lambda: run_profile(run), PROFILE_SECS + 25)
    else:  # the report says why there is no profile
        run.skipped.append("SBC profile (not among BENCH_CALLS_PARTS)")
    if "plain" in PARTS and have_kam:
        part("Kamailio without rtpengine",
             lambda: run_ladder(run, "Kamailio", media=False, start=KAM_START * 2,
                                with_rtpe=False, label="Kamailio no-rtpengine"), 70)

    from .calls_report import body  # the report's text lives apart (long)

    log("")
    log(CALL_HEADER)
    for result in run.ladders.values():
        for step in result.steps:
            log(step.row())
    text = body(run, versions, load0)
    (work / "section.md").write_text(text)
    (work / "results.json").write_text(json.dumps({
        "ladders": {k: {"best": v.best, "first_fail": v.first_fail,
                        "steps": [s.__dict__ for s in v.steps]} for k, v in run.ladders.items()},
        "held": run.held, "profile": run.profile, "skipped": run.skipped,
        "problems": run.problems, "busy": run.busy, "versions": versions, "load0": load0,
    }, indent=2, default=str))
    if os.environ.get("BENCH_NO_DOC") != "1":
        write_section("calls", text)
    log(text)
    log(f"calls benchmark done in {time.monotonic() - run.t0:.0f} s; files in {work}")
    return 0


__all__ = ["main", "render", "Run", "Bench", "run_ladder", "held_batch", "NCPU"]

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
