"""A real rsyslogd on loopback receives the SBC's registration line over UDP and TCP.

rsyslog writes every message twice: raw as it came off the wire, and re-assembled from
the fields its RFC 5424 parser found, which proves the header and structured data parse.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sbc.logs.events import EventLog
from sbc.logs.rfc5424 import format_rfc5424
from sbc.logs.sinks import UdpSink
from sbc.logs.stream import StreamSink

pytestmark = pytest.mark.peers

NOW = datetime(2024, 3, 1, 12, 0, 0, 250000, tzinfo=UTC)
WAIT = 15.0

CONFIG = """\
global(workDirectory="{dir}" maxMessageSize="8k")
module(load="imudp")
module(load="imtcp")
template(name="raw" type="string" string="%rawmsg%\\n")
template(name="fields" type="string"
         string="%pri% %hostname% %app-name% %procid% %msgid% %structured-data% %msg%\\n")
ruleset(name="sbc") {{
  action(type="omfile" file="{dir}/raw.log" template="raw")
  action(type="omfile" file="{dir}/fields.log" template="fields")
}}
input(type="imudp" address="127.0.0.1" port="{udp}" ruleset="sbc")
input(type="imtcp" address="127.0.0.1" port="{tcp}" ruleset="sbc")
"""


@dataclass(frozen=True)
class Rsyslog:
    udp_port: int
    tcp_port: int
    raw: Path
    fields: Path


def _free_port(kind: socket.SocketKind) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rsyslogd() -> str:
    path = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin:/sbin"
    found = shutil.which("rsyslogd", path=path)
    if found is None:
        pytest.skip("rsyslogd not installed (tools/host-deps test installs rsyslog)")
    return found


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines() if path.exists() else []


def _wait_for_line(path: Path, needle: bytes) -> bytes:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        for line in _lines(path):
            if needle in line:
                return line
        time.sleep(0.05)
    raise AssertionError(f"{needle!r} not in {path}: {_lines(path)!r}")


@pytest.fixture
def rsyslog(tmp_path: Path) -> Iterator[Rsyslog]:
    binary = _rsyslogd()
    udp, tcp = _free_port(socket.SOCK_DGRAM), _free_port(socket.SOCK_STREAM)
    conf = tmp_path / "rsyslog.conf"
    conf.write_text(CONFIG.format(dir=tmp_path, udp=udp, tcp=tcp))
    check = subprocess.run([binary, "-N1", "-f", str(conf)], capture_output=True, text=True,
                           timeout=30)
    assert check.returncode == 0, f"rsyslogd -N1 rejected the config:\n{check.stderr}"
    proc = subprocess.Popen(
        [binary, "-n", "-f", str(conf), "-i", str(tmp_path / "rsyslogd.pid")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        server = Rsyslog(udp, tcp, tmp_path / "raw.log", tmp_path / "fields.log")
        _wait_until_listening(proc, server)
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


def _wait_until_listening(proc: subprocess.Popen[bytes], server: Rsyslog) -> None:
    """TCP accepts and a UDP probe has been written: both inputs are up."""
    deadline = time.monotonic() + WAIT
    probe = b"<135>1 - - probe - - - ready"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                output = proc.stdout.read().decode() if proc.stdout else ""
                raise AssertionError(f"rsyslogd exited with {proc.returncode}:\n{output}")
            udp.sendto(probe, ("127.0.0.1", server.udp_port))
            try:
                socket.create_connection(("127.0.0.1", server.tcp_port), timeout=1).close()
            except OSError:
                time.sleep(0.05)
                continue
            if any(b"ready" in line for line in _lines(server.raw)):
                return
            time.sleep(0.05)
    raise AssertionError("rsyslogd did not start listening")


def _events(sink: UdpSink | StreamSink) -> EventLog:
    return EventLog([sink], hostname="sbc.example.com", procid="4242", clock=lambda: NOW)


def test_registration_over_udp(rsyslog: Rsyslog) -> None:
    async def main() -> bytes:
        events = _events(UdpSink("127.0.0.1", rsyslog.udp_port))
        await events.start()
        record = events.registration("telekom", True, status=200, expires=480,
                                     registrar="tel.t-online.de")
        await events.close()
        return format_rfc5424(record)

    sent = asyncio.run(main())
    raw = _wait_for_line(rsyslog.raw, b"telekom: registration succeeded")
    assert raw == sent
    fields = _wait_for_line(rsyslog.fields, b"REGISTER")
    assert fields == (
        b'134 sbc.example.com opensbc 4242 REGISTER [sbc@32473 conn="telekom" result="ok" '
        b'status="200" expires="480" registrar="tel.t-online.de"] '
        b"\xef\xbb\xbftelekom: registration succeeded, expires in 480 s"
    )


def test_registration_over_tcp(rsyslog: Rsyslog) -> None:
    async def main() -> bytes:
        sink = StreamSink("127.0.0.1", rsyslog.tcp_port)
        events = _events(sink)
        await events.start()
        record = events.registration("telekom", False, status=403, reason="Forbidden",
                                     retry_in=60)
        # The reason has characters that must be escaped inside structured data.
        tricky = events.tls_failure("52.114.1.1:5061", 'alert "bad_certificate" [42]',
                                    conn="Teams1", direction="out")
        await events.close()
        assert sink.stats().sent == 2
        return format_rfc5424(record) + b"\n" + format_rfc5424(tricky)

    sent = asyncio.run(main())
    raw = _wait_for_line(rsyslog.raw, b"telekom: registration failed")
    assert raw == sent.split(b"\n")[0]
    assert raw.endswith(b"telekom: registration failed (403 Forbidden), retrying in 60 s")
    fields = _wait_for_line(rsyslog.fields, b"TLS")
    assert fields.startswith(
        b'131 sbc.example.com opensbc 4242 TLS [sbc@32473 conn="Teams1" peer="52.114.1.1:5061" '
        b'dir="out" reason="alert \\"bad_certificate\\" [42\\]"] '
    )
