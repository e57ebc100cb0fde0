"""TCP and TLS sinks against asyncio syslog servers on loopback."""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest
from logtest_certs import TlsFiles
from sbc.logs.backoff import Backoff
from sbc.logs.events import EventLog
from sbc.logs.framing import FrameDecoder
from sbc.logs.stream import StreamSink, client_tls_context

NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
TIMEOUT = 10.0


class SyslogServer:
    """Collects octet-counted messages; can drop its connections to test reconnects."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.messages: list[bytes] = []
        self.connections = 0
        self._tls = tls
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self._arrived = asyncio.Event()

    async def start(self, port: int = 0) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", port, ssl=self._tls)
        return int(self._server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.append(writer)
        decoder = FrameDecoder()
        try:
            while data := await reader.read(65536):
                self.messages += decoder.feed(data)
                self._arrived.set()
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    async def wait_for(self, count: int) -> list[bytes]:
        async with asyncio.timeout(TIMEOUT):
            while len(self.messages) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.messages

    async def drop_connections(self) -> None:
        for writer in self._writers:
            writer.close()
        self._writers.clear()

    async def stop(self) -> None:
        await self.drop_connections()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fast_backoff() -> Backoff:
    return Backoff(initial=0.02, maximum=0.1)


def run(coro: Callable[[], Awaitable[None]]) -> None:
    async def bounded() -> None:
        async with asyncio.timeout(30):
            await coro()

    asyncio.run(bounded())


def events_for(sink: StreamSink) -> EventLog:
    return EventLog([sink], hostname="sbc.example.com", procid="5", clock=lambda: NOW)


def test_tcp_frames_arrive_in_order() -> None:
    async def main() -> None:
        server = SyslogServer()
        port = await server.start()
        sink = StreamSink("127.0.0.1", port, backoff=fast_backoff())
        events = events_for(sink)
        await events.start()
        events.registration("telekom", True, expires=480)
        events.options_status("Teams1", True, "200 OK", 23)
        events.dropped_source("203.0.113.9", 2)
        messages = await server.wait_for(3)
        assert messages[0].startswith(b"<134>1 2024-03-01T12:00:00.000000Z sbc.example.com ")
        assert messages[0].endswith(b"telekom: registration succeeded, expires in 480 s")
        assert b'[sbc@32473 conn="Teams1" status="up"' in messages[1]
        assert b" ACL " in messages[2]
        assert sink.stats().connected is True
        await events.close()
        await server.stop()

    run(main)


def test_queue_while_down_keeps_newest_and_counts(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="sbc.logs")

    async def main() -> None:
        port = free_port()
        sink = StreamSink("127.0.0.1", port, queue_size=3, backoff=fast_backoff())
        events = events_for(sink)
        await events.start()
        for i in range(5):
            events.registration(f"conn{i}", True)
        await asyncio.sleep(0.1)  # a few failed attempts
        stats = sink.stats()
        assert (stats.connected, stats.queued, stats.dropped) == (False, 3, 2)
        server = SyslogServer()
        await server.start(port)
        messages = await server.wait_for(3)
        assert [m.split(b"conn=\"")[1][:5] for m in messages] == [b"conn2", b"conn3", b"conn4"]
        await events.close()
        await server.stop()

    run(main)
    assert "cannot connect" in caplog.text
    assert caplog.text.count("cannot connect") == 1  # once per outage, not per attempt
    assert "connected again, 2 messages dropped while down" in caplog.text


def test_reconnects_after_the_server_hangs_up() -> None:
    async def main() -> None:
        server = SyslogServer()
        port = await server.start()
        sink = StreamSink("127.0.0.1", port, backoff=fast_backoff())
        events = events_for(sink)
        await events.start()
        events.registration("before", True)
        await server.wait_for(1)
        await server.drop_connections()
        async with asyncio.timeout(TIMEOUT):
            while sink.stats().connected:
                await asyncio.sleep(0.01)
        events.registration("after", True)
        messages = await server.wait_for(2)
        assert b"after: registration" in messages[1]
        assert server.connections == 2
        await events.close()
        await server.stop()

    run(main)


def test_close_flushes_the_queue() -> None:
    async def main() -> None:
        server = SyslogServer()
        port = await server.start()
        sink = StreamSink("127.0.0.1", port, backoff=fast_backoff())
        events = events_for(sink)
        await events.start()
        for i in range(200):
            events.dropped_source(f"192.0.2.{i % 250}", i + 1)
        await events.close()
        assert len(await server.wait_for(200)) == 200
        await server.stop()

    run(main)


def test_submit_from_another_thread() -> None:
    async def main() -> None:
        server = SyslogServer()
        port = await server.start()
        sink = StreamSink("127.0.0.1", port, backoff=fast_backoff())
        events = events_for(sink)
        await events.start()
        await asyncio.to_thread(events.registration, "worker", True)
        assert b"worker" in (await server.wait_for(1))[0]
        await events.close()
        await server.stop()

    run(main)


def server_tls(files: TlsFiles) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(files.cert, files.key)
    return context


def test_tls_verifies_the_server_and_delivers(tls_files: TlsFiles) -> None:
    async def main() -> None:
        server = SyslogServer(server_tls(tls_files))
        port = await server.start()
        sink = StreamSink("127.0.0.1", port, tls=client_tls_context(str(tls_files.ca)),
                          backoff=fast_backoff())
        assert sink.name == f"tls:127.0.0.1:{port}"
        events = events_for(sink)
        await events.start()
        events.tls_failure("52.114.1.1:5061", 'bad "quote" ]', direction="in")
        (message,) = await server.wait_for(1)
        assert b'reason="bad \\"quote\\" \\]"' in message
        await events.close()
        await server.stop()

    run(main)


def test_tls_name_checked_against_certificate(tls_files: TlsFiles) -> None:
    async def main() -> None:
        server = SyslogServer(server_tls(tls_files))
        port = await server.start()
        sink = StreamSink("127.0.0.1", port, tls=client_tls_context(str(tls_files.ca)),
                          tls_name="localhost", backoff=fast_backoff())
        events = events_for(sink)
        await events.start()
        events.registration("named", True)
        await server.wait_for(1)
        await events.close()
        await server.stop()

    run(main)


def test_tls_with_an_unknown_ca_sends_nothing(tls_files: TlsFiles,
                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="sbc.logs")

    async def main() -> None:
        server = SyslogServer(server_tls(tls_files))
        port = await server.start()
        sink = StreamSink("127.0.0.1", port, tls=client_tls_context(str(tls_files.other_ca)),
                          backoff=fast_backoff())
        events = events_for(sink)
        await events.start()
        events.registration("secret", True)
        await asyncio.sleep(0.2)
        assert sink.stats().connected is False
        assert sink.stats().queued == 1
        assert server.messages == []
        await events.close()
        await server.stop()

    run(main)
    assert "TLS certificate not accepted" in caplog.text
