"""Who gets in: datagrams checked before they are parsed (answers to what we asked pass),
connections capped per source, configured peers in a pool of their own (by address or
by certificate), and connections that never send SIP closed early."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass, field

import pytest
from sbc.config.model import Listener
from sbc.sip import Request, build_response, parse_datagram
from sbc.transport import Peer, TransportManager, TransportSettings
from sbc.transport import manager as manager_module

from .kit import PEER_NAME, Pki, Recorder, options, run, until

LOOP = ipaddress.ip_address("127.0.0.1")
OUTSIDE = "127.0.0.9"


@dataclass
class Gatekeeper(Recorder):
    """A Recorder with the optional hooks: `allowed` hosts, `peers` hosts or names."""

    allowed: set[str] = field(default_factory=lambda: {"127.0.0.1"})
    peers: set[str] = field(default_factory=set)
    shed: list[tuple[str, bytes]] = field(default_factory=list)

    def admit_datagram(self, source: Peer, data: bytes) -> bool:
        if source.host in self.allowed:
            return True
        self.shed.append((source.host, data))
        return False

    def reserved_peer(self, peer: Peer, names: tuple[str, ...]) -> bool:
        return peer.host in self.peers or any(n in self.peers for n in names)


def _udp(host: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((host, 0))
    sock.setblocking(False)
    return sock


def test_datagrams_from_outside_are_dropped_unparsed(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[bytes] = []
    real = manager_module.parse_datagram

    def counting(data: bytes, *args: object) -> object:
        parsed.append(data)
        return real(data, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(manager_module, "parse_datagram", counting)

    async def main() -> None:
        rec = Gatekeeper()
        manager = TransportManager(rec)
        await manager.listen([Listener("udp", LOOP, 0)])
        port = next(p for t, _, p in manager.listening() if t == "udp")
        outside, inside = _udp(OUTSIDE), _udp("127.0.0.1")
        try:
            for n in range(50):
                outside.sendto(options(f"z9hG4bKo{n}", host=OUTSIDE), ("127.0.0.1", port))
            outside.sendto(b"SIP/2.0 200 OK\r\nVia: x\r\n\r\n", ("127.0.0.1", port))
            inside.sendto(options("z9hG4bKin"), ("127.0.0.1", port))
            await until(lambda: rec.items, what="the allowed OPTIONS")
            await until(lambda: len(rec.shed) == 51, what="51 datagrams shed")
            assert manager.stats.shed == 51
            assert len(parsed) == 1  # only the allowed one was parsed
            assert [i.source.host for i in rec.items] == ["127.0.0.1"]
        finally:
            outside.close()
            inside.close()
            await manager.close()

    run(main())


def test_an_answer_from_a_host_we_asked_passes() -> None:
    async def main() -> None:
        rec = Gatekeeper(allowed=set())
        manager = TransportManager(rec)
        await manager.listen([Listener("udp", LOOP, 0)])
        port = next(p for t, _, p in manager.listening() if t == "udp")
        peer = _udp(OUTSIDE)
        loop = asyncio.get_running_loop()
        try:
            request = parse_datagram(options("z9hG4bKask"))
            assert isinstance(request, Request)
            manager.send(request, Peer(OUTSIDE, peer.getsockname()[1], "udp"))
            data = await asyncio.wait_for(loop.sock_recv(peer, 65536), 5)
            asked = parse_datagram(data)
            assert isinstance(asked, Request)
            peer.sendto(build_response(asked, 200, to_tag="t").to_bytes(), ("127.0.0.1", port))
            peer.sendto(options("z9hG4bKreq", host=OUTSIDE), ("127.0.0.1", port))
            await until(lambda: rec.items and rec.shed, what="the answer and the drop")
            assert [i.message.status for i in rec.items] == [200]  # type: ignore[union-attr]
            assert len(rec.shed) == 1  # its requests are still not allowed
        finally:
            peer.close()
            await manager.close()

    run(main())


async def _tcp_server(rec: Recorder, kind: str = "tcp", pki: Pki | None = None,
                      **settings: object) -> tuple[TransportManager, int]:
    contexts = pki.sbc_contexts() if pki is not None else None
    manager = TransportManager(rec, settings=TransportSettings(**settings), tls=contexts)  # type: ignore[arg-type]
    await manager.listen([Listener(kind, LOOP, 0)])  # type: ignore[arg-type]
    port = next(p for t, _, p in manager.listening() if t == kind)
    return manager, port


async def _closed(reader: asyncio.StreamReader) -> bool:
    """True once the server closed or reset the connection (pongs are read past)."""
    try:
        await asyncio.wait_for(reader.read(), 5)
    except ConnectionError:
        pass
    return reader.at_eof()


def test_connections_are_capped_per_source() -> None:
    async def main() -> None:
        rec = Gatekeeper()
        manager, port = await _tcp_server(rec, max_per_source=3)
        opened = []
        try:
            for _ in range(5):
                opened.append(await asyncio.open_connection("127.0.0.1", port))
            await until(lambda: manager.stats.refused_per_source == 2, what="two refused")
            assert len(manager.connections) == 3
            assert all([await _closed(r) for r, _ in opened[3:]])
            other = await asyncio.open_connection("127.0.0.1", port, local_addr=("127.0.0.2", 0))
            opened.append(other)
            await until(lambda: len(manager.connections) == 4, what="another source's")
        finally:
            for _, writer in opened:
                writer.close()
            await manager.close()

    run(main())


def test_configured_peer_gets_in_when_the_general_pool_is_full() -> None:
    async def main() -> None:
        rec = Gatekeeper(allowed={"127.0.0.1", "127.0.0.2"}, peers={"127.0.0.1"})
        manager, port = await _tcp_server(rec, max_connections=4, max_per_source=100)
        opened = []
        try:
            for _ in range(6):  # one allowed source tries to hold every slot
                opened.append(await asyncio.open_connection("127.0.0.1", port,
                                                            local_addr=("127.0.0.2", 0)))
            await until(lambda: manager.stats.refused_connections == 2, what="two refused")
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            opened.append((reader, writer))
            writer.write(options("z9hG4bKpeer", transport="TCP"))
            await until(lambda: rec.items, what="the configured peer's OPTIONS")
            assert rec.items[0].source.host == "127.0.0.1"
            assert (manager.slots.general, manager.slots.reserved) == (4, 1)
        finally:
            for _, w in opened:
                w.close()
            await manager.close()

    run(main())


def test_certificate_of_a_configured_peer_earns_a_reserved_slot(pki: Pki) -> None:
    async def main() -> None:
        rec = Gatekeeper(allowed={"127.0.0.1", "127.0.0.2"}, peers={PEER_NAME})
        manager, port = await _tcp_server(rec, "tls", pki, max_connections=1)
        client = TransportManager(Recorder(), tls=pki.peer_contexts())
        filler = await asyncio.open_connection(  # a certificate naming nobody configured
            "127.0.0.1", port, local_addr=("127.0.0.2", 0), ssl=pki.sbc_contexts().client,
            server_hostname="sbc.lab.test")
        try:
            await until(lambda: manager.slots.general == 1, what="the general slot taken")
            request = parse_datagram(options("z9hG4bKcert", transport="TLS"))
            assert isinstance(request, Request)
            client.send(request, Peer("127.0.0.1", port, "tls", sni="sbc.lab.test"))
            await until(lambda: rec.items, what="the OPTIONS over the reserved slot")
            assert PEER_NAME in rec.items[0].peer_names
            assert manager.slots.reserved == 1
        finally:
            filler[1].close()
            await client.close()
            await manager.close()

    run(main())


def test_connections_without_sip_are_closed_early() -> None:
    async def main() -> None:
        rec = Gatekeeper()
        manager, port = await _tcp_server(rec, unproven_timeout=0.3, sweep_interval=0.05)
        silent = await asyncio.open_connection("127.0.0.1", port)
        talker = await asyncio.open_connection("127.0.0.1", port)
        try:
            talker[1].write(options("z9hG4bKtalk", transport="TCP"))
            await until(lambda: rec.items, what="the talker's OPTIONS")
            silent[1].write(b"\r\n\r\n")  # a ping does not count as SIP
            assert await _closed(silent[0])
            assert manager.stats.unproven_closed == 1
            assert len(manager.connections) == 1  # the talker stays (idle timeout: 600 s)
            await until(lambda: manager.slots.per_source == {"127.0.0.1": 1},
                        what="the silent one's slot given back")
        finally:
            silent[1].close()
            talker[1].close()
            await manager.close()

    run(main())
