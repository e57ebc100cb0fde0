"""The processes of the calls benchmark and one load step (`python -m benchmarks calls`).

rtpengine (one per server under test, its own ng/CLI ports and RTP range), the SBC as a
B2BUA between two generic UDP connections ("Carrier" where SIPp calls from, "Pbx" where
the SIPp callee answers), Kamailio as a stateful proxy with its rtpengine module, the
SIPp callee, and `call_step`: SIPp calling at a rate for a few seconds, judged like the
shared peer harness's steps (/work/shared/bench/peers/run_peer_baseline.sh) plus, with
media, the share of the expected RTP that rtpengine relayed. Every process is a
`Started`: stopped by its PID, never by name.
"""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .report import ROOT
from .sip_ladder import FAIL_RATIO, RATE_RATIO, RETRANS_RATIO, Step
from .sip_procs import (
    HZ,
    Started,
    children,
    cpu_ticks,
    free_port,
    machine_ticks,
    pss_kib,
    rss_kib,
)
from .sip_servers import FQDN, kamailio_binary, kamcmd, sbc_command, sbc_env, wait_for
from .sip_sipp import last_stats, response_ms, sipp_binary

SCENARIOS = ROOT / "benchmarks" / "scenarios"
KAM_CFG = SCENARIOS / "kamailio-calls.cfg"
CALLED = "+4930123456789"  # the Request-URI's user: E.164, so the B2BUA can route it
PCMU_FILE = "calls_bench.pcmu"  # what SIPp's rtp_stream plays (cwd of both SIPps)
PTIME_MS = 20  # one RTP packet per 20 ms per direction
MEDIA_RATIO = 0.95  # a media step fails when rtpengine relayed less of the expected RTP


# RTP ports given to rtpengine (set by `calls`): no SIP or control port may fall inside,
# since rtpengine, Kamailio and SIPp bind with SO_REUSEADDR and would then share a port
# (the last one bound gets the datagrams: a stalled server, seen while writing this).
AVOID = (12000, 19999)


def port() -> int:
    """A free port outside AVOID (bounded tries)."""
    for _ in range(50):
        found = free_port()
        if not AVOID[0] <= found <= AVOID[1]:
            return found
    raise RuntimeError(f"no free port outside {AVOID[0]}-{AVOID[1]}")


def socket_drops(ports: set[int]) -> int:
    """Datagrams the kernel dropped on full receive buffers of the UDP sockets bound to
    `ports` on 127.0.0.1 (/proc/net/udp, last column; a closed socket's count is gone)."""
    total = 0
    try:
        lines = Path("/proc/net/udp").read_text().splitlines()[1:]
    except OSError:
        return 0
    for line in lines:
        cols = line.split()
        try:
            if int(cols[1].rsplit(":", 1)[1], 16) in ports:
                total += int(cols[-1])
        except (IndexError, ValueError):
            continue
    return total


def creation_rate(path: Path, n: int) -> float:
    """Calls/s SIPp actually started: n over the time it took to start the n-th call
    (interpolated between its 1 s statistics rows), so a hold time after the last
    call does not count; if it never started n, what it started over its run time."""
    try:
        rows = list(csv.reader(path.read_text(errors="replace").splitlines(), delimiter=";"))
    except OSError:
        return 0.0
    if len(rows) < 2:
        return 0.0
    head = rows[0]
    try:
        i_now, i_start = head.index("CurrentTime"), head.index("StartTime")
        i_out = head.index("OutgoingCall(C)")
    except ValueError:
        return 0.0

    def stamp(value: str) -> float:
        return float(value.split("\t")[-1])

    prev_t, prev_c = 0.0, 0
    elapsed, created = 0.0, 0
    for row in rows[1:]:
        try:
            elapsed = stamp(row[i_now]) - stamp(row[i_start])
            created = int(row[i_out])
        except (IndexError, ValueError):
            continue
        if created >= n:
            t_n = prev_t + (n - prev_c) * (elapsed - prev_t) / max(created - prev_c, 1)
            return n / t_n if t_n > 0 else 0.0
        prev_t, prev_c = elapsed, created
    return created / elapsed if elapsed > 0 else 0.0


def write_pcmu(directory: Path) -> Path:
    """One second of G.711 u-law silence (160-byte frames), looped by rtp_stream."""
    path = directory / PCMU_FILE
    path.write_bytes(b"\xff" * 8000)
    return path


# -- rtpengine ----------------------------------------------------------------------------


def rtpengine_version() -> str:
    try:
        out = subprocess.run(["rtpengine", "--version"], capture_output=True, text=True,
                             timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "not installed"
    words = (out.stdout + out.stderr).split()
    return words[-1] if words else "unknown"


class Rtpengine:
    """rtpengine in userspace on 127.0.0.1, with its own ng and CLI ports."""

    def __init__(self, work: Path, port_min: int, port_max: int) -> None:
        self.work = work
        self.ng_port = port()
        self.cli_port = port()
        self.port_min, self.port_max = port_min, port_max
        self.proc: Started | None = None

    def start(self) -> Rtpengine:
        self.work.mkdir(parents=True, exist_ok=True)
        args = ["rtpengine", "--config-file=none", "--table=-1", "--foreground",
                "--log-stderr", "--log-level=4", "--interface=127.0.0.1",
                f"--listen-ng=127.0.0.1:{self.ng_port}",
                f"--listen-cli=127.0.0.1:{self.cli_port}",
                f"--port-min={self.port_min}", f"--port-max={self.port_max}",
                "--timeout=60", "--delete-delay=0"]
        self.proc = Started("rtpengine", args, self.work / "rtpengine.log")
        proc = self.proc
        if not wait_for(lambda: self.totals() or not proc.alive(), 10, 0.1):
            self.stop()
            raise RuntimeError("rtpengine did not answer on its CLI port within 10 s")
        return self

    def cli(self, command: str) -> str:
        try:
            with socket.create_connection(("127.0.0.1", self.cli_port), timeout=3) as s:
                s.sendall(command.encode() + b"\n")
                chunks = []
                while True:
                    data = s.recv(65536)
                    if not data:
                        break
                    chunks.append(data)
        except OSError:
            return ""
        return b"".join(chunks).decode(errors="replace")

    def totals(self) -> dict[str, float]:
        """`list totals`: e.g. {"Total relayed packets": 3971, "Owned sessions": 0}."""
        out: dict[str, float] = {}
        for line in self.cli("list totals").splitlines():
            key, sep, value = line.partition(":")
            if not sep:
                continue
            try:
                out[key.strip()] = float(value.split()[0])
            except (ValueError, IndexError):
                continue
        return out

    def relayed(self) -> int:
        """RTP packets relayed by calls that have ended (rtpengine counts at deletion)."""
        return int(self.totals().get("Total relayed packets", 0))

    def sessions(self) -> int:
        return int(self.totals().get("Owned sessions", -1))

    def pids(self) -> list[int]:
        return [self.proc.pid] if self.proc is not None else []

    def alive(self) -> bool:
        return self.proc is not None and self.proc.alive()

    def control_ports(self) -> tuple[int, ...]:
        return (self.ng_port,)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()
            self.proc = None


# -- the servers under test ---------------------------------------------------------------


class CallServer:
    name = ""
    port = 0
    proc: Started | None = None

    def pids(self) -> list[int]:
        raise NotImplementedError

    def memory(self) -> dict[str, int]:
        raise NotImplementedError

    def transactions(self) -> int | None:
        raise NotImplementedError

    def alive(self) -> bool:
        return self.proc is not None and self.proc.alive()

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()
            self.proc = None


class SbcB2bua(CallServer):
    """`sbc run`: Carrier (the SIPp caller's address) routed to Pbx (the SIPp callee),
    both `profile: generic` over UDP, no OPTIONS, media through `rtpe`."""

    name = "SBC"

    def __init__(self, work: Path, pki_dir: Path, rtpe: Rtpengine, *, caller_port: int,
                 callee_port: int, max_calls: int) -> None:
        self.work = work
        self.pki_dir = pki_dir
        self.rtpe = rtpe
        self.port = port()
        self.caller_port = caller_port
        self.callee_port = callee_port
        self.max_calls = max_calls

    def config_text(self) -> str:
        pki = self.pki_dir

        def conn(name: str, port: int) -> str:
            return (f"  - name: {name}\n    profile: generic\n    host: 127.0.0.1\n"
                    f"    port: {port}\n    transport: udp\n    options: false\n"
                    "    allowlist: [127.0.0.1/32]\n")

        return (
            "sbc:\n"
            f"  fqdn: {FQDN}\n"
            "  public_ip: 127.0.0.1\n"
            "  listen:\n"
            f"    - {{transport: udp, address: 127.0.0.1, port: {self.port}}}\n"
            "  options_interval: 60\n"
            f"  tls: {{cert: {pki / 'server.crt'}, key: {pki / 'server.key'}, "
            f"ca_bundle: {pki / 'ca.pem'}}}\n"
            "connections:\n"
            + conn("Carrier", self.caller_port) + conn("Pbx", self.callee_port)
            + "routes:\n  - {from: Carrier, to: Pbx}\n  - {from: Pbx, to: Carrier}\n"
            f"media: {{rtpengine: 127.0.0.1:{self.rtpe.ng_port}, "
            f"port_min: {self.rtpe.port_min}, port_max: {self.rtpe.port_max}}}\n"
            f"calls: {{max_calls: {self.max_calls}}}\n"
        )

    @property
    def status_file(self) -> Path:
        return self.work / "run" / "status.json"

    def start(self) -> SbcB2bua:
        self.work.mkdir(parents=True, exist_ok=True)
        config = self.work / "sbc.yaml"
        config.write_text(self.config_text())
        self.status_file.unlink(missing_ok=True)
        args = [*sbc_command(), "run", "--config", str(config), "--run-dir",
                str(self.work / "run")]
        self.proc = Started("sbc", args, self.work / "sbc.log", env=sbc_env(), cwd=ROOT)
        proc = self.proc
        if not wait_for(lambda: self.status_file.exists() or not proc.alive(), 20):
            self.stop()
            raise RuntimeError("the SBC did not write its status file within 20 s")
        if not proc.alive():
            raise RuntimeError(f"sbc run exited:\n{proc.tail()}")
        return self

    def pids(self) -> list[int]:
        return [self.proc.pid] if self.proc is not None else []

    def memory(self) -> dict[str, int]:
        return {"rss": rss_kib(self.pids()), "pss": pss_kib(self.pids())}

    def status(self) -> dict[str, Any]:
        """The status file (rewritten every 2 s); {} while it is being replaced."""
        try:
            status = json.loads(self.status_file.read_text())
        except (OSError, ValueError):
            return {}
        return status if isinstance(status, dict) else {}

    def calls(self) -> dict[str, Any]:
        """The status file's call counters: attempted, answered, active, failed, ..."""
        counters = self.status().get("calls", {}).get("counters", {})
        return counters if isinstance(counters, dict) else {}

    def transactions(self) -> int | None:
        """SIP transactions alive (the status file's engine.transactions)."""
        value = self.status().get("engine", {}).get("transactions")
        return value if isinstance(value, int) else None

    def log_problems(self) -> list[str]:
        """Lines of its log at WARNING or worse (it logs nothing else without -v)."""
        text = self.proc.tail(200_000) if self.proc is not None else ""
        return [ln for ln in text.splitlines() if ln.strip()]


class KamailioProxy(CallServer):
    """Kamailio with benchmarks/scenarios/kamailio-calls.cfg (tm + rr; with `rtpe`, its
    rtpengine module anchors every call's SDP)."""

    name = "Kamailio"

    def __init__(self, work: Path, rtpe: Rtpengine | None, *, callee_port: int,
                 children_: int) -> None:
        self.work = work
        self.rtpe = rtpe
        self.port = port()
        self.callee_port = callee_port
        self.children = children_
        self.ctl = f"unix:{work / 'kamailio_ctl'}"

    def kamcmd(self, *args: str) -> str:
        return kamcmd(self.ctl, *args)

    def start(self) -> KamailioProxy:
        binary = kamailio_binary()
        if binary is None:
            raise RuntimeError("kamailio is not installed (Debian package kamailio)")
        self.work.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, KAM_LISTEN=f"udp:127.0.0.1:{self.port}",
                   KAM_UAS=f"sip:127.0.0.1:{self.callee_port}", KAM_CTL=self.ctl,
                   KAM_RTPE=f"udp:127.0.0.1:{self.rtpe.ng_port if self.rtpe else 9}")
        args = [binary, "-f", str(KAM_CFG), "-DD", "-E", "-m", "1024", "-M", "16",
                "-n", str(self.children), "-P", str(self.work / "kamailio.pid")]
        if self.rtpe is not None:
            args += ["-A", "WITH_RTPENGINE"]
        self.proc = Started("kamailio", args, self.work / "kamailio.log", env=env,
                            cwd=self.work)
        proc = self.proc
        if not wait_for(lambda: self.kamcmd("core.uptime") or not proc.alive(), 15, 0.2):
            self.stop()
            raise RuntimeError("kamailio did not come up within 15 s")
        if not proc.alive():
            raise RuntimeError(f"kamailio exited:\n{proc.tail()}")
        time.sleep(0.5)
        return self

    def pids(self) -> list[int]:
        return [self.proc.pid, *children(self.proc.pid)] if self.proc is not None else []

    def transactions(self) -> int | None:
        """tm's transactions alive (`kamcmd tm.stats` current)."""
        for line in self.kamcmd("tm.stats").splitlines():
            if line.strip().startswith("current:"):
                return int(line.split(":")[1].strip().rstrip(","))
        return None

    def shm_used_kib(self) -> int:
        for line in self.kamcmd("core.shmmem").splitlines():
            if "real_used:" in line:
                return int(line.split(":")[1].strip().rstrip(",")) // 1024
        return 0

    def memory(self) -> dict[str, int]:
        pids = self.pids()
        return {"rss": rss_kib(pids), "pss": pss_kib(pids), "shm": self.shm_used_kib(),
                "processes": len(pids)}

    def log_problems(self) -> list[str]:
        text = self.proc.tail(200_000) if self.proc is not None else ""
        return [ln for ln in text.splitlines() if "ERROR" in ln or "CRITICAL" in ln]


# -- SIPp ---------------------------------------------------------------------------------

SIPP_COMMON = ("-i", "127.0.0.1", "-nostdin", "-skip_rlimit", "-buff_size", "4194304",
               "-default_behaviors", "all,-abortunexp", "-max_log_size", "1000000")


def start_callee(work: Path, port: int, *, media: bool, tag: str) -> Started:
    """The SIPp callee (PBX side) for a whole part; stopped by its PID at the end."""
    binary = sipp_binary()
    if binary is None:
        raise RuntimeError("sipp is not installed (Debian package sip-tester)")
    scenario = SCENARIOS / ("calls_uas_media.xml" if media else "calls_uas.xml")
    args = [binary, "-sf", str(scenario), "-p", str(port), *SIPP_COMMON,
            "-trace_err", "-error_file", str(work / f"uas_{tag}_errors.log")]
    proc = Started("sipp-uas", args, work / f"uas_{tag}.log", cwd=work)
    time.sleep(0.3)
    if not proc.alive():
        raise RuntimeError(f"the SIPp callee exited:\n{proc.tail()}")
    return proc


@dataclass
class CallStep(Step):
    """A load step of calls; `Step` plus the CPU of rtpengine and of both SIPps, and the
    RTP rtpengine relayed (media steps)."""

    hold_ms: int = 0
    media: bool = False
    rtpe_cpu_pct: float = 0.0
    callee_cpu_pct: float = 0.0
    rtp_expected: int = 0
    rtp_relayed: int = 0
    busy_before: float = 0.0  # other tenants' CPU just before the step, % of a core
    server_problems: list[str] = field(default_factory=list)

    @property
    def rtp_pct(self) -> float:
        return 100.0 * self.rtp_relayed / self.rtp_expected if self.rtp_expected else 0.0

    @property
    def rtpe_us_per_call(self) -> float:
        rate = min(self.achieved, float(self.target))
        return 1e4 * self.rtpe_cpu_pct / rate if rate > 0 else 0.0

    def judge(self) -> str:
        n = max(self.sent, 1)
        if self.failed >= FAIL_RATIO * n or self.sent == 0:
            self.verdict = "FAIL(failed)"
        elif self.retrans >= RETRANS_RATIO * n:
            self.verdict = "FAIL(retrans)"
        elif self.achieved < RATE_RATIO * self.target:
            self.verdict = "FAIL(rate)"
        elif self.media and self.rtp_relayed < MEDIA_RATIO * self.rtp_expected:
            self.verdict = "FAIL(media)"
        else:
            self.verdict = "PASS"
        return self.verdict

    def row(self) -> str:
        media = f" rtp {self.rtp_pct:5.1f}%" if self.media else ""
        return (f"{self.label:<22} {self.target:>6} {self.achieved:>8.0f} {self.ok:>7} "
                f"{self.failed:>5} {self.retrans:>6} {self.rtt_ms:>6.1f} "
                f"{self.server_cpu_pct:>5.0f} {self.us_per_request:>6.0f} "
                f"{self.rtpe_cpu_pct:>5.0f} {self.client_cpu_pct:>5.0f} "
                f"{self.callee_cpu_pct:>5.0f} {self.background_pct:>6.0f} {self.udp_drops:>6}"
                f"{media} {self.verdict}{(' ' + self.note) if self.note else ''}")


CALL_HEADER = (f"{'step':<22} {'target':>6} {'achieved':>8} {'ok':>7} {'fail':>5} "
               f"{'retr':>6} {'rt_ms':>6} {'srv%':>5} {'us/cl':>6} {'rtpe%':>5} "
               f"{'uac%':>5} {'uas%':>5} {'other%':>6} {'drops':>6} verdict")


def call_step(label: str, dest: str, rate: int, secs: float, work: Path, *,
              server: CallServer, rtpe: Rtpengine | None, callee: Started,
              caller_port: int, callee_port: int, hold_ms: int = 0,
              media: bool = False) -> CallStep:
    """`rate` calls/s for `secs` s from the SIPp caller at `dest`; a judged CallStep.

    CPU is read over the steady window (2 s after the start to 1 s before the planned
    end). A passing step ends right after its last call; an overloaded one is cut off 8 s
    after the planned end (SIPp's 5 s receive timeout fails what is still open)."""
    binary = sipp_binary()
    if binary is None:
        raise RuntimeError("sipp is not installed (Debian package sip-tester)")
    n = max(1, int(rate * secs))
    stem = f"{label.replace(' ', '_')}_{rate}"
    stats = work / f"{stem}.csv"
    stats.unlink(missing_ok=True)
    scenario = SCENARIOS / ("calls_uac_media.xml" if media else "calls_uac.xml")
    args = [binary, dest, "-sf", str(scenario), "-s", CALLED, "-p", str(caller_port),
            *SIPP_COMMON, "-r", str(rate), "-rp", "1000", "-m", str(n), "-l", str(n),
            "-d", str(hold_ms), "-recv_timeout", "5000",
            "-timeout", f"{int(secs + hold_ms / 1000) + 25}s", "-max_recv_loops", "10000",
            "-trace_stat", "-stf", str(stats), "-fd", "1",
            "-trace_err", "-error_file", str(work / f"{stem}_errors.log")]
    sip_ports = {caller_port, callee_port, server.port,
                 *(rtpe.control_ports() if rtpe else ())}
    drops0 = socket_drops(sip_ports)
    relayed0 = rtpe.relayed() if (rtpe is not None and media) else 0
    with (work / f"{stem}.out").open("wb") as out:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, cwd=work)
    started = time.monotonic()
    step = CallStep(label=label, target=rate, sent=n, hold_ms=hold_ms, media=media)
    groups: dict[str, list[int]] = {}
    try:
        lead = min(2.0, secs * 0.3)
        time.sleep(lead)
        groups = {"server": server.pids(), "rtpe": rtpe.pids() if rtpe else [],
                  "uac": [proc.pid], "uas": [callee.pid]}
        t0 = {k: cpu_ticks(v) for k, v in groups.items()}
        m0, w0 = machine_ticks(), time.monotonic()
        time.sleep(max(0.5, secs - lead - 1.0))
        t1 = {k: cpu_ticks(v) for k, v in groups.items()}
        m1, wall = machine_ticks(), time.monotonic() - w0
        pct = {k: 100.0 * (t1[k] - t0[k]) / HZ / wall for k in groups}
        machine = 100.0 * (m1[0] - m0[0]) / HZ / wall
        step.server_cpu_pct, step.rtpe_cpu_pct = pct["server"], pct["rtpe"]
        step.client_cpu_pct, step.callee_cpu_pct = pct["uac"], pct["uas"]
        step.background_pct = max(0.0, machine - sum(pct.values()))
        try:
            proc.wait(timeout=max(1.0, started + secs + hold_ms / 1000 + 8 - time.monotonic()))
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
    time.sleep(0.3)
    row = last_stats(stats)
    step.ok = int(row.get("SuccessfulCall(C)", 0) or 0)
    step.failed = n - step.ok  # failed, timed out, or never completed
    step.retrans = int(row.get("Retransmissions(C)", 0) or 0)
    step.achieved = creation_rate(stats, n)
    step.rtt_ms = response_ms(row.get("ResponseTime1(C)", ""))
    step.udp_drops = socket_drops(sip_ports) - drops0
    if media and rtpe is not None:
        # both directions stream from the ACK to the BYE: hold / ptime packets each
        step.rtp_expected = step.ok * 2 * (hold_ms // PTIME_MS)
        step.rtp_relayed = rtpe.relayed() - relayed0
    if not row:
        step.note = f"(no SIPp statistics; see {work / (stem + '.out')})"
    step.judge()
    return step
