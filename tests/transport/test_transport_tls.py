"""Mutual TLS: both certificates checked, SNI sent, handshake failures logged, TLS 1.2
minimum, the trace gets the decrypted messages, a new certificate drains connections."""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from pathlib import Path

import pytest
from sbc.config.model import Listener
from sbc.sip import Request, Response, build_response, parse_datagram
from sbc.trace import TraceControl
from sbc.transport import Peer, TransportManager

from .kit import (
    FQDN,
    PEER_NAME,
    EventsRecorder,
    Pki,
    Recorder,
    no_cert_client_context,
    options,
    run,
    until,
)

LOOP = ipaddress.ip_address("127.0.0.1")


async def _tls_server(pki: Pki, rec: Recorder, events: EventsRecorder | None = None,
                      trace: TraceControl | None = None) -> tuple[TransportManager, int]:
    contexts = pki.sbc_contexts()
    manager = TransportManager(rec, tls=contexts, events=events, trace=trace)
    await manager.listen([Listener("tls", LOOP, 0)])
    port = next(p for t, _, p in manager.listening() if t == "tls")
    return manager, port


def _request(branch: str = "z9hG4bKt1") -> Request:
    message = parse_datagram(options(branch, transport="TLS"))
    assert isinstance(message, Request)
    return message


def test_mutual_tls_with_sni_both_ways(pki: Pki, tmp_path: Path) -> None:
    async def main() -> None:
        server_rec, client_rec = Recorder(), Recorder()
        trace = TraceControl()
        trace.start(tmp_path / "tls.pcap", include_options=True)
        server, port = await _tls_server(pki, server_rec, trace=trace)
        seen_sni: list[str | None] = []
        assert server.tls is not None
        server.tls.server.sni_callback = lambda obj, name, ctx: seen_sni.append(name)
        client = TransportManager(client_rec, tls=pki.peer_contexts())
        target = Peer("127.0.0.1", port, "tls", sni=FQDN)
        try:
            client.send(_request(), target)
            await until(lambda: server_rec.items, what="the request over TLS")
            item = server_rec.items[0]
            assert PEER_NAME in item.peer_names  # the client's certificate, verified
            assert seen_sni == [FQDN]  # the client sent the connection's name as SNI
            assert isinstance(item.message, Request)
            server.send(build_response(item.message, 200, to_tag="t"), item.source)
            await until(lambda: client_rec.items, what="the answer")
            answer = client_rec.items[0]
            assert isinstance(answer.message, Response)
            assert FQDN in answer.peer_names  # the server's certificate, verified
            assert answer.source == target
            conn = client.connections[target.key]
            assert conn.outbound and conn.tls
        finally:
            await client.close()
            await server.close()
            trace.stop()
        pcap = (tmp_path / "tls.pcap").read_bytes()
        assert b"OPTIONS sip:sbc.lab.test" in pcap and b"SIP/2.0 200 OK" in pcap  # decrypted

    run(main())


def test_client_without_certificate_is_refused_and_logged(pki: Pki) -> None:
    async def main() -> None:
        rec, events = Recorder(), EventsRecorder()
        server, port = await _tls_server(pki, rec, events)
        try:
            ctx = no_cert_client_context(pki.ca)
            try:
                reader, writer = await asyncio.open_connection(
                    "127.0.0.1", port, ssl=ctx, server_hostname=FQDN)
                writer.write(options(transport="TLS"))
                data = await asyncio.wait_for(reader.read(100), 5)  # TLS 1.3: alert now
                writer.close()
            except (ssl.SSLError, ConnectionError):
                data = b""
            assert data == b""
            await until(lambda: events.tls, what="the TLS failure event")
            peer, reason, _, direction = events.tls[0]
            assert direction == "in" and peer.startswith("127.0.0.1:")
            assert "certificate" in reason
            assert rec.items == []
            assert server.stats.tls_failures_in == 1
        finally:
            await server.close()

    run(main())


def test_server_with_an_untrusted_certificate_is_refused(pki: Pki) -> None:
    async def main() -> None:
        # The "server" presents a certificate from a CA our bundle does not hold.
        server_rec = Recorder()
        server = TransportManager(server_rec, tls=pki.stranger_contexts())
        await server.listen([Listener("tls", LOOP, 0)])
        port = next(p for t, _, p in server.listening() if t == "tls")
        rec, events = Recorder(), EventsRecorder()
        client = TransportManager(rec, tls=pki.sbc_contexts(), events=events)
        try:
            client.send(_request(), Peer("127.0.0.1", port, "tls", sni=PEER_NAME))
            await until(lambda: rec.failures, what="the send failure")
            assert "TLS handshake failed" in rec.failures[0][2]
            assert events.tls and events.tls[0][3] == "out"
            assert "certificate verify failed" in events.tls[0][1]
            assert events.tls[0][0] == f"{PEER_NAME}:{port}"  # logged by name, not IP
        finally:
            await client.close()
            await server.close()

    run(main())


def test_wrong_name_is_refused(pki: Pki) -> None:
    async def main() -> None:
        server, port = await _tls_server(pki, Recorder())
        rec = Recorder()
        client = TransportManager(rec, tls=pki.peer_contexts())
        try:
            client.send(_request(), Peer("127.0.0.1", port, "tls", sni="other.lab.test"))
            await until(lambda: rec.failures, what="the failure")
            assert "certificate verify failed" in rec.failures[0][2]
        finally:
            await client.close()
            await server.close()

    run(main())


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_tls_1_1_is_refused(pki: Pki) -> None:
    async def main() -> None:
        events = EventsRecorder()
        server, port = await _tls_server(pki, Recorder(), events)
        try:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.load_verify_locations(cafile=str(pki.ca))
            ctx.load_cert_chain(str(pki.peer[0]), str(pki.peer[1]))
            try:
                ctx.minimum_version = ssl.TLSVersion.TLSv1
                ctx.maximum_version = ssl.TLSVersion.TLSv1_1
            except (ValueError, ssl.SSLError):
                return  # this OpenSSL cannot even offer TLS 1.1
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ctx,
                                                          server_hostname=FQDN)
                writer.close()
                raise AssertionError("a TLS 1.1 handshake succeeded")
            except (ssl.SSLError, ConnectionError):
                pass
            await until(lambda: events.tls, what="the TLS failure event")
        finally:
            await server.close()

    run(main())


def test_new_certificate_closes_tls_connections(pki: Pki) -> None:
    async def main() -> None:
        server_rec = Recorder()
        server, port = await _tls_server(pki, server_rec)
        client = TransportManager(Recorder(), tls=pki.peer_contexts())
        try:
            client.send(_request(), Peer("127.0.0.1", port, "tls", sni=FQDN))
            await until(lambda: server_rec.items)
            assert server.close_tls() == 1
            await until(lambda: not client.connections, what="the client to see the close")
        finally:
            await client.close()
            await server.close()

    run(main())


def test_a_message_larger_than_the_tls_read_buffer_arrives_whole(pki: Pki) -> None:
    """The per-connection read buffer is one TLS record (not asyncio's 256 KiB); a
    message of several records still arrives in one piece."""
    from asyncio import sslproto

    from sbc.transport.tls import TLS_READ_BUFFER

    async def main() -> None:
        server_rec, client_rec = Recorder(), Recorder()
        server, port = await _tls_server(pki, server_rec)
        client = TransportManager(client_rec, tls=pki.peer_contexts())
        assert sslproto.SSLProtocol.max_size == TLS_READ_BUFFER
        target = Peer("127.0.0.1", port, "tls", sni=FQDN)
        request = _request("z9hG4bKbig")
        for n in range(8):  # 56 kB: about four TLS records (a line stays under 8 KiB)
            request.headers.add("X-Pad", f"{n}" * 7000)
        try:
            client.send(request, target)
            await until(lambda: server_rec.items, what="the large request over TLS")
            got = server_rec.items[0].message
            assert isinstance(got, Request)
            assert got.headers.get_all("X-Pad") == [f"{n}" * 7000 for n in range(8)]
        finally:
            await client.close()
            await server.close()

    run(main())
