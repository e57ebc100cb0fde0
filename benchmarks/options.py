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
Everything runs on 127.0.0.1; every process is stopped by its PID.
"""

from __future__ import annotations

import json
import os
import platform
import pstats
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .report import ROOT, write_section
from .sip_ladder import HEADER, LadderResult, Step, ladder
from .sip_procs import (
    NCPU,
    CpuWindow,
    Started,
    busy_percent,
    children,
    free_port,
    load_average,
    pss_kib,
    raise_nofile,
    rss_kib,
    wait_quiet,
)
from .sip_sipp import DATA, sipp_binary, sipp_step, sipp_version

FQDN = "sbc.lab.test"
CLIENT_NAME = "bench.client.test"
KAM_CFG = DATA / "kamailio-options.cfg"


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


STEP_SECS = _env_int("BENCH_STEP_SECS", 6)
MAX_SECS = _env_int("BENCH_MAX_SECS", 540)
TLS_CONNS = _env_int("BENCH_TLS_CONNS", 4)
HOLD = tuple(int(x) for x in os.environ.get("BENCH_HOLD", "200 1000").split())
KAM_CHILDREN = _env_int("BENCH_KAM_CHILDREN", 4)
SBC_START = _env_int("BENCH_SBC_START", 250)
KAM_START = _env_int("BENCH_KAM_START", 4000)
PROFILE_SECS = _env_int("BENCH_PROFILE_SECS", 8)
STEP_COST = STEP_SECS + 7  # a step, its quiet wait and teardown (deadline checks)
LADDER_CAP = 100  # seconds per ladder (4 ladders + 2 memory parts + profile < MAX_SECS)
MEMORY_CAP = 40  # seconds per server's memory part
# Kamailio 5.6.3 (Debian 12) with OpenSSL 3 double-frees in its tls module, then crashes,
# when several TCP workers handshake (kamailio issue #3791; later versions have
# tls_threads_mode): its TLS runs with one TCP worker, one core for TLS like the SBC.
KAM_TLS_CHILDREN = 1


def log(text: str) -> None:
    print(text, flush=True)


# -- certificates ---------------------------------------------------------------------------


@dataclass
class Pki:
    ca: Path
    server_cert: Path  # the SBC's (and Kamailio's) certificate: leaf + intermediate
    server_key: Path
    client_cert: Path  # the load client's, for mutual TLS
    client_key: Path


def make_pki(directory: Path) -> Pki:
    from sbc.certs.testpki import LabCA

    ca = LabCA("OpenSBC Bench")
    directory.mkdir(parents=True, exist_ok=True)
    ca.write_root(directory / "ca.pem")
    server = ca.write(directory, ca.issue(FQDN), stem="server")
    client = ca.write(directory, ca.issue(CLIENT_NAME), stem="client")
    return Pki(directory / "ca.pem", server.cert, server.key, client.cert, client.key)


# -- the servers ----------------------------------------------------------------------------


def _wait(predicate: Callable[[], object], timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


class Server:
    name = ""
    udp_port = 0
    tls_port = 0
    proc: Started | None = None

    def pids(self) -> list[int]:
        raise NotImplementedError

    def memory(self) -> dict[str, int]:
        raise NotImplementedError

    def alive(self) -> bool:
        return self.proc is not None and self.proc.alive()

    def crashed(self) -> bool:
        """Kamailio restarts nothing: a worker that died is in its log."""
        return False

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()
            self.proc = None


def sbc_command() -> list[str]:
    venv = ROOT / ".venv" / "bin" / "sbc"
    return [str(venv)] if venv.exists() else [sys.executable, "-m", "sbc.cli"]


def sbc_env() -> dict[str, str]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "appliance"), str(ROOT)])
    env.pop("JOURNAL_STREAM", None)
    return env


class SbcServer(Server):
    """`sbc run` with a bench config: UDP and TLS on loopback, one generic connection whose
    allowlist is 127.0.0.0/8 (so loopback sources get their 200), no OPTIONS sent."""

    name = "SBC"

    def __init__(self, work: Path, pki: Pki, *, profile: Path | None = None,
                 status_interval: float | None = None, allow: str = "127.0.0.0/8") -> None:
        self.work = work
        self.pki = pki
        self.profile = profile
        self.status_interval = status_interval  # None: the SBC's default
        self.allow = allow  # the connection's allowlist
        self.udp_port = free_port()
        self.tls_port = free_port()

    def config_text(self) -> str:
        return (
            "sbc:\n"
            f"  fqdn: {FQDN}\n"
            "  public_ip: 127.0.0.1\n"
            "  listen:\n"
            f"    - {{transport: udp, address: 127.0.0.1, port: {self.udp_port}}}\n"
            f"    - {{transport: tls, address: 127.0.0.1, port: {self.tls_port}}}\n"
            "  options_interval: 60\n"
            f"  tls: {{cert: {self.pki.server_cert}, key: {self.pki.server_key}, "
            f"ca_bundle: {self.pki.ca}}}\n"
            "  limits: {max_connections: 4096}\n"
            "connections:\n"
            "  - name: Bench\n"
            "    profile: generic\n"
            "    host: 127.0.0.1\n"
            "    port: 9\n"
            "    transport: udp\n"
            "    options: false\n"
            f"    allowlist: [{self.allow}]\n"
        )

    def start(self) -> SbcServer:
        self.work.mkdir(parents=True, exist_ok=True)
        config = self.work / "sbc.yaml"
        config.write_text(self.config_text())
        run_dir = self.work / "run"
        status = run_dir / "status.json"
        status.unlink(missing_ok=True)
        sbc_args = ["run", "--config", str(config), "--run-dir", str(run_dir)]
        if self.status_interval is not None:
            sbc_args += ["--status-interval", str(self.status_interval)]
        if self.profile is not None:
            args = [sys.executable, "-m", "benchmarks.sip_profile", str(self.profile), *sbc_args]
        else:
            args = [*sbc_command(), *sbc_args]
        self.proc = Started("sbc", args, self.work / "sbc.log", env=sbc_env(), cwd=ROOT)
        proc = self.proc
        if not _wait(lambda: status.exists() or not proc.alive(), 20):
            self.stop()
            raise RuntimeError("the SBC did not write its status file within 20 s")
        if not proc.alive():
            raise RuntimeError(f"sbc run exited:\n{proc.tail()}")
        return self

    def pids(self) -> list[int]:
        return [self.proc.pid] if self.proc is not None else []

    def memory(self) -> dict[str, int]:
        pids = self.pids()
        return {"rss": rss_kib(pids), "pss": pss_kib(pids)}


def kamailio_binary() -> str | None:
    for path in ("/usr/sbin/kamailio", "/usr/local/sbin/kamailio"):
        if Path(path).exists():
            return path
    return None


def kamailio_version() -> str:
    binary = kamailio_binary()
    if binary is None:
        return "not installed"
    out = subprocess.run([binary, "-v"], capture_output=True, text=True, timeout=10).stdout
    for line in out.splitlines():
        if line.startswith("version:"):
            return line.split()[2]
    return "unknown"


def kamailio_tls_module() -> bool:
    return any(Path(d).joinpath("tls.so").exists() for d in (
        "/usr/lib/x86_64-linux-gnu/kamailio/modules", "/usr/lib/kamailio/modules",
        "/usr/local/lib64/kamailio/modules"))


class KamailioServer(Server):
    """Kamailio with benchmarks/data/kamailio-options.cfg: UDP and, when the tls module
    is installed (kamailio-tls-modules), mutual TLS with the same certificate and CA."""

    name = "Kamailio"

    def __init__(self, work: Path, pki: Pki, *, children: int = KAM_CHILDREN,
                 tcp_children: int | None = None) -> None:
        self.work = work
        self.pki = pki
        self.children = children
        self.tcp_children = tcp_children  # None: as many as `children`
        self.udp_port = free_port()
        self.tls_port = free_port()
        self.ctl = f"unix:{work / 'kamailio_ctl'}"
        self.with_tls = kamailio_tls_module()

    def tls_cfg(self) -> str:
        return (
            "[server:default]\n"
            "method = TLSv1.2+\n"
            "verify_certificate = yes\n"
            "require_certificate = yes\n"
            f"private_key = {self.pki.server_key}\n"
            f"certificate = {self.pki.server_cert}\n"
            f"ca_list = {self.pki.ca}\n"
            "\n[client:default]\n"
            "method = TLSv1.2+\n"
            "verify_certificate = no\n"
            "require_certificate = no\n"
        )

    def kamcmd(self, *args: str) -> str:
        try:
            out = subprocess.run(["kamcmd", "-s", self.ctl, *args], capture_output=True,
                                 text=True, timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return out.stdout if out.returncode == 0 else ""

    def start(self) -> KamailioServer:
        binary = kamailio_binary()
        if binary is None:
            raise RuntimeError("kamailio is not installed (Debian package kamailio)")
        self.work.mkdir(parents=True, exist_ok=True)
        tls_cfg = self.work / "tls.cfg"
        tls_cfg.write_text(self.tls_cfg())
        env = dict(
            os.environ,
            KAM_LISTEN_UDP=f"udp:127.0.0.1:{self.udp_port}",
            KAM_LISTEN_TLS=f"tls:127.0.0.1:{self.tls_port}",
            KAM_TLS_CFG=str(tls_cfg),
            KAM_CTL=self.ctl,
            KAM_CONTACT=f"<sip:{FQDN}:{self.tls_port};transport=tls>",
        )
        args = [binary, "-f", str(KAM_CFG), "-DD", "-E", "-m", "512", "-M", "16",
                "-n", str(self.children), "-P", str(self.work / "kamailio.pid")]
        if self.with_tls:
            args += ["-A", "WITH_TLS"]
        if self.tcp_children is not None:
            args += ["-A", f"TCP_CHILDREN={self.tcp_children}"]
        self.proc = Started("kamailio", args, self.work / "kamailio.log", env=env,
                            cwd=self.work)
        proc = self.proc
        if not _wait(lambda: self.kamcmd("core.uptime") or not proc.alive(), 15, 0.2):
            self.stop()
            raise RuntimeError("kamailio did not come up within 15 s")
        if not proc.alive():
            raise RuntimeError(f"kamailio exited:\n{proc.tail()}")
        time.sleep(0.5)
        return self

    def pids(self) -> list[int]:
        if self.proc is None:
            return []
        return [self.proc.pid, *children(self.proc.pid)]

    def crashed(self) -> bool:
        if self.proc is None:
            return False
        text = self.proc.tail(20000)
        return "exited by a signal" in text or "freeing already freed" in text

    def shm_used_kib(self) -> int:
        for line in self.kamcmd("core.shmmem").splitlines():
            if "real_used:" in line:
                return int(line.split(":")[1].strip().rstrip(",")) // 1024
        return 0

    def memory(self) -> dict[str, int]:
        pids = self.pids()
        return {"rss": rss_kib(pids), "pss": pss_kib(pids), "shm": self.shm_used_kib(),
                "processes": len(pids)}


# -- the TLS client -------------------------------------------------------------------------


def _client_args(mode: str, server: Server, pki: Pki) -> list[str]:
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
             connections: int = TLS_CONNS) -> Step:
    args = [*_client_args("load", server, pki), "--connections", str(connections),
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
            step = tls_step(label, server, run.pki, rate, STEP_SECS, run.work)
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


def hold(server: Server, pki: Pki, count: int, work: Path, tag: str,
         ) -> tuple[Started, dict[str, Any]]:
    args = [*_client_args("hold", server, pki), "--connections", str(count),
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


# (what, file suffix, function): stages of one OPTIONS, for the cumulative shares
STAGES = (
    ("the whole datagram (UDP callback)", "sbc/transport/udp.py", "datagram_received"),
    ("parse the datagram", "sbc/sip/parser.py", "parse_datagram"),
    ("validate the request", "sbc/sip/validate.py", "validate_request"),
    ("allowlist (SourceGate.allowed)", "sbc/core/sources.py", "allowed"),
    ("which connection (SourceGate.classify)", "sbc/core/sources.py", "classify"),
    ("transaction layer: new server transaction", "sbc/sip/transaction_layer.py", "receive"),
    ("OPTIONS handler: build and send the 200", "sbc/core/handlers.py", "__call__"),
    ("transaction layer: the 200 through the transaction", "sbc/sip/transaction_layer.py",
     "send_response"),
    ("serialize the 200", "sbc/sip/message.py", "to_bytes"),
    ("send (TransportManager.send)", "sbc/transport/manager.py", "send"),
    ("timers (Timer J expiries and the rest)", "sbc/core/engine.py", "_on_timer"),
)
WAITING = ("<method 'poll' of 'select.epoll' objects>", "<method 'select' of 'select.epoll'")


def top_functions(stats: pstats.Stats, handled: int) -> dict[str, Any]:
    """Shares of the time the SBC was not waiting in epoll (the profile's clock is wall
    time, which is cheap to read; waiting is taken out, what is left is running or
    being preempted while running, which spreads like the running time)."""
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    raw = {k: v for k, v in raw.items() if not k[2].startswith(WAITING)}
    total_cpu = sum(v[2] for v in raw.values()) or 1e-9
    calls = sum(v[1] for v in raw.values())

    def name(key: tuple[str, int, str]) -> str:
        path, line, func = key
        if path == "~":
            return func
        short = path.split("/appliance/", 1)[-1].split("/python3.11/", 1)[-1]
        return f"{func} ({short}:{line})"

    stages = []
    for what, suffix, func in STAGES:
        found = [v for k, v in raw.items() if k[0].endswith(suffix) and k[2] == func]
        if found:
            cum = sum(v[3] for v in found)
            stages.append((what, 100 * cum / total_cpu, sum(v[1] for v in found) / handled
                           if handled else 0.0))
    counted = {"via": ("sbc/sip/fields.py", "parse_via"), "uri": ("sbc/sip/uri.py", "parse_uri"),
               "lower": ("~", "<method 'lower' of 'str' objects>"),
               "ip": ("ipaddress.py", "_ip_int_from_string")}
    counts = {key: sum(v[1] for k, v in raw.items() if k[0].endswith(suffix) and k[2] == func)
              / max(handled, 1) for key, (suffix, func) in counted.items()}
    own = sorted(raw.items(), key=lambda kv: kv[1][2], reverse=True)[:12]
    ours = [(k, v) for k, v in raw.items() if "/sbc/" in k[0]]
    cumulative = sorted(ours, key=lambda kv: kv[1][3], reverse=True)[:14]
    return {
        "handled": handled,
        "cpu_s": total_cpu,
        "calls_per_request": calls / handled if handled else 0.0,
        "us_per_request": 1e6 * total_cpu / handled if handled else 0.0,
        "stages": stages,
        "counts": counts,
        "own": [(name(k), 100 * v[2] / total_cpu, v[1] / max(handled, 1)) for k, v in own],
        "cumulative": [(name(k), 100 * v[3] / total_cpu, v[1] / max(handled, 1))
                       for k, v in cumulative],
    }


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
        _wait(out.exists, 10)
    finally:
        server.stop()
    if not out.exists():
        log("no profile written")
        return
    stats = pstats.Stats(str(out))
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    handled = sum(v[1] for k, v in raw.items()
                  if k[0].endswith("sbc/transport/udp.py") and k[2] == "datagram_received")
    run.profile = {"rate": rate, **top_functions(stats, handled)}
    log(f"profile: {handled} datagrams, {run.profile['calls_per_request']:.0f} calls and "
        f"{run.profile['us_per_request']:.0f} µs (profiled, epoll waits left out) per OPTIONS")
    for fname, pct, per in run.profile["own"]:
        log(f"  own {pct:5.1f} %  {per:5.1f}/req  {fname}")


# -- the report -----------------------------------------------------------------------------


def _best(run: Run, label: str) -> tuple[str, str]:
    result = run.ladders.get(label)
    if result is None:
        return "not measured", "-"
    step = result.best_step
    rate = f"{result.best:,}" if result.best else "none passed"
    if result.first_fail is None and result.steps:
        rate = f"≥ {rate} (no step failed{'; ' + result.stopped if result.stopped else ''})"
    fail = next((s for s in result.steps if s.target == result.first_fail), None)
    if fail is not None and "load client" in fail.note:
        rate += " (the load client was at a full core)"
    cpu = "-"
    if step is not None and step.us_per_request > 0:
        cpu = (f"{step.us_per_request:.0f} µs (≈ {1e6 / step.us_per_request:,.0f}/s per "
               "core of CPU)")
    return rate, cpu


def _mem(run: Run, label: str, key: str, count: int) -> str:
    points = run.memory.get(label, {}).get("points", [])
    point = next((p for p in points if p["connections"] == count), None)
    if point is None or f"{key}_per_conn_kib" not in point:
        return "-"
    return f"{point[f'{key}_per_conn_kib']:.1f} KiB"


def steps_table(run: Run) -> str:
    lines = ["| step | target/s | achieved/s | ok | failed | retrans (UDP) / late (TLS) | "
             "mean rt ms | server CPU % | µs/OPTIONS | generator CPU % | other tenants % | "
             "UDP drops (kernel, whole machine) | verdict |", "|" + "---|" * 13]
    for result in run.ladders.values():
        for s in result.steps:
            lines.append(
                f"| {s.label} | {s.target:,} | {s.achieved:,.0f} | {s.ok:,} | {s.failed:,} | "
                f"{s.retrans:,} | {s.rtt_ms:.1f} | {s.server_cpu_pct:.0f} | "
                f"{s.us_per_request:.0f} | {s.client_cpu_pct:.0f} | {s.background_pct:.0f} | "
                f"{s.udp_drops} | {s.verdict} {s.note} |")
    return "\n".join(lines)


def profile_text(run: Run) -> str:
    p = run.profile
    if not p:
        return "Not measured in this run."
    stages = "\n".join(f"| {name} | {pct:.1f} % | {per:.2f} |"
                       for name, pct, per in p.get("stages", []))
    own = "\n".join(f"| {name} | {pct:.1f} % | {per:.1f} |" for name, pct, per in p["own"])
    cum = "\n".join(f"| {name} | {pct:.1f} % | {per:.1f} |" for name, pct, per in p["cumulative"])
    return f"""cProfile switched on for the middle of a SIPp run of {PROFILE_SECS} s at
{p['rate']}/s over UDP ({p['handled']:,} OPTIONS in the window): **{p['calls_per_request']:.0f}
function calls (Python and built-in) and {p['us_per_request']:.0f} µs per OPTIONS under the
profiler**, which inflates call-heavy code (compare the unprofiled µs/OPTIONS above). Shares
are of the time the SBC was busy (waiting in epoll left out); the rest of 100 % is the
asyncio event loop and the status writer.

| stage (cumulative: itself and what it calls) | share | calls per OPTIONS |
|---|---|---|
{stages}

| function (own time) | share | calls per OPTIONS |
|---|---|---|
{own}

<details><summary>The SBC's functions by cumulative share</summary>

| SBC function (cumulative) | share | calls per OPTIONS |
|---|---|---|
{cum}

</details>"""


def body(run: Run, versions: dict[str, str]) -> str:
    udp_sbc, udp_sbc_cpu = _best(run, "SBC udp")
    udp_kam, udp_kam_cpu = _best(run, "Kamailio udp")
    tls_sbc, tls_sbc_cpu = _best(run, "SBC tls")
    tls_kam, tls_kam_cpu = _best(run, "Kamailio tls")
    mem_rows = []
    for count in HOLD:
        mem_rows.append(
            f"| memory per idle mutual-TLS connection, {count:,} open | "
            f"{_mem(run, 'SBC', 'rss', count)} (VmRSS) | "
            f"{_mem(run, 'Kamailio', 'pss', count)} (Pss, all processes); "
            f"shm {_mem(run, 'Kamailio', 'shm', count)} |")
    kmem = run.memory.get("Kamailio", {}).get("baseline", {})
    smem = run.memory.get("SBC", {}).get("baseline", {})
    busy = run.busy_samples
    busy_text = (f"{min(busy):.0f}–{max(busy):.0f} % of a core (median "
                 f"{sorted(busy)[len(busy) // 2]:.0f} %)" if busy else "not sampled")
    idle_sbc = f"{smem.get('rss', 0) / 1024:.0f} MiB RSS"
    idle_kam = (f"{kmem.get('pss', 0) / 1024:.0f} MiB Pss over {kmem.get('processes', 0)} "
                "processes")
    workers = (f"UDP: {KAM_CHILDREN} workers; TLS: {KAM_TLS_CHILDREN} TCP/TLS worker "
               "(see Kamailio below)")
    counts = ", ".join(f"{c:,}" for c in HOLD)
    rmem_max = _read_int("/proc/sys/net/core/rmem_max")
    skipped = f"\n\nSkipped in this run: {', '.join(run.skipped)}." if run.skipped else ""
    if run.crashes:
        skipped += f"\n\nServer crashes in this run: {', '.join(run.crashes)}."
    return f"""
Command: `make bench` (runs `python -m benchmarks`), or this part alone:
`python -m benchmarks options` (about {MAX_SECS // 60} minutes at most; knobs in
`benchmarks/options.py`). Versions: OpenSBC {versions['sbc']} on Python {versions['python']},
Kamailio {versions['kamailio']}, SIPp {versions['sipp']}; TLS negotiated: {run.tls_version or '-'}.

| figure | OpenSBC | Kamailio |
|---|---|---|
| OPTIONS/s over UDP (highest passing step) | {udp_sbc} | {udp_kam} |
| server CPU per OPTIONS at that step, UDP | {udp_sbc_cpu} | {udp_kam_cpu} |
| OPTIONS/s over mutual TLS, {TLS_CONNS} persistent connections | {tls_sbc} | {tls_kam} |
| server CPU per OPTIONS at that step, TLS | {tls_sbc_cpu} | {tls_kam_cpu} |
{chr(10).join(mem_rows)}
| idle footprint before the connections | {idle_sbc} | {idle_kam} |
| processes answering | 1 (one asyncio event loop: one core at most) | {workers} |

How: one run on one machine ({NCPU} cores), each part with a fresh server, all on
127.0.0.1. **Load on the machine**: the machine is shared (other engineers' QEMU boot
tests run there); just before the steps, other work used {busy_text}; the per-step
figure is the "other tenants" column below. Expect tens of percent of run-to-run noise;
only the side-by-side figures of one run compare.

- **Rates**: the method of the shared peer harness (`run_peer_baseline.sh`): the rate
  doubles from a start value until a {STEP_SECS} s step fails, then two bisection steps.
  A step fails when failed requests reach 0.1 %, retransmissions (UDP) or answers later
  than 500 ms (TLS, where nothing is retransmitted) reach 1 %, or the achieved rate is
  under 95 % of the target. A step that failed while other tenants used more than half a
  core is retried once.
- **UDP**: SIPp (`benchmarks/data/uac_options.xml`, the harness's scenario: one OPTIONS,
  expects 200, retransmits after 500 ms) with 4 MB socket buffers.
- **TLS**: Debian's SIPp is built without TLS, so a small asyncio client
  (`benchmarks/sip_tls.py`) sends OPTIONS at a steady rate over {TLS_CONNS} persistent
  mutual-TLS connections (client certificate with its chain from a test CA; both servers
  require and verify it), matching answers by CSeq. The same client for both servers;
  its CPU is in the "generator" column.
- **Memory**: idle connections held open by that client, each having answered one
  OPTIONS; first 4 to warm up (closed again), then the baseline, then {counts} in
  all. KiB per connection = (memory with N open − baseline) / N. The SBC is one process:
  VmRSS (and Pss, in the log). Kamailio is {kmem.get('processes', 0)} processes sharing a
  preallocated shared-memory pool (`-m 512`, touched lazily; the TLS module allocates
  OpenSSL's state there): their Pss summed over all processes counts each shared page
  once; shm `real_used` (`kamcmd core.shmmem`) is its own allocator's count.
- **Kamailio**: `benchmarks/data/kamailio-options.cfg` (from the harness's
  kamailio-bench.cfg): stateless `options_reply()` with Contact and Allow appended, as the
  SBC's 200 has them; sources outside 127.0.0.0/8 dropped; `-n {KAM_CHILDREN}`; TLS with
  `verify_certificate` and `require_certificate` on (mutual TLS, like the SBC). Its TLS
  runs with {KAM_TLS_CHILDREN} TCP worker (`-A TCP_CHILDREN={KAM_TLS_CHILDREN}`): Debian 12's
  Kamailio 5.6.3 with OpenSSL 3 reports double frees in its tls module and then crashes
  when several TCP workers handshake (kamailio issue #3791, addressed in later versions
  by `tls_threads_mode`); this run's TLS figure is therefore one core's worth, like the
  SBC's one event loop.
- **SBC**: `sbc run` with one generic connection allowing 127.0.0.0/8, UDP and TLS
  listeners, no trace, no OPTIONS sent. Its UDP socket asks for a 4 MiB receive buffer
  (like Kamailio's `maxbuffer`); the kernel caps it at net.core.rmem_max ({rmem_max}
  here). With the default buffer (208 KiB) the SBC lost datagrams from about 2,000/s on
  whenever other work preempted it.{skipped}

<details><summary>Every step of this run</summary>

{steps_table(run)}

</details>

### Where the SBC's time goes (OPTIONS over UDP)

{profile_text(run)}

### What would raise the SBC's figures

{advice(run)}
"""


def advice(run: Run) -> str:
    p = run.profile
    calls = f"about {p['calls_per_request']:,.0f}" if p else "many hundreds of"
    stages = {name: pct for name, pct, _ in p.get("stages", [])} if p else {}

    def share(what: str) -> str:
        pct = stages.get(what)
        return f" ({pct:.0f} % of its time)" if pct is not None else ""

    counts = p.get("counts", {}) if p else {}
    via, uri = counts.get("via", 0.0), counts.get("uri", 0.0)
    lower, ips = counts.get("lower", 0.0), counts.get("ip", 0.0)
    kam = run.memory.get("Kamailio", {}).get("points", [])
    kam_conn = (f"{kam[-1]['pss_per_conn_kib']:.0f} KiB Pss" if kam and "pss_per_conn_kib"
                in kam[-1] else "not measured")
    mem = run.memory.get("SBC", {}).get("points", [])
    per_conn = f"{mem[-1]['rss_per_conn_kib']:.0f} KiB" if mem and "rss_per_conn_kib" in mem[-1] \
        else "about 300 KiB"
    return f"""The SBC answers each OPTIONS in one Python process with {calls} function calls:
it parses every header into objects{share("parse the datagram")}, validates the request as a
whole{share("validate the request")}, parsing the Via and the URIs again on the way ({via:.0f} Via
and {uri:.0f} URI parses per OPTIONS), looks headers up by scanning the list and lower-casing
every name on each lookup ({lower:.0f} `str.lower` calls per OPTIONS), parses the source
address again for the allowlist and the connection lookup ({ips:.0f} address parses per
OPTIONS), runs a server transaction
that lingers for Timer J (32 s over UDP) although OPTIONS needs no state, and builds the
200 from header objects{share("OPTIONS handler: build and send the 200")}. Kamailio parses
lazily in C and answers statelessly. What would raise the figure, roughly in order of gain
per effort: answer OPTIONS from allowed sources statelessly (no transaction: a
retransmission just gets another 200); index headers by canonical lower-case name once
at parse time instead of scanning; parse the top Via and the URIs once per message;
cache the allowlist decision and the matching connections per source address; skip the
whole-request validation for OPTIONS beyond what the 200 needs. Then more cores: one
event loop uses one core at most, so several `sbc` workers on one UDP port with
SO_REUSEPORT (the kernel spreads sources over them) would multiply the UDP figure on
the appliance's cores. Over TLS the per-message work is the same, plus OpenSSL, and
several messages may arrive in one read.

Memory per TLS connection ({per_conn} here) is mostly Python 3.11's asyncio SSL
transport, which allocates and zero-fills a 256 KiB read buffer per connection
(`asyncio.sslproto.SSLProtocol.max_size`), although a TLS record holds at most 16 KiB.
In a trial while this benchmark was written, an SBC with that size set to 17 KiB needed
63 KiB per connection instead of 302 KiB (500 idle connections); that is a one-line
knob for the SBC's TLS code (Kamailio in this run: {kam_conn} per connection)."""


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
        "sbc": _sbc_version(), "python": platform.python_version(),
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
        return lambda: KamailioServer(work / sub, run.pki, tcp_children=tcp_children)

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


def _read_int(path: str) -> str:
    try:
        return f"{int(Path(path).read_text().split()[0]):,} bytes"
    except (OSError, ValueError, IndexError):
        return "unknown"


def _sbc_version() -> str:
    try:
        from sbc import __version__
    except ImportError:
        return "unknown"
    return str(__version__)


