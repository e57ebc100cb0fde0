"""Run the real `sbc run` in a subprocess with a generated config, and talk to SIPp.

Everything is bounded: every wait has a deadline, every process is stopped in a
finalizer (SIGTERM, then SIGKILL), and each test gets fresh ports and folders.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sbc.certs.testpki import LabCA
from sbc.status.schema import problems as schema_problems

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = Path(__file__).resolve().parent / "scenarios"
FQDN = "sbc.lab.test"
TEAMS = ("sip.pstnhub.microsoft.com", "sip2.pstnhub.microsoft.com", "sip3.pstnhub.microsoft.com")
AUTH_USER = "555123456789"
LINE = "+4930123456780"
PASSWORD = "lab-secret"


# Listening ports come from below the kernel's ephemeral range (32768-60999 here): a port
# the kernel hands out for bind(0) may be taken by any process's next outgoing connection
# between our pick and the peer's bind (seen: EADDRINUSE on a relay under load). Below
# rtpengine's RTP windows too (20000-32767, tests/media/rtpengine.py).
PORT_RANGE = (10000, 19999)
_handed_out: set[int] = set()


def free_port(kind: socket.SocketKind = socket.SOCK_STREAM, host: str = "127.0.0.1") -> int:
    """A port free for both TCP and UDP right now, never handed out before in this run."""
    for _ in range(200):
        port = random.randint(*PORT_RANGE)
        if port in _handed_out:
            continue
        try:
            for each in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                with socket.socket(socket.AF_INET, each) as sock:
                    sock.bind((host, port))
        except OSError:
            continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port in {PORT_RANGE}")


def wait_until(predicate: Callable[[], object], timeout: float, what: str,
               interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


@dataclass
class Pki:
    directory: Path
    ca: Path
    sbc_cert: Path
    sbc_key: Path
    peers: dict[str, tuple[Path, Path]] = field(default_factory=dict)
    authority: LabCA | None = None  # signs further certificates (e.g. a CSR made later)


def make_pki(directory: Path) -> Pki:
    ca = LabCA("OpenSBC Peers Test")
    ca.write_root(directory / "ca.pem")
    sbc = ca.write(directory, ca.issue(FQDN), stem="sbc")
    pki = Pki(directory, directory / "ca.pem", sbc.cert, sbc.key, authority=ca)
    for name in TEAMS:
        files = ca.write(directory / "peers", ca.issue(name))
        pki.peers[name] = (files.cert, files.key)
    return pki


@dataclass
class Ports:
    udp: int
    tcp: int
    tls: int

    @classmethod
    def fresh(cls) -> Ports:
        same = free_port()
        return cls(udp=same, tcp=same, tls=free_port())


def sbc_yaml(
    pki: Pki,
    ports: Ports,
    *,
    connections: str = "",
    hosts: dict[str, str] | None = None,
    extra: str = "",
    options_interval: int = 10,
    public_ip: str = "127.0.0.1",
) -> str:
    host_lines = "".join(f"  {name}: {addr}\n" for name, addr in (hosts or {}).items())
    return (
        "sbc:\n"
        f"  fqdn: {FQDN}\n"
        f"  public_ip: {public_ip}\n"
        "  listen:\n"
        f"    - {{transport: udp, address: 127.0.0.1, port: {ports.udp}}}\n"
        f"    - {{transport: tcp, address: 127.0.0.1, port: {ports.tcp}}}\n"
        f"    - {{transport: tls, address: 127.0.0.1, port: {ports.tls}}}\n"
        f"  options_interval: {options_interval}\n"
        f"  tls: {{cert: {pki.sbc_cert}, key: {pki.sbc_key}, ca_bundle: {pki.ca}}}\n"
        + (f"connections:\n{connections}" if connections else "connections: []\n")
        + (f"hosts:\n{host_lines}" if host_lines else "")
        + extra
    )


def sbc_command() -> list[str]:
    venv = REPO / ".venv" / "bin" / "sbc"
    if venv.exists():
        return [str(venv)]
    return [sys.executable, "-m", "sbc.cli"]


class SbcProcess:
    """`sbc run` with a config in `workdir`; `status()` reads its status file."""

    def __init__(self, workdir: Path, config_text: str, *, options_interval: float | None = None,
                 extra_args: Sequence[str] = ()) -> None:
        self.workdir = workdir
        self.config = workdir / "sbc.yaml"
        self.config.write_text(config_text)
        self.run_dir = workdir / "run"
        self.log = workdir / "sbc.log"
        self.options_interval = options_interval
        self.extra_args = list(extra_args)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def status_file(self) -> Path:
        return self.run_dir / "status.json"

    def start(self, timeout: float = 15.0) -> SbcProcess:
        args = [*sbc_command(), "run", "--config", str(self.config), "--run-dir",
                str(self.run_dir), "-v", "--status-interval", "0.3", *self.extra_args]
        if self.options_interval is not None:
            args += ["--options-interval", str(self.options_interval)]
        env = dict(os.environ, PYTHONPATH=str(REPO / "appliance"), PYTHONUNBUFFERED="1")
        env.pop("JOURNAL_STREAM", None)
        with self.log.open("wb") as out:
            proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env,
                                    cwd=self.workdir)
        self.proc = proc
        wait_until(lambda: self.status_file.exists() or proc.poll() is not None,
                   timeout, "the SBC's status file")
        if proc.poll() is not None:
            raise AssertionError(f"sbc run exited with {proc.returncode}:\n{self.output()}")
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def status(self) -> dict[str, Any]:
        """status.json, checked against its schema (`sbc.status.schema`) on every read."""
        for _ in range(20):  # the file is replaced atomically, but may be absent briefly
            try:
                doc: dict[str, Any] = json.loads(self.status_file.read_text())
            except (FileNotFoundError, ValueError):
                time.sleep(0.05)
                continue
            wrong = schema_problems(doc)
            assert not wrong, "status.json does not fit sbc.status.schema:\n" + "\n".join(wrong)
            return doc
        raise AssertionError(f"no status file at {self.status_file}")

    def connection(self, name: str) -> dict[str, Any]:
        for conn in self.status()["connections"]:
            if conn["name"] == name:
                return conn
        raise KeyError(name)

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 10.0) -> int:
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=timeout)
        return self.proc.returncode

    def cli(self, *args: str, timeout: float = 20.0) -> subprocess.CompletedProcess[str]:
        """Another `sbc` command against this SBC's run dir."""
        env = dict(os.environ, PYTHONPATH=str(REPO / "appliance"))
        return subprocess.run([*sbc_command(), *args], capture_output=True, text=True,
                              timeout=timeout, env=env)


def sipp_binary() -> str:
    found = shutil.which("sipp")
    if found is None:
        pytest.skip("sipp not installed (tools/host-deps test installs sip-tester)")
    return found


class Sipp:
    """One SIPp process with `-nostdin`, its logs in `workdir`, a hard timeout."""

    def __init__(self, workdir: Path, name: str, scenario: str, args: Iterable[str],
                 *, timeout: float = 20.0) -> None:
        self.workdir = workdir / name
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.timeout = timeout
        self.args = [
            sipp_binary(), "-sf", str(SCENARIOS / scenario), "-nostdin", "-trace_err",
            "-trace_msg", "-trace_logs", "-timeout", f"{int(timeout)}s", "-timeout_error",
            *args,
        ]
        self.out = self.workdir / "stdout.txt"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Sipp:
        with self.out.open("wb") as out:
            self.proc = subprocess.Popen(self.args, stdout=out, stderr=subprocess.STDOUT,
                                         cwd=self.workdir)
        return self

    def wait(self, timeout: float | None = None) -> int:
        assert self.proc is not None
        try:
            return self.proc.wait(timeout=timeout or self.timeout + 5)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"sipp {self.name} did not finish\n{self.report()}") from None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def report(self) -> str:
        """The errors and the last messages, for assertion messages."""
        parts = [f"$ {' '.join(self.args)}"]
        for pattern in ("*_errors.log", "*_logs.log", "*_messages.log"):
            for path in sorted(self.workdir.glob(pattern)):
                text = path.read_text(errors="replace")
                parts.append(f"--- {path.name}\n{text[-4000:]}")
        return "\n".join(parts)

    def messages(self) -> str:
        return "\n".join(p.read_text(errors="replace")
                         for p in sorted(self.workdir.glob("*_messages.log")))
