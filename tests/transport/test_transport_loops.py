"""The transports on both event loops `sbc run` may use (uvloop by default, asyncio).

uvloop starts reading a new connection at once, asyncio a moment later: a TLS listener
that checks the source before its handshake must not read the socket until the TLS
layer does, or a ClientHello that arrives first is lost (seen as handshake timeouts
under load with `start_tls`)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable
from typing import TypeVar

import pytest
import uvloop
from sbc.app.loop import LoopError, choose_loop
from sbc.config.model import Listener
from sbc.sip import Request, build_response, parse_datagram
from sbc.transport import Peer, TransportManager
from sbc.transport.accept import TlsListener, open_accepted

from .kit import FQDN, Pki, Recorder, options, until

T = TypeVar("T")
LOOPS = {"asyncio": asyncio.new_event_loop, "uvloop": uvloop.new_event_loop}


def run_on(name: str, coro: Awaitable[T]) -> T:
    """Runs `coro` on the named loop; any error the loop only logs (an exception in a
    protocol callback) fails the test too."""
    errors: list[dict[str, object]] = []

    async def bounded() -> T:
        asyncio.get_running_loop().set_exception_handler(lambda _, ctx: errors.append(ctx))
        return await asyncio.wait_for(coro, 20)

    with asyncio.Runner(loop_factory=LOOPS[name]) as runner:
        result = runner.run(bounded())
    assert errors == []
    return result


@pytest.mark.parametrize("loop", sorted(LOOPS))
def test_handshake_survives_a_client_hello_sent_before_the_check(pki: Pki,
                                                                 loop: str) -> None:
    async def main() -> None:
        contexts = pki.sbc_contexts()
        hello_sent = asyncio.Event()
        done: list[bytes] = []
        tasks: list[asyncio.Task[None]] = []

        async def serve(sock: socket.socket) -> None:
            await hello_sent.wait()  # the ClientHello is in flight or arrived already
            await asyncio.sleep(0.1)
            reader, writer = await open_accepted(sock, contexts.server, 10)
            done.append(await reader.readexactly(4))
            writer.write(b"pong")
            await writer.drain()
            writer.close()

        def accepted(sock: socket.socket, addr: tuple[str, int]) -> None:
            tasks.append(asyncio.create_task(serve(sock)))

        server = await TlsListener.start("127.0.0.1", 0, socket.AF_INET, accepted)
        port = server.sockets[0].getsockname()[1]
        try:
            client_ctx = pki.peer_contexts().client
            connect = asyncio.create_task(asyncio.open_connection(
                "127.0.0.1", port, ssl=client_ctx, server_hostname=FQDN,
                ssl_handshake_timeout=10))
            await asyncio.sleep(0.05)
            hello_sent.set()
            reader, writer = await connect
            writer.write(b"ping")
            assert await reader.readexactly(4) == b"pong"
            assert done == [b"ping"]
            writer.close()
            await asyncio.gather(*tasks)
        finally:
            server.close()
            await server.wait_closed()
        assert server.sockets == ()

    run_on(loop, main())


@pytest.mark.parametrize("loop", sorted(LOOPS))
def test_mutual_tls_and_udp_through_the_manager(pki: Pki, loop: str) -> None:
    async def main() -> None:
        server_rec, client_rec = Recorder(), Recorder()
        here = ipaddress.ip_address("127.0.0.1")
        server = TransportManager(server_rec, tls=pki.sbc_contexts())
        await server.listen([Listener("tls", here, 0), Listener("udp", here, 0)])
        client = TransportManager(client_rec, tls=pki.peer_contexts())
        try:
            for transport, port in ((t, p) for t, _, p in server.listening()):
                before = len(server_rec.items)
                wire = "TLS" if transport == "tls" else "UDP"
                request = parse_datagram(options(f"z9hG4bK{transport}", transport=wire))
                assert isinstance(request, Request)
                target = Peer("127.0.0.1", port, transport,
                              sni=FQDN if transport == "tls" else None)
                if transport == "udp":
                    await client.listen([Listener("udp", here, 0)])
                client.send(request, target)
                await until(lambda b=before: len(server_rec.items) > b, what=transport)
                item = server_rec.items[-1]
                assert isinstance(item.message, Request)
                server.send(build_response(item.message, 200, to_tag="t"), item.source)
                await until(lambda t=transport: any(
                    i.source.transport == t for i in client_rec.items), what="the answer")
        finally:
            await client.close()
            await server.close()

    run_on(loop, main())


def test_loop_choice() -> None:
    assert choose_loop("asyncio").name == "asyncio"
    chosen = choose_loop("auto")
    assert chosen.name == f"uvloop {uvloop.__version__}"
    assert chosen.factory is uvloop.new_event_loop
    with pytest.raises(LoopError, match="unknown event loop"):
        choose_loop("trio")


def test_uvloop_asked_for_but_missing_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import fails as if not installed
    assert choose_loop("auto").name == "asyncio"
    with pytest.raises(LoopError, match="python3-uvloop"):
        choose_loop("uvloop")


