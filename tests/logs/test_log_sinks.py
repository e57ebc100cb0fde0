"""Datagram sinks on loopback: UDP to a test socket, the local sink to a test unix socket."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sbc.logs.events import EventLog
from sbc.logs.factory import build_sinks
from sbc.logs.settings import SyslogSettings
from sbc.logs.sinks import LocalSink, UdpSink
from sbc.logs.stream import StreamSink

NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_udp_one_datagram_per_message(host: str) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as server:
        server.bind((host, 0))
        server.settimeout(5)
        port = server.getsockname()[1]

        async def main() -> None:
            events = EventLog([UdpSink(host, port)], hostname="sbc.example.com", procid="1",
                              clock=lambda: NOW)
            await events.start()
            events.registration("telekom", True, expires=480)
            events.options_status("Teams1", True, "200 OK", 23)
            assert events.stats()[0].sent == 2
            await events.close()

        asyncio.run(main())
        first = server.recv(65535)
        second = server.recv(65535)
    assert first.startswith(
        b"<134>1 2024-03-01T12:00:00.000000Z sbc.example.com opensbc 1 REGISTER ")
    assert first.endswith(b"telekom: registration succeeded, expires in 480 s")
    assert b'[sbc@32473 conn="Teams1" status="up"' in second


def test_udp_to_a_closed_port_never_raises() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends

    async def main() -> UdpSink:
        sink = UdpSink("127.0.0.1", port)
        events = EventLog([sink], clock=lambda: NOW)
        await events.start()
        for _ in range(5):
            events.dropped_source("192.0.2.1", 1)
            await asyncio.sleep(0.01)  # let the ICMP errors come back
        await events.close()
        return sink

    sink = asyncio.run(main())
    assert sink.sent + sink.dropped == 5
    assert sink.stats().name == f"udp:127.0.0.1:{port}"


def test_unstarted_udp_sink_counts_drops() -> None:
    sink = UdpSink("127.0.0.1", 514)
    EventLog([sink], clock=lambda: NOW).registration("x", True)
    assert (sink.sent, sink.dropped) == (0, 1)


def test_local_sink_writes_the_syslog3_format(tmp_path: Path) -> None:
    path = tmp_path / "log"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(path))
        server.settimeout(5)
        events = EventLog([LocalSink(str(path))], procid="99", clock=lambda: NOW)
        asyncio.run(events.start())
        events.options_status("Teams1", False)
        data = server.recv(65535)
    assert data.startswith(b"<132>")
    assert data.endswith(b" opensbc[99]: Teams1: OPTIONS status down (no response)")


def test_local_sink_absent_socket_is_silent(tmp_path: Path) -> None:
    sink = LocalSink(str(tmp_path / "missing"))
    events = EventLog([sink], clock=lambda: NOW)
    asyncio.run(events.start())
    events.registration("x", True)
    assert (sink.sent, sink.dropped, events.errors) == (0, 0, 0)
    assert sink.stats().connected is False


def test_local_sink_survives_a_daemon_restart(tmp_path: Path) -> None:
    path = tmp_path / "log"
    clock = [0.0]
    sink = LocalSink(str(path), retry_interval=1.0, clock=lambda: clock[0])
    events = EventLog([sink], clock=lambda: NOW)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(path))
    asyncio.run(events.start())
    events.registration("a", True)
    server.close()
    path.unlink()  # the daemon is gone
    events.registration("b", True)
    assert sink.dropped == 1
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(path))
        server.settimeout(5)
        events.registration("c", True)  # within retry_interval: skipped
        clock[0] = 2.0
        events.registration("d", True)
        assert server.recv(65535).endswith(b"d: registration succeeded")
    assert sink.sent == 2


def test_build_sinks_from_settings(tmp_path: Path) -> None:
    assert build_sinks(SyslogSettings(local=False)) == []
    (local,) = build_sinks(SyslogSettings())
    assert isinstance(local, LocalSink)
    _, udp = build_sinks(SyslogSettings(host="192.0.2.10"))
    assert isinstance(udp, UdpSink) and udp.name == "udp:192.0.2.10:514"
    (tcp,) = build_sinks(SyslogSettings(host="192.0.2.10", protocol="tcp", local=False))
    assert isinstance(tcp, StreamSink) and tcp.name == "tcp:192.0.2.10:514"
    (tls,) = build_sinks(SyslogSettings(host="2001:db8::5", port=6514, protocol="tls",
                                        local=False))
    assert tls.name == "tls:[2001:db8::5]:6514"


def test_missing_ca_file_disables_remote_only(tmp_path: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    sinks = build_sinks(SyslogSettings(host="192.0.2.10", protocol="tls",
                                       ca_file=str(tmp_path / "nope.pem")))
    assert [type(s) for s in sinks] == [LocalSink]
    assert "remote syslog disabled: cannot load CA file" in caplog.text
