"""A real rsyslogd on loopback (UDP) writing what it receives to a file.

The same setup as tests/logs/test_rsyslog.py (which keeps its fixture inside its test
module); kept small here so the peers suite does not depend on another suite's module.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from .sbcproc import free_port, wait_until

CONFIG = """\
global(workDirectory="{dir}" maxMessageSize="8k")
module(load="imudp")
template(name="raw" type="string" string="%rawmsg%\\n")
ruleset(name="sbc") {{
  action(type="omfile" file="{dir}/raw.log" template="raw")
}}
input(type="imudp" address="127.0.0.1" port="{udp}" ruleset="sbc")
"""


@dataclass(frozen=True)
class Rsyslog:
    port: int
    raw: Path

    def lines(self) -> list[str]:
        return self.raw.read_text(errors="replace").splitlines() if self.raw.exists() else []

    def wait_for(self, needle: str, timeout: float = 15.0) -> str:
        def found() -> str | None:
            return next((line for line in self.lines() if needle in line), None)

        return str(wait_until(found, timeout, f"{needle!r} in {self.raw}"))


@contextmanager
def rsyslogd(directory: Path) -> Iterator[Rsyslog]:
    search = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin:/sbin"
    binary = shutil.which("rsyslogd", path=search)
    if binary is None:
        pytest.skip("rsyslogd not installed (tools/host-deps test installs rsyslog)")
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port(socket.SOCK_DGRAM)
    conf = directory / "rsyslog.conf"
    conf.write_text(CONFIG.format(dir=directory, udp=port))
    proc = subprocess.Popen(
        [binary, "-n", "-f", str(conf), "-i", str(directory / "rsyslogd.pid")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    server = Rsyslog(port, directory / "raw.log")
    try:
        deadline = time.monotonic() + 15
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            while not any("ready" in line for line in server.lines()):
                if proc.poll() is not None or time.monotonic() > deadline:
                    out = proc.stdout.read().decode() if proc.stdout else ""
                    raise AssertionError(f"rsyslogd did not start ({proc.returncode}):\n{out}")
                probe.sendto(b"<135>1 - - probe - - - ready", ("127.0.0.1", port))
                time.sleep(0.05)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
