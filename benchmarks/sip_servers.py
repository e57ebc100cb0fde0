"""The servers under test, shared by the benchmarks: a lab PKI, the SBC (`sbc run`) and
Kamailio answering OPTIONS, each started as a `Started` on 127.0.0.1 with free ports
and stopped by its PID, plus what the calls benchmark's own servers reuse (how to run
the SBC, where Kamailio is, waiting for a server to come up, the versions).

Memory readings: the SBC's VmRSS and Pss (one process); Kamailio's summed over all of its
processes (its shared-memory pool counted once in Pss) and its shm `real_used`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .report import ROOT
from .sip_procs import Started, children, free_port, pss_kib, rss_kib
from .sip_sipp import DATA

FQDN = "sbc.lab.test"
CLIENT_NAME = "bench.client.test"
OPTIONS_KAM_CFG = DATA / "kamailio-options.cfg"


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


def wait_for(predicate: Callable[[], object], timeout: float, interval: float = 0.1) -> bool:
    """Polls `predicate` until it is true or `timeout` seconds passed (then once more)."""
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


def sbc_version() -> str:
    try:
        from sbc import __version__
    except ImportError:
        return "unknown"
    return str(__version__)


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
            # the memory part holds 1,000 connections from one client address, more than
            # the per-source cap of 64 allows by default
            "  limits: {max_connections: 4096, max_connections_per_source: 4096}\n"
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
        if not wait_for(lambda: status.exists() or not proc.alive(), 20):
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


def kamcmd(ctl: str, *args: str) -> str:
    """A kamcmd query to the Kamailio at control socket `ctl`; "" when it fails."""
    try:
        out = subprocess.run(["kamcmd", "-s", ctl, *args], capture_output=True,
                             text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout if out.returncode == 0 else ""


class KamailioServer(Server):
    """Kamailio with benchmarks/data/kamailio-options.cfg: UDP and, when the tls module
    is installed (kamailio-tls-modules), mutual TLS with the same certificate and CA.
    `children` UDP workers (the OPTIONS benchmark passes its BENCH_KAM_CHILDREN)."""

    name = "Kamailio"

    def __init__(self, work: Path, pki: Pki, *, children: int = 4,
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
        return kamcmd(self.ctl, *args)

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
        args = [binary, "-f", str(OPTIONS_KAM_CFG), "-DD", "-E", "-m", "512", "-M", "16",
                "-n", str(self.children), "-P", str(self.work / "kamailio.pid")]
        if self.with_tls:
            args += ["-A", "WITH_TLS"]
        if self.tcp_children is not None:
            args += ["-A", f"TCP_CHILDREN={self.tcp_children}"]
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
