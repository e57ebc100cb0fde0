"""The engine over a real UDP socket: allowlist drops, errors answered in one place,
OPTIONS answered with the TLS Contact and X-MS-SBC, requests sent and timed out."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sbc.app.runtime import identity as runtime_identity
from sbc.config import Config, loads
from sbc.config.model import Listener
from sbc.core import OptionsResponder, SipEngine, SourceGate, refuse_calls
from sbc.resolve import Target
from sbc.services import ServiceDeps, build_options
from sbc.sip import Request, Response, parse_datagram
from sbc.transport import Peer, TransportManager

from .kit import FQDN, options, run

LOOP = ipaddress.ip_address("127.0.0.1")
TEAMS_ONLY = """
sbc:
  fqdn: sbc.lab.test
  public_ip: 127.0.0.1
  listen:
    - {transport: udp, address: 127.0.0.1, port: 15060}
    - {transport: tls, address: 127.0.0.1, port: 15061}
  tls: {cert: /nonexistent/sbc.crt, key: /nonexistent/sbc.key, ca_bundle: /nonexistent/ca.pem}
connections:
  - {name: Teams, profile: teams-generic, allowlist: [127.0.0.1/32]}
"""


def teams_config() -> Config:
    return loads(TEAMS_ONLY, "test.yaml")


@dataclass
class Stack:
    engine: SipEngine
    manager: TransportManager
    responder: OptionsResponder
    port: int
    peer: socket.socket

    async def exchange(self, data: bytes, *, source: str = "127.0.0.1",
                       wait: float = 2.0) -> bytes | None:
        sock = self.peer if source == "127.0.0.1" else _socket(source)
        sock.sendto(data, ("127.0.0.1", self.port))
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(loop.sock_recv(sock, 65536), wait)
        except TimeoutError:
            return None
        finally:
            if sock is not self.peer:
                sock.close()


def _socket(host: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((host, 0))
    sock.setblocking(False)
    return sock


@asynccontextmanager
async def stack(config: Config | None = None) -> AsyncIterator[Stack]:
    config = config or teams_config()
    gate = SourceGate(config)
    engine = SipEngine(runtime_identity(config), gate)
    responder = OptionsResponder()
    engine.router.add("OPTIONS", responder)
    engine.router.add("INVITE", refuse_calls)
    manager = TransportManager(engine)
    engine.attach(manager)
    await manager.listen([Listener("udp", LOOP, 0)])
    port = next(p for t, _, p in manager.listening() if t == "udp")
    peer = _socket("127.0.0.1")
    try:
        yield Stack(engine, manager, responder, port, peer)
    finally:
        peer.close()
        await manager.close()
        engine.close()


def _parse(data: bytes | None) -> Response:
    assert data is not None, "no answer"
    message = parse_datagram(data)
    assert isinstance(message, Response)
    return message


def test_options_answer() -> None:
    async def main() -> None:
        async with stack() as s:
            port = s.peer.getsockname()[1]
            answer = _parse(await s.exchange(options(port=port)))
            assert answer.status == 200
            # Over UDP too: the TLS listening port and transport=tls (see identity.py).
            assert answer.headers.get("Contact") == f"<sip:{FQDN}:15061;transport=tls>"
            allow = answer.headers.get("Allow") or ""
            assert {"INVITE", "ACK", "CANCEL", "BYE", "OPTIONS", "REFER", "NOTIFY"} <= set(
                allow.replace(" ", "").split(","))
            assert answer.headers.get("Accept") == "application/sdp, multipart/mixed"
            assert "replaces" in (answer.headers.get("Supported") or "")
            assert answer.headers.get("X-MS-SBC") == "OpenSBC/Appliance/0.1.0"
            assert answer.to_addr.tag  # tagged
            seen = s.responder.status("Teams1")
            assert seen is not None and seen["count"] == 1 and seen["transport"] == "udp"

    run(main())


def test_options_are_answered_statelessly() -> None:
    """No server transaction for an OPTIONS outside a dialog: a retransmission gets
    another 200 (with received= and rport as the request's Via asks), nothing lingers."""
    async def main() -> None:
        async with stack() as s:
            port = s.peer.getsockname()[1]
            request = options(port=port)
            first = _parse(await s.exchange(request))
            again = _parse(await s.exchange(request))  # the same branch: a retransmission
            assert first.status == again.status == 200
            assert first.top_via.received == "127.0.0.1" and first.top_via.rport == port
            assert s.engine.layer.servers == {}
            seen = s.responder.status("Teams1")
            assert seen is not None and seen["count"] == 2

    run(main())


def test_unlisted_source_gets_nothing_and_is_counted() -> None:
    async def main() -> None:
        async with stack() as s:
            assert await s.exchange(options(host="127.0.0.2"), source="127.0.0.2",
                                    wait=0.3) is None
            assert await s.exchange(b"garbage", source="127.0.0.2", wait=0.3) is None
            snap = s.engine.gate.snapshot()
            assert snap["total"] == 2
            assert snap["sources"]["127.0.0.2"]["count"] == 2
            assert s.engine.counters.malformed == 0  # never even looked at

    run(main())


def test_errors_are_answered_in_one_place() -> None:
    async def main() -> None:
        async with stack() as s:
            port = s.peer.getsockname()[1]
            bad = _parse(await s.exchange(options("z9hG4bKe1", port=port,
                                                  extra="no colon here\r\n")))
            assert bad.status == 400
            assert bad.headers.get("X-MS-SBC")  # still says who we are to Teams
            required = _parse(await s.exchange(options("z9hG4bKe2", port=port,
                                                       extra="Require: foo\r\n")))
            assert required.status == 420 and required.headers.get("Unsupported") == "foo"
            message = options("z9hG4bKe3", port=port).replace(b"OPTIONS", b"MESSAGE")
            not_allowed = _parse(await s.exchange(message))
            assert not_allowed.status == 405 and "REFER" in (not_allowed.headers.get("Allow")
                                                            or "")
            cancel = options("z9hG4bKe4", port=port).replace(b"OPTIONS", b"CANCEL")
            assert _parse(await s.exchange(cancel)).status == 481
            assert s.engine.counters.malformed == 3
            assert s.engine.counters.error_answers == 3

    run(main())


def test_invite_is_refused_with_503_and_a_broken_handler_gives_500() -> None:
    async def main() -> None:
        async with stack() as s:
            port = s.peer.getsockname()[1]
            invite = options("z9hG4bKi1", port=port).replace(b"OPTIONS", b"INVITE")
            assert _parse(await s.exchange(invite)).status == 503

            def broken(ctx: object) -> None:
                raise RuntimeError("bug")

            s.engine.router.add("OPTIONS", broken)
            assert _parse(await s.exchange(options("z9hG4bKi2", port=port))).status == 500
            assert s.engine.counters.handler_errors == 1

    run(main())


def test_request_outcomes() -> None:
    async def main() -> None:
        config = teams_config()
        async with stack(config) as s:
            loop = asyncio.get_running_loop()
            peer_port = s.peer.getsockname()[1]
            target = Target("udp", ipaddress.ip_address("127.0.0.1"), peer_port, None)
            deps = ServiceDeps(s.engine, None, s.engine.gate, None, random=_counter())
            request = build_options(config.connections[0], target, deps)
            pending = asyncio.create_task(s.engine.request(request, Peer("127.0.0.1",
                                                                         peer_port, "udp"),
                                                           timeout=3))
            data = await asyncio.wait_for(loop.sock_recv(s.peer, 65536), 3)
            got = parse_datagram(data)
            assert isinstance(got, Request)
            answer = (data.split(b"\r\n", 1)[1]).split(b"\r\n\r\n", 1)[0]
            reply = b"SIP/2.0 200 OK\r\n" + b"\r\n".join(
                line for line in answer.split(b"\r\n")
                if line.split(b":", 1)[0] in (b"Via", b"From", b"To", b"Call-ID", b"CSeq")
            ) + b"\r\nContent-Length: 0\r\n\r\n"
            s.peer.sendto(reply, ("127.0.0.1", s.port))
            outcome = await pending
            assert outcome.status == 200 and outcome.rtt is not None and outcome.rtt < 3

            silent = build_options(config.connections[0], target, deps)
            outcome = await s.engine.request(silent, Peer("127.0.0.1", peer_port, "udp"),
                                             timeout=0.3)
            assert outcome.response is None and outcome.timed_out

    run(main())


def test_outgoing_options_carry_the_fqdn_never_an_ip() -> None:
    """AT-1: Via sent-by, Contact and From carry the FQDN; X-MS-SBC for Teams."""
    config = teams_config()
    gate = SourceGate(config)
    engine = SipEngine(runtime_identity(config), gate)
    deps = ServiceDeps(engine, None, gate, None, random=_counter())
    target = Target("tls", ipaddress.ip_address("52.114.1.1"), 5061, "sip.pstnhub.microsoft.com")
    request = build_options(config.connections[0], target, deps)
    text = request.to_bytes().decode()
    assert str(request.uri) == "sip:sip.pstnhub.microsoft.com:5061;transport=tls"
    assert request.top_via.host == FQDN and request.top_via.port == 15061
    assert request.top_via.transport == "TLS"
    assert request.headers.get("Contact") == f"<sip:{FQDN}:15061;transport=tls>"
    assert request.from_addr.uri.host == FQDN
    assert request.headers.get("X-MS-SBC") == "OpenSBC/Appliance/0.1.0"
    for name in ("Via", "Contact", "From", "Record-Route"):
        for value in request.headers.get_all(name):
            assert not re.search(r"\d+\.\d+\.\d+\.\d+", value), (name, value)
    assert "52.114.1.1" not in text


def test_classify_prefers_transport_then_certificate_names() -> None:
    config = loads(TEAMS_ONLY + (
        "  - {name: Pbx, profile: generic, host: 127.0.0.1, port: 5099, transport: udp}\n"
    ), "test.yaml")
    gate = SourceGate(config)
    names = lambda found: [c.name for c in found]  # noqa: E731
    assert names(gate.classify("127.0.0.1", "udp")) == ["Pbx"]
    assert names(gate.classify("127.0.0.1", "tls")) == ["Teams1", "Teams2", "Teams3"]
    assert names(gate.classify("127.0.0.1", "tls", ["sip2.pstnhub.microsoft.com"])) == [
        "Teams2"]
    assert names(gate.classify("127.0.0.1", "tls", ["*.pstnhub.microsoft.com"])) == [
        "Teams1", "Teams2", "Teams3"]
    assert gate.classify("192.0.2.1", "udp") == ()
    assert not gate.allowed("192.0.2.1") and gate.allowed("127.0.0.1")
    # A connection without an allowlist admits what its host resolves to.
    config2 = loads(TEAMS_ONLY + (
        "  - {name: Carrier, profile: generic, host: carrier.example, transport: tcp}\n"
    ), "test.yaml")
    gate2 = SourceGate(config2)
    assert not gate2.allowed("198.51.100.7")
    gate2.update_resolved("Carrier", ["198.51.100.7"])
    assert gate2.allowed("198.51.100.7")
    assert names(gate2.classify("198.51.100.7", "tcp")) == ["Carrier"]


def test_dropped_sources_are_logged_once_per_interval() -> None:
    logged: list[tuple[str, int, float | None]] = []

    class Events:
        def dropped_source(self, addr: str, count: int, *, method: str | None = None,
                           interval_s: float | None = None) -> None:
            logged.append((addr, count, interval_s))

    gate = SourceGate(teams_config(), Events(), interval=60)
    for t in range(5):
        gate.drop("203.0.113.9", "OPTIONS", now=float(t), wall=0.0)
    assert logged == [("203.0.113.9", 1, None)]  # the first at once
    gate.flush(30.0)
    assert len(logged) == 1  # the interval is not over
    gate.flush(61.0)
    assert logged[-1] == ("203.0.113.9", 4, 60)  # the rest summed up
    gate.flush(200.0)
    assert len(logged) == 2  # nothing new, nothing logged
    assert gate.snapshot()["total"] == 5


def _counter():
    state = {"n": 0}

    def rand(n: int) -> bytes:
        state["n"] += 1
        return bytes((state["n"] + i) % 256 for i in range(n))

    return rand
