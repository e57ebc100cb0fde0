"""UDP: one datagram is one message, bytes after Content-Length are ignored, garbage
becomes a peer error (never an exception), sends go out from the listening socket."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from pathlib import Path

from sbc.config.model import Listener
from sbc.sip import Limits, Request, SipPeerError, build_response
from sbc.trace import TraceControl
from sbc.transport import Peer, TransportManager, TransportSettings

from .kit import Recorder, options, run, until

LOOP = ipaddress.ip_address("127.0.0.1")


async def _manager(receiver: Recorder, trace: TraceControl | None = None) -> TransportManager:
    settings = TransportSettings(message_limits=Limits(max_message_size=4000))
    manager = TransportManager(receiver, trace=trace, settings=settings)
    await manager.listen([Listener("udp", LOOP, 0)])
    return manager


def _port(manager: TransportManager) -> int:
    return next(p for t, _, p in manager.listening() if t == "udp")


def test_datagram_in_and_answer_out() -> None:
    async def main() -> None:
        rec = Recorder()
        manager = await _manager(rec)
        peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        peer.bind(("127.0.0.1", 0))
        peer.setblocking(False)
        try:
            # Trailing bytes after Content-Length are ignored (RFC 3261 §18.3).
            data = options(port=peer.getsockname()[1], body=b"abc") + b"TRAILING JUNK"
            peer.sendto(data, ("127.0.0.1", _port(manager)))
            await until(lambda: rec.items, what="the datagram")
            item = rec.items[0]
            assert isinstance(item.message, Request)
            assert item.message.body == b"abc"
            assert item.source == Peer("127.0.0.1", peer.getsockname()[1], "udp")
            assert item.raw == data

            manager.send(build_response(item.message, 200, to_tag="t"), item.source)
            loop = asyncio.get_running_loop()
            answer = await asyncio.wait_for(loop.sock_recv(peer, 65536), 5)
            assert answer.startswith(b"SIP/2.0 200 OK\r\n")
            assert manager.stats.udp_in == 1 and manager.stats.udp_out == 1
        finally:
            peer.close()
            await manager.close()

    run(main())


def test_garbage_is_a_peer_error_and_keepalives_are_ignored() -> None:
    async def main() -> None:
        rec = Recorder()
        manager = await _manager(rec)
        peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            target = ("127.0.0.1", _port(manager))
            peer.sendto(b"\r\n\r\n", target)  # a keep-alive: nothing to report
            peer.sendto(b"\x00\xff not sip at all", target)
            peer.sendto(options(extra="this line has no colon\r\n"), target)
            peer.sendto(b"A" * 5000, target)  # beyond the size limit
            await until(lambda: len(rec.items) >= 3, what="three errors")
            await asyncio.sleep(0.1)
            errors = [i.error for i in rec.items]
            assert len(errors) == 3  # the keep-alive said nothing
            assert all(isinstance(e, SipPeerError) for e in errors)
            # The bad line leaves headers to answer with: a 400 can be built.
            assert errors[1] is not None and errors[1].status == 400
            assert errors[1].headers is not None
            assert errors[2] is not None and errors[2].status == 513
        finally:
            peer.close()
            await manager.close()

    run(main())


def test_send_to_a_name_is_refused_without_blocking() -> None:
    async def main() -> None:
        rec = Recorder()
        manager = await _manager(rec)
        try:
            request = _request()
            manager.send(request, Peer("sip.example.com", 5060, "udp"))
            assert rec.failures and "not an IP address" in rec.failures[0][2]
        finally:
            await manager.close()

    run(main())


def test_trace_records_both_directions(tmp_path: Path) -> None:
    async def main() -> None:
        trace = TraceControl()
        trace.start(tmp_path / "t.pcap", include_options=True)
        rec = Recorder()
        manager = await _manager(rec, trace)
        peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        peer.bind(("127.0.0.1", 0))
        try:
            peer.sendto(options(port=peer.getsockname()[1]), ("127.0.0.1", _port(manager)))
            await until(lambda: rec.items)
            message = rec.items[0].message
            assert isinstance(message, Request)
            manager.send(build_response(message, 200, to_tag="t"), rec.items[0].source)
            await until(lambda: trace.status().messages >= 2, what="two traced messages")
        finally:
            peer.close()
            await manager.close()
            trace.stop()
        data = (tmp_path / "t.pcap").read_bytes()
        assert b"OPTIONS sip:sbc.lab.test" in data and b"SIP/2.0 200 OK" in data

    run(main())


def _request() -> Request:
    from sbc.sip import parse_datagram

    message = parse_datagram(options())
    assert isinstance(message, Request)
    return message
