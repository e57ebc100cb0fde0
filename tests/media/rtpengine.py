"""A real rtpengine for tests: started as the test's own process, stopped afterwards.

    with Rtpengine(tmp_path) as engine:          # or the `rtpengine` fixture
        relay = MediaRelay("127.0.0.1", engine.ng_port)

Userspace forwarding on 127.0.0.1, a free ng port and a random free 2000-port RTP
window below the kernel's ephemeral range. Every wait is bounded; the process gets
SIGTERM, then SIGKILL. A missing binary fails the test (never a skip).
"""

from __future__ import annotations

import random
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import pytest

BINARY = "/usr/bin/rtpengine"
HOST = "127.0.0.1"
WINDOW = 2000
PORT_LOW, PORT_HIGH = 20000, 40000


def require_binary() -> str:
    path = BINARY if Path(BINARY).exists() else shutil.which("rtpengine")
    if not path:
        pytest.fail(f"{BINARY} is missing: install the Debian package rtpengine-daemon "
                    "(apt-get install rtpengine-daemon, or 'tools/host-deps test' as root)",
                    pytrace=False)
    return path


def free_udp_port(host: str = HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _ephemeral() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def free_port_window(size: int = WINDOW, host: str = HOST) -> tuple[int, int]:
    """(port_min, port_max): `size` ports that are all free for UDP right now, chosen at
    random in 20000-40000, outside the ephemeral range when the range leaves room."""
    eph_low, eph_high = _ephemeral()
    starts = [p for p in range(PORT_LOW, PORT_HIGH - size + 1, 2)
              if p + size <= eph_low or p > eph_high] or list(range(PORT_LOW, PORT_HIGH - size, 2))
    for _ in range(20):
        start = random.choice(starts)
        sockets: list[socket.socket] = []
        try:
            for port in range(start, start + size):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sockets.append(s)
                s.bind((host, port))
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
        return start, start + size - 1
    raise RuntimeError("no free window of UDP ports for rtpengine")


def ping(port: int, host: str = HOST, timeout: float = 0.2) -> bool:
    """One blocking ng ping (for readiness; the code under test uses MediaRelay)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        try:
            s.sendto(b"ready d7:command4:pinge", (host, port))
            return s.recv(200) == b"ready d6:result4:ponge"
        except OSError:
            return False


class Rtpengine:
    """One rtpengine process with its own ng port, RTP window and log file."""

    def __init__(self, workdir: Path, *, config_file: Path | None = None,
                 ng_port: int | None = None, ports: tuple[int, int] | None = None,
                 interface: str = HOST, timeout: int = 60,
                 extra_args: Sequence[str] = ()) -> None:
        self.binary = require_binary()
        self.workdir = workdir
        self.config_file = config_file
        self.ng_port = ng_port or free_udp_port()
        self.port_min, self.port_max = ports or free_port_window()
        self.interface = interface
        self.timeout = timeout
        self.extra_args = tuple(extra_args)
        self.log_path = workdir / f"rtpengine-{self.ng_port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def command(self) -> list[str]:
        if self.config_file is not None:
            args = [f"--config-file={self.config_file}", "--config-section=rtpengine"]
        else:
            args = [
                # not /etc/rtpengine/rtpengine.conf, which rtpengine reads by default: its
                # fixed listen-http/listen-cli ports would clash between parallel tests
                "--config-file=none",
                "--table=-1",
                f"--interface={self.interface}",
                f"--listen-ng={HOST}:{self.ng_port}",
                f"--port-min={self.port_min}",
                f"--port-max={self.port_max}",
                f"--timeout={self.timeout}",
            ]
        return [self.binary, *args, "--foreground", "--log-stderr", "--log-level=6",
                *self.extra_args]

    def start(self, wait: float = 10.0) -> Rtpengine:
        log = self.log_path.open("wb")
        try:
            self.proc = subprocess.Popen(self.command, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT)
        finally:
            log.close()
        deadline = time.monotonic() + wait
        while not ping(self.ng_port):
            if self.proc.poll() is not None:
                raise AssertionError(f"rtpengine exited with {self.proc.returncode}: "
                                     f"{' '.join(self.command)}\n{self.log()[-3000:]}")
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"rtpengine did not answer ping within {wait} s\n"
                                     f"{self.log()[-3000:]}")
            time.sleep(0.02)
        return self

    def stop(self, wait: float = 5.0) -> int | None:
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(wait)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(wait)
        return proc.returncode

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def __enter__(self) -> Rtpengine:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
