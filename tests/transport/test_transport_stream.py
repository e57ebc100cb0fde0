"""TCP: framing across writes, several messages per write, CRLF ping/pong, the bounded
buffer, the idle timeout, connection reuse and answers over the request's connection."""

from __future__ import annotations

import asyncio
import ipaddress

from sbc.config.model import Listener
from sbc.sip import Limits, Request, Response, build_response, parse_datagram
from sbc.transport import Peer, TransportManager, TransportSettings

from .kit import Recorder, options, run, until

LOOP = ipaddress.ip_address("127.0.0.1")


async def _server(rec: Recorder, **settings: object) -> tuple[TransportManager, int]:
    manager = TransportManager(rec, settings=TransportSettings(**settings))
    await manager.listen([Listener("tcp", LOOP, 0)])
    port = next(p for t, _, p in manager.listening() if t == "tcp")
    return manager, port


def test_framing_pong_and_answer_on_the_same_connection() -> None:
    async def main() -> None:
        rec = Recorder()
        manager, port = await _server(rec)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            first = options("z9hG4bKa", transport="TCP", body=b"hello")
            writer.write(first[:30])
            await writer.drain()
            await asyncio.sleep(0.05)
            writer.write(first[30:] + options("z9hG4bKb", transport="TCP"))
            await until(lambda: len(rec.items) == 2, what="two messages")
            a, b = (i.message for i in rec.items)
            assert isinstance(a, Request) and a.body == b"hello"
            assert isinstance(b, Request) and b.top_via.branch == "z9hG4bKb"
            source = rec.items[0].source
            assert source.transport == "tcp" and source.sni is None
            assert rec.asked == [source]  # admitted before anything was read

            writer.write(b"\r\n\r\n")  # RFC 5626 ping
            assert await asyncio.wait_for(reader.readexactly(2), 5) == b"\r\n"

            manager.send(build_response(a, 200, to_tag="x"), source)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            assert head.startswith(b"SIP/2.0 200 OK")
            assert len(manager.connections) == 1
        finally:
            writer.close()
            await manager.close()

    run(main())


def test_not_admitted_connection_is_closed_unread() -> None:
    async def main() -> None:
        rec = Recorder(admit=False)
        manager, port = await _server(rec)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            try:
                writer.write(options(transport="TCP"))
                data = await asyncio.wait_for(reader.read(100), 5)
            except ConnectionResetError:
                data = b""  # aborted: a reset rather than a close
            assert data == b""
            assert rec.items == []
            assert manager.stats.refused_connections == 1
        finally:
            writer.close()
            await manager.close()

    run(main())


def test_oversized_message_is_a_framing_error_and_closes() -> None:
    async def main() -> None:
        rec = Recorder()
        manager, port = await _server(rec, message_limits=Limits(max_message_size=2000))
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            big = options(transport="TCP", extra="X-Pad: " + "p" * 3000 + "\r\n")
            writer.write(big)
            await until(lambda: rec.items, what="the error")
            error = rec.items[0].error
            assert error is not None and error.status in (513, 400)
            assert await asyncio.wait_for(reader.read(100), 5) == b""
            assert manager.stats.framing_errors == 1
            await until(lambda: rec.lost, what="connection_lost")
        finally:
            writer.close()
            await manager.close()

    run(main())


def test_idle_connections_are_closed() -> None:
    async def main() -> None:
        rec = Recorder()
        manager, port = await _server(rec, idle_timeout=0.2, sweep_interval=0.05)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            assert await asyncio.wait_for(reader.read(100), 5) == b""
            assert manager.stats.idle_closed == 1
            assert not manager.connections
        finally:
            writer.close()
            await manager.close()

    run(main())


def test_outgoing_connection_is_reused_and_answers_come_back() -> None:
    async def main() -> None:
        server_rec, client_rec = Recorder(), Recorder()
        server, port = await _server(server_rec)
        client = TransportManager(client_rec)
        target = Peer("127.0.0.1", port, "tcp")
        try:
            for branch in ("z9hG4bKr1", "z9hG4bKr2"):
                request = parse_datagram(options(branch, transport="TCP"))
                assert isinstance(request, Request)
                client.send(request, target)  # the second waits for/reuses the first's
            await until(lambda: len(server_rec.items) == 2, what="both requests")
            sources = {i.source for i in server_rec.items}
            assert len(sources) == 1  # one connection carried both
            assert client.stats.connections_out == 1

            for item in server_rec.items:
                assert isinstance(item.message, Request)
                server.send(build_response(item.message, 200, to_tag="t"), item.source)
            await until(lambda: len(client_rec.items) == 2, what="both answers")
            assert all(isinstance(m, Response) for m in client_rec.messages())
            assert all(i.source == target for i in client_rec.items)
        finally:
            await client.close()
            await server.close()

    run(main())


def test_connect_failure_fails_what_was_queued() -> None:
    async def main() -> None:
        rec = Recorder()
        manager = TransportManager(rec)
        probe, port = await _server(Recorder())
        await probe.close()  # nothing listens there now
        try:
            request = parse_datagram(options(transport="TCP"))
            assert isinstance(request, Request)
            manager.send(request, Peer("127.0.0.1", port, "tcp"))
            await until(lambda: rec.failures, what="the failure")
            assert "Connection refused" in rec.failures[0][2]
            assert rec.lost  # and the engine hears that the flow is gone
            # An answer for a connection that is gone is not sent anywhere else.
            manager.send(build_response(request, 200, to_tag="t"), Peer("127.0.0.1", 1, "tcp"))
            assert "closed" in rec.failures[-1][2]
        finally:
            await manager.close()

    run(main())
