"""`drain_tls` after a new certificate: open TLS connections leave the reuse table, keep
carrying the answers they owe, and close once no transaction needs them (or after 32 s);
new requests open new connections."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

import pytest
from sbc.app.runtime import identity as runtime_identity
from sbc.config.model import Listener
from sbc.core import SipEngine, SourceGate, refuse_calls
from sbc.sip import Request, Response, build_response, parse_datagram
from sbc.transport import Peer, Receiver, TransportManager, TransportSettings
from sbc.transport import manager as manager_module

from .kit import FQDN, Pki, Recorder, options, run, until
from .test_core_engine import teams_config

LOOP = ipaddress.ip_address("127.0.0.1")
FAST = TransportSettings(sweep_interval=0.02)


@dataclass
class BusyRecorder(Recorder):
    """A Recorder that says which flows are busy (the optional `flow_busy` hook)."""

    busy: set[int] = field(default_factory=set)  # remote ports with a live transaction

    def flow_busy(self, peer: Peer) -> bool:
        return peer.port in self.busy


def _request(branch: str) -> Request:
    message = parse_datagram(options(branch, transport="TLS"))
    assert isinstance(message, Request)
    return message


async def _tls_manager(pki: Pki, receiver: Receiver) -> tuple[TransportManager, int]:
    manager = TransportManager(receiver, settings=FAST, tls=pki.sbc_contexts())
    await manager.listen([Listener("tls", LOOP, 0)])
    return manager, next(p for t, _, p in manager.listening() if t == "tls")


def test_incoming_connection_answers_then_closes(pki: Pki) -> None:
    async def main() -> None:
        server_rec, client_rec = BusyRecorder(), Recorder()
        server, port = await _tls_manager(pki, server_rec)
        client = TransportManager(client_rec, tls=pki.peer_contexts())
        try:
            client.send(_request("z9hG4bKd1"), Peer("127.0.0.1", port, "tls", sni=FQDN))
            item = await until(lambda: server_rec.items and server_rec.items[0])
            server_rec.busy.add(item.source.port)  # the OPTIONS transaction is open
            assert server.drain_tls("new certificate") == 1
            assert server.connections == {} and len(server.draining) == 1
            assert server.snapshot()["connections"][0]["draining"] is True
            assert isinstance(item.message, Request)
            server.send(build_response(item.message, 200, to_tag="t"), item.source)
            answer = await until(lambda: client_rec.messages())
            assert isinstance(answer[0], Response) and answer[0].status == 200
            assert client.connections  # still open while the transaction lives
            server_rec.busy.clear()  # the transaction ended
            await until(lambda: not client.connections, what="the drained connection to close")
            assert server.draining == []
            assert server_rec.lost and "drained" in server_rec.lost[0][1]
        finally:
            await client.close()
            await server.close()

    run(main())


def test_new_request_opens_a_new_connection(pki: Pki) -> None:
    async def main() -> None:
        peer_rec, sbc_rec = Recorder(), BusyRecorder()
        peer, port = await _tls_manager(pki, peer_rec)
        sbc = TransportManager(sbc_rec, settings=FAST, tls=pki.peer_contexts())
        target = Peer("127.0.0.1", port, "tls", sni=FQDN)
        try:
            sbc.send(_request("z9hG4bKo1"), target)
            first = await until(lambda: peer_rec.items and peer_rec.items[0])
            old = sbc.connections[target.key]
            sbc_rec.busy.add(port)  # our OPTIONS waits for its answer
            assert sbc.drain_tls("new certificate") == 1
            sbc.send(_request("z9hG4bKo2"), target)
            await until(lambda: len(peer_rec.items) == 2, what="the second request")
            second = peer_rec.items[1]
            assert sbc.connections[target.key] is not old and sbc.draining == [old]
            assert first.source.port != second.source.port  # two connections at the peer

            # The peer asks over the old connection: the answer goes back over it.
            peer.send(_request("z9hG4bKp1"), first.source)
            asked = await until(lambda: [i for i in sbc_rec.items
                                         if isinstance(i.message, Request)])
            assert isinstance(asked[0].message, Request)
            sbc.send(build_response(asked[0].message, 200, to_tag="s"), asked[0].source)
            back = await until(lambda: [i for i in peer_rec.items
                                        if isinstance(i.message, Response)])
            assert back[0].source.port == first.source.port

            sbc_rec.busy.clear()
            await until(lambda: sbc.draining == [], what="the old connection to close")
            assert sbc_rec.lost == []  # the flow lives on in the new connection
            assert sbc.connections[target.key].open
        finally:
            await sbc.close()
            await peer.close()

    run(main())


def test_a_busy_connection_closes_after_the_limit(pki: Pki,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    async def main() -> None:
        server_rec, client_rec = BusyRecorder(), Recorder()
        server, port = await _tls_manager(pki, server_rec)
        client = TransportManager(client_rec, tls=pki.peer_contexts())
        try:
            client.send(_request("z9hG4bKl1"), Peer("127.0.0.1", port, "tls", sni=FQDN))
            item = await until(lambda: server_rec.items and server_rec.items[0])
            server_rec.busy.add(item.source.port)  # never ends
            assert server.drain_tls("new certificate") == 1
            await until(lambda: not client.connections, what="the limit to close it")
            assert "drained after 0.2 s" in server_rec.lost[0][1]
        finally:
            await client.close()
            await server.close()

    monkeypatch.setattr(manager_module, "DRAIN_LIMIT", 0.2)
    run(main())


def _invite(branch: str, port: int, *, ack_tag: str | None = None) -> bytes:
    method, to = ("ACK", f"<sip:{FQDN}>;tag={ack_tag}") if ack_tag else ("INVITE", f"<sip:{FQDN}>")
    return (
        f"{method} sip:+4930123@{FQDN}:5061;transport=tls SIP/2.0\r\n"
        f"Via: SIP/2.0/TLS 127.0.0.1:{port};branch={branch}\r\n"
        "Max-Forwards: 70\r\n"
        "From: <sip:+4930999@sip.pstnhub.microsoft.com>;tag=f1\r\n"
        f"To: {to}\r\n"
        f"Call-ID: {branch}@example.net\r\n"
        f"CSeq: 1 {method}\r\n"
        "Contact: <sip:sip.pstnhub.microsoft.com:5061;transport=tls>\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


def test_engine_keeps_the_connection_until_the_transaction_ends(pki: Pki) -> None:
    """A refused INVITE's server transaction waits for the ACK: the engine says the flow
    is busy until the ACK came over the draining connection."""

    async def main() -> None:
        config = teams_config()
        engine = SipEngine(runtime_identity(config), SourceGate(config))
        engine.router.add("INVITE", refuse_calls)
        server, port = await _tls_manager(pki, engine)
        engine.attach(server)
        client_rec = Recorder()
        client = TransportManager(client_rec, tls=pki.peer_contexts())
        target = Peer("127.0.0.1", port, "tls", sni=FQDN)
        try:
            client.send(parse_datagram(_invite("z9hG4bKi1", 5061)), target)
            answer = await until(lambda: [m for m in client_rec.messages()
                                          if isinstance(m, Response) and m.status == 503])
            assert server.drain_tls("new certificate") == 1
            assert len(server.draining) == 1  # the transaction waits for its ACK
            ack = parse_datagram(_invite("z9hG4bKi1", 5061, ack_tag=answer[0].to_addr.tag))
            client.send(ack, target)
            await until(lambda: not client.connections, what="the drained connection to close")
            assert server.draining == [] and not engine.flow_busy(target)
        finally:
            await client.close()
            await server.close()
            engine.close()

    run(main())
