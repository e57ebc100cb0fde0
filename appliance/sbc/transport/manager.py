"""`TransportManager`: the listeners, the connection table and the one `send` for all.

Connection reuse: stream connections live in a table keyed by (transport, remote host,
remote port, SNI). A response goes back over the connection its request came on (the
request's source `Peer` is that key); an outgoing request reuses an open (or opening)
connection to the same target and name, else opens one. Incoming connections have no SNI
in their key, so they are never mistaken for a connection to a named target.

Hosts are IP addresses here: names are resolved above (RFC 3263), never by a blocking
lookup inside the event loop.

Draining (after a new certificate, `drain_tls`): Microsoft asks that existing TLS
connections be closed after a renewal so that its proxies reconnect and see the new
certificate, but closing them at once loses the answers still due over them. So each open
TLS connection leaves the reuse table (the next request opens a new connection, with the
new certificate), keeps carrying the responses to requests that came over it, and is
closed by the sweeper once the receiver's optional `flow_busy(peer)` says no transaction
uses it any more, or after `DRAIN_LIMIT` seconds at the most.

Shedding and slots: a datagram is checked against the receiver's optional
`admit_datagram` before it is parsed, so a flood from outside every allowlist costs a
lookup per datagram, not a parse. Incoming connections are capped per source address and
pooled (`admission`), and one that has not framed a SIP message within
`unproven_timeout` is closed long before the idle timeout.

Source address: outgoing TCP/TLS connections are bound to the address of the listener of
their transport when that is a specific address, so a peer or firewall that checks the
source sees the SBC's listen address, not whatever the kernel would pick.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any, Literal, Protocol, runtime_checkable

from ..certs import tls as certs_tls
from ..config.model import Listener
from ..logs import EventLog
from ..sip import Endpoint, Limits, Request, Response, SipPeerError, parse_datagram
from ..trace import TraceControl
from .accept import TlsListener, open_accepted
from .admission import Asked, Slots
from .peer import FlowKey, Incoming, Peer, Receiver
from .stream import StreamConnection
from .tls import TlsContexts, handshake_reason, limit_tls_read_buffer
from .udp import UdpListener

log = logging.getLogger(__name__)

Message = Request | Response

DRAIN_LIMIT = 32.0  # seconds: 64*T1, the longest a transaction waits for its last message


@runtime_checkable
class FlowAware(Protocol):
    """The optional receiver hook that lets a draining connection close early."""

    def flow_busy(self, peer: Peer) -> bool:
        """True while a transaction still sends or waits for messages over `peer`."""


@dataclass
class TransportStats:
    udp_in: int = 0
    udp_out: int = 0
    stream_in: int = 0
    stream_out: int = 0
    connections_in: int = 0
    connections_out: int = 0
    refused_connections: int = 0
    refused_per_source: int = 0  # of those, over `max_per_source`
    shed: int = 0  # datagrams dropped unread (source outside every allowlist)
    tls_failures_in: int = 0
    tls_failures_out: int = 0
    framing_errors: int = 0
    send_failures: int = 0
    idle_closed: int = 0
    unproven_closed: int = 0  # incoming, no SIP message within `unproven_timeout`
    pings: int = 0
    internal_errors: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class TransportSettings:
    message_limits: Limits = Limits()
    max_connections: int = 1024  # incoming stream connections (configured peers apart)
    max_per_source: int = 64  # incoming stream connections from one address
    idle_timeout: float = 600.0
    unproven_timeout: float = 20.0  # incoming, until the first SIP message
    connect_timeout: float = 10.0
    handshake_timeout: float = 10.0
    max_write_buffer: int = 1024 * 1024
    sweep_interval: float = 5.0


def _version(host: str) -> int:
    """The IP version of an address (hosts are addresses here, `_is_ip`): a colon is
    enough to tell, where `ipaddress` parsed the whole address for every datagram."""
    return 6 if ":" in host else 4


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class TransportManager:
    def __init__(
        self,
        receiver: Receiver,
        *,
        settings: TransportSettings = TransportSettings(),
        tls: TlsContexts | None = None,
        trace: TraceControl | None = None,
        events: EventLog | None = None,
        describe: Callable[[Peer], str | None] = lambda peer: None,
        trace_ip: str | None = None,
    ) -> None:
        limit_tls_read_buffer()
        self.receiver = receiver
        self.settings = settings
        self.tls = tls
        self.trace = trace or TraceControl()
        self.events = events
        self.describe = describe
        self.trace_ip = trace_ip  # shown as our address in traces when bound to 0.0.0.0
        self.stats = TransportStats()
        self.connections: dict[FlowKey, StreamConnection] = {}  # the reuse table
        self.draining: list[StreamConnection] = []  # out of the table, closed when done
        self.peer_certs: dict[FlowKey, dict[str, Any]] = {}
        self.udp: list[UdpListener] = []
        self._servers: list[tuple[Listener, asyncio.Server | TlsListener]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.Task[None] | None = None
        self._closing = False
        self.slots = Slots()
        self._asked = Asked()
        self._admit_datagram = getattr(receiver, "admit_datagram", None)
        self._reserved_peer = getattr(receiver, "reserved_peer", None)

    def reconfigure(self, settings: TransportSettings, *, trace_ip: str | None,
                    events: EventLog | None) -> None:
        """New limits, trace address and event log (a reload); open connections go on."""
        self.settings = settings
        self.trace_ip = trace_ip
        self.events = events

    # -- settings the connections read ---------------------------------------------------

    @property
    def sip_limits(self) -> Limits:
        return self.settings.message_limits

    @property
    def connect_timeout(self) -> float:
        return self.settings.connect_timeout

    @property
    def handshake_timeout(self) -> float:
        return self.settings.handshake_timeout

    @property
    def max_write_buffer(self) -> int:
        return self.settings.max_write_buffer

    @staticmethod
    def now() -> float:
        return asyncio.get_running_loop().time()

    # -- listening ----------------------------------------------------------------------

    async def listen(self, listeners: Sequence[Listener]) -> None:
        """Open every listener; OSError (port in use) names the listener."""
        loop = asyncio.get_running_loop()
        for item in listeners:
            host = str(item.address)
            try:
                if item.transport == "udp":
                    family = socket.AF_INET6 if item.address.version == 6 else socket.AF_INET
                    _, protocol = await loop.create_datagram_endpoint(
                        lambda: UdpListener(self), local_addr=(host, item.port), family=family
                    )
                    self.udp.append(protocol)
                else:
                    if item.transport == "tls" and self.tls is None:
                        raise OSError("a TLS listener needs the certificate files")
                    server: asyncio.Server | TlsListener
                    if item.transport == "tls":
                        family = socket.AF_INET6 if item.address.version == 6 \
                            else socket.AF_INET
                        server = await TlsListener.start(host, item.port, family,
                                                         self._tls_accepted)
                    else:
                        server = await asyncio.start_server(
                            self._acceptor(item.transport), host, item.port,
                            reuse_address=True)
                    self._servers.append((item, server))
            except OSError as exc:
                raise OSError(
                    exc.errno, f"cannot listen on {item.transport} {host}:{item.port}: "
                    f"{exc.strerror or exc}"
                ) from exc
        self._start_sweeper()

    def _start_sweeper(self) -> None:
        if self._sweeper is None:
            self._sweeper = asyncio.create_task(self._sweep())

    async def stop_listening(self) -> None:
        for protocol in self.udp:
            protocol.close()
        self.udp.clear()
        servers, self._servers = self._servers, []
        for _, server in servers:
            server.close()
        for _, server in servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 2)

    async def close(self) -> None:
        """Stop listening and close every connection."""
        self._closing = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        await self.stop_listening()
        for conn in [*self.connections.values(), *self.draining]:
            conn.close("shutting down")
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2)

    def listening(self) -> list[tuple[str, str, int]]:
        """(transport, address, port) actually bound (port 0 resolved)."""
        out = [("udp", *p.local) for p in self.udp]
        for item, server in self._servers:
            for sock in server.sockets:
                name = sock.getsockname()
                out.append((item.transport, str(name[0]), int(name[1])))
        return out

    # -- incoming -----------------------------------------------------------------------

    def udp_received(self, listener: UdpListener, data: bytes, addr: tuple[str, int]) -> None:
        self.stats.udp_in += 1
        source = Peer(str(addr[0]), int(addr[1]), "udp")
        if not self._source_ok(source, data):
            self.stats.shed += 1
            return
        self.trace.record("udp", (source.host, source.port), self._trace_local(listener.local),
                          data)
        if not data.strip(b"\r\n\x00 "):
            return  # a keep-alive
        try:
            message = parse_datagram(data, self.sip_limits)
        except SipPeerError as err:
            self.deliver(Incoming(source, listener.local, error=err, raw=data))
            return
        self.deliver(Incoming(source, listener.local, message=message, raw=data))

    def _source_ok(self, source: Peer, data: bytes) -> bool:
        """The receiver's unparsed check, or an answer from a host we asked."""
        check = self._admit_datagram
        if check is None or (data.startswith(b"SIP/2.0 ") and source.host in self._asked):
            return True
        try:
            return bool(check(source, data))
        except Exception:
            self.stats.internal_errors += 1
            log.exception("admit_datagram failed for %s", source)
            return False

    def _acceptor(
        self, kind: str
    ) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await self._accept(reader, writer, kind)

        return accept

    async def _accept(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, kind: str
    ) -> None:
        peername = writer.get_extra_info("peername")
        peer = Peer(str(peername[0]), int(peername[1]), kind)
        if not self._source_slot(peer):
            writer.transport.abort()
            return
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        try:
            await self._admit(reader, writer, peer)
        finally:
            self.slots.release_source(peer.host)

    def _source_slot(self, peer: Peer) -> bool:
        """A slot under the per-source cap, taken (False: refused, and counted)."""
        if self._closing or self.slots.source_full(peer.host, self.settings.max_per_source):
            if not self._closing:
                self.stats.refused_per_source += 1
            self.stats.refused_connections += 1
            return False
        self.slots.take_source(peer.host)
        return True

    def _tls_accepted(self, sock: socket.socket, addr: tuple[str, int]) -> None:
        """A TLS connection accepted bare: the per-source cap now, the rest in its task
        (`accept`: nothing reads the socket before the TLS layer does)."""
        peer = Peer(addr[0], addr[1], "tls")
        if not self._source_slot(peer):
            sock.close()
            return
        task = asyncio.create_task(self._tls_connection(sock, peer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _tls_connection(self, sock: socket.socket, peer: Peer) -> None:
        """Allowlist, TLS handshake (a certificate may earn a reserved slot), pool, run."""
        try:
            if not self._admitted(peer):
                self.stats.refused_connections += 1
                sock.close()
                return
            assert self.tls is not None
            try:
                reader, writer = await open_accepted(sock, self.tls.server,
                                                     self.settings.handshake_timeout)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # every handshake failure: log, carry on
                self.tls_failed(peer, handshake_reason(exc), direction="in")
                return
            names = tuple(certs_tls.peer_names(writer.get_extra_info("peercert")))
            reserved = self._reserved(peer, ()) or (bool(names) and self._reserved(peer, names))
            if self.slots.pool_full(reserved, self.settings.max_connections):
                self._refuse(writer)
                return
            await self._run_incoming(reader, writer, peer, reserved)
        finally:
            self.slots.release_source(peer.host)

    def _admitted(self, peer: Peer) -> bool:
        """The receiver's allowlist verdict for a new connection."""
        try:
            return bool(self.receiver.admit_connection(peer))
        except Exception:
            log.exception("admit_connection failed for %s", peer)
            self.stats.internal_errors += 1
            return False

    async def _admit(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: Peer
    ) -> None:
        """Allowlist and pool for a TCP connection, then run it."""
        admitted = self._admitted(peer)
        reserved = admitted and self._reserved(peer, ())
        if not admitted or self.slots.pool_full(reserved, self.settings.max_connections):
            self._refuse(writer)
            return
        await self._run_incoming(reader, writer, peer, reserved)

    async def _run_incoming(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                            peer: Peer, reserved: bool) -> None:
        conn = StreamConnection(self, peer, outbound=False)
        self.slots.take(reserved)
        try:
            self.connections[peer.key] = conn
            self.stats.connections_in += 1
            conn.attach(reader, writer)
            await conn.run()
        finally:
            conn.close("ended")
            self.slots.release(reserved)

    def _refuse(self, writer: asyncio.StreamWriter) -> None:
        self.stats.refused_connections += 1
        writer.transport.abort()

    def _reserved(self, peer: Peer, names: tuple[str, ...]) -> bool:
        """The receiver's optional verdict: a configured peer gets a reserved slot."""
        check = self._reserved_peer
        if check is None:
            return False
        try:
            return bool(check(peer, names))
        except Exception:
            self.stats.internal_errors += 1
            log.exception("reserved_peer failed for %s", peer)
            return False

    def deliver(self, incoming: Incoming) -> None:
        """Hand one item up; an exception above is logged and counted, never raised here."""
        if incoming.source.transport != "udp" and incoming.message is not None:
            self.stats.stream_in += 1
        try:
            self.receiver.receive(incoming)
        except Exception:
            self.stats.internal_errors += 1
            log.exception("error handling a message from %s", incoming.source)

    # -- outgoing -----------------------------------------------------------------------

    def send(self, message: Message, dest: Endpoint) -> None:
        """Send now (UDP) or over the flow's connection, opening one for a request."""
        peer = Peer.of(dest)
        if not _is_ip(peer.host):
            self.send_failed(message, peer, f"{peer.host} is not an IP address")
            return
        data = message.to_bytes()
        if peer.transport == "udp":
            self._send_udp(message, peer, data)
            return
        conn = self._connection_for(message, peer)
        if conn is None:
            if isinstance(message, Response) or self._closing:
                # §18.2.2: the connection a request came on is gone, and a peer's ephemeral
                # port cannot be connected to; the peer's retransmission will be answered.
                self.send_failed(message, peer, "the connection is closed")
                return
            conn = self._open(peer)
        conn.send(message, data)

    def _connection_for(self, message: Message, peer: Peer) -> StreamConnection | None:
        """The table's connection for `peer`; for a response, a draining connection the
        request came over (or the only one left for that flow)."""
        conn = self.connections.get(peer.key)
        if not isinstance(message, Response) or not self.draining:
            return conn
        for old in self.draining:
            if old.peer.key == peer.key and (conn is None or old.carried(message)):
                return old
        return conn

    def _send_udp(self, message: Message, peer: Peer, data: bytes) -> None:
        version = _version(peer.host)
        listener = next((u for u in self.udp if u.family_version == version), None)
        if listener is None or listener.transport is None:
            self.send_failed(message, peer, f"no UDP listener for IPv{version}")
            return
        try:
            listener.transport.sendto(data, (peer.host, peer.port))
        except OSError as exc:
            self.send_failed(message, peer, f"send failed: {exc.strerror or exc}")
            return
        self.stats.udp_out += 1
        if isinstance(message, Request):
            self._asked.add(peer.host)
        self.trace.record("udp", self._trace_local(listener.local), (peer.host, peer.port), data)

    def bind_address(self, peer: Peer) -> str | None:
        """Where an outgoing connection to `peer` leaves from: the address of the
        listener of its transport and IP version, if one is bound to a specific address."""
        version = _version(peer.host)
        for item, _ in self._servers:
            address = item.address
            if item.transport == peer.transport and address.version == version \
                    and not address.is_unspecified:
                return str(address)
        return None

    def _open(self, peer: Peer) -> StreamConnection:
        conn = StreamConnection(self, peer, outbound=True)
        self.connections[peer.key] = conn
        self.stats.connections_out += 1
        task = asyncio.create_task(conn.connect())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return conn

    def send_failed(self, message: Message, dest: Peer, reason: str) -> None:
        self.stats.send_failures += 1
        try:
            self.receiver.send_failed(message, dest, reason)
        except Exception:
            self.stats.internal_errors += 1
            log.exception("send_failed handler raised")

    # -- bookkeeping for connections -------------------------------------------------

    def forget(self, conn: StreamConnection, reason: str) -> None:
        if self.connections.get(conn.peer.key) is conn:
            del self.connections[conn.peer.key]
        elif conn in self.draining:
            self.draining.remove(conn)
            if conn.peer.key in self.connections:
                # Its successor carries the flow now: the SIP layer has lost nothing.
                log.debug("%s (draining) closed: %s", conn.peer, reason)
                return
        log.debug("%s closed: %s", conn.peer, reason)
        try:
            self.receiver.connection_lost(conn.peer, reason)
        except Exception:
            self.stats.internal_errors += 1
            log.exception("connection_lost handler raised")

    def remember_peer_cert(self, peer: Peer, peercert: dict[str, Any]) -> None:
        """The verified certificate of a server we connected to, for `sbc status`."""
        short = {"commonName": "CN", "organizationName": "O"}
        subject = ", ".join(
            f"{short[k]}={v}" for rdn in peercert.get("subject", ()) for k, v in rdn if k in short
        )
        try:
            not_after: float | None = float(ssl.cert_time_to_seconds(peercert["notAfter"]))
        except (KeyError, ValueError):
            not_after = None
        if len(self.peer_certs) >= 256:
            self.peer_certs.pop(next(iter(self.peer_certs)))
        self.peer_certs[peer.key] = {"subject": subject, "not_after": not_after}

    def tls_failed(self, peer: Peer, reason: str, *, direction: Literal["in", "out"]) -> None:
        if direction == "in":
            self.stats.tls_failures_in += 1
        else:
            self.stats.tls_failures_out += 1
        name = peer.sni or peer.host
        where = f"{name}:{peer.port}" if ":" not in name else f"[{name}]:{peer.port}"
        if self.events is not None:
            self.events.tls_failure(where, reason, conn=self.describe(peer), direction=direction)
        else:
            log.warning("TLS handshake %s %s failed: %s",
                        "to" if direction == "out" else "from", where, reason)

    def trace_in(self, conn: StreamConnection, data: bytes) -> None:
        self.trace.record(conn.peer.transport, (conn.peer.host, conn.peer.port),  # type: ignore[arg-type]
                          self._trace_local(conn.local), data)

    def trace_out(self, conn: StreamConnection, data: bytes) -> None:
        self.stats.stream_out += 1
        self.trace.record(conn.peer.transport, self._trace_local(conn.local),  # type: ignore[arg-type]
                          (conn.peer.host, conn.peer.port), data)

    def _trace_local(self, local: tuple[str, int]) -> tuple[str, int]:
        if self.trace_ip and local[0] in ("0.0.0.0", "::"):
            return (self.trace_ip, local[1])
        return local

    def close_tls(self, reason: str = "certificate changed") -> int:
        """Close every TLS connection at once, draining ones too (`drain_tls` is the
        graceful way); outgoing ones are opened again by the next request. Returns how
        many were closed."""
        tls = [c for c in [*self.connections.values(), *self.draining] if c.tls]
        for conn in tls:
            conn.close(reason)
        return len(tls)

    def drain_tls(self, reason: str = "new certificate") -> int:
        """Drain every TLS connection open now (see the module docstring): new requests
        open new connections, these close once no transaction needs them. Returns how
        many connections were set draining."""
        now = self.now()
        tls = [c for c in self.connections.values() if c.tls]
        for conn in tls:
            del self.connections[conn.peer.key]
            conn.start_draining(now, reason)
            self.draining.append(conn)
        self._close_drained(now)
        if self.draining:
            self._start_sweeper()
        return len(tls)

    def _close_drained(self, now: float) -> None:
        """Close each draining connection no transaction needs, or past `DRAIN_LIMIT`."""
        for conn in list(self.draining):
            overdue = now - (conn.draining_since or now) >= DRAIN_LIMIT
            if overdue:
                conn.close(f"{conn.drain_reason}: drained after {DRAIN_LIMIT:g} s")
            elif conn.open and not self._flow_busy(conn.peer):
                conn.close(f"{conn.drain_reason}: drained")

    def _flow_busy(self, peer: Peer) -> bool:
        """Ask the receiver (optional hook); without one a flow is never busy."""
        if not isinstance(self.receiver, FlowAware):
            return False
        try:
            return bool(self.receiver.flow_busy(peer))
        except Exception:
            self.stats.internal_errors += 1
            log.exception("flow_busy handler raised")
            return False

    async def _sweep(self) -> None:
        """Close connections idle for longer than the idle timeout, incoming ones that
        sent no SIP message in time, and drained ones."""
        while True:
            await asyncio.sleep(self.settings.sweep_interval)
            now = self.now()
            limits = self.settings
            for conn in list(self.connections.values()):
                if not conn.open:
                    continue
                if now - conn.last_activity > limits.idle_timeout:
                    self.stats.idle_closed += 1
                    conn.close("idle timeout")
                elif not conn.proven and now - conn.opened_at > limits.unproven_timeout:
                    self.stats.unproven_closed += 1
                    conn.close(f"no SIP message within {limits.unproven_timeout:g} s")
            self._close_drained(now)

    def snapshot(self) -> dict[str, object]:
        return {
            "listening": [f"{t} {a}:{p}" for t, a, p in self.listening()],
            "connections": [c.describe() for c in [*self.connections.values(),
                                                   *self.draining]],
            "stats": self.stats.as_dict(),
        }

