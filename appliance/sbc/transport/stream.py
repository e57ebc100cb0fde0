"""One TCP or TLS connection: framing, CRLF keep-alive pongs, bounded buffers, trace.

Reading: bytes go into a `StreamFramer` (bounded by the configured message size); each
complete message, bad message or framing error goes up as an `Incoming`. A framing error
ends the connection (the stream is out of step), after the core had its chance to answer.
A CRLFCRLF ping gets its CRLF pong (RFC 5626 §4.4.1).

An incoming connection is `proven` once it framed a SIP message (a CRLF ping or bad
bytes do not count); until then the manager closes it after a short `unproven_timeout`.

Writing: `send` queues while an outgoing connection is still being set up, then writes;
a peer that stops reading is cut off once our write buffer passes `max_write_buffer`.

Draining (`TransportManager.drain_tls`): the connection is out of the reuse table but
still reads and answers. An outgoing one remembers the top Via of the last requests it
brought in (as received: responses copy it verbatim), so a response goes back over it
even when a newer connection to the same flow exists; an incoming one needs no memory,
as no other connection can have its key (the peer's port differs).

Trace: the decrypted bytes of each message. When one read completes exactly one message
(the usual case) the trace gets the bytes as they came; when a read carries several, each
is traced in its serialized form, which differs at most in header spelling.
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
from collections import deque
from typing import TYPE_CHECKING

from ..certs import tls as certs_tls
from ..sip import (
    BadMessage,
    KeepAlivePing,
    Request,
    Response,
    SipPeerError,
    StreamFramer,
)
from .peer import Incoming, Peer
from .tls import handshake_reason

if TYPE_CHECKING:
    from .manager import TransportManager

log = logging.getLogger(__name__)

READ_SIZE = 65536
RECENT_REQUESTS = 64  # top Vias remembered for routing responses while draining
Message = Request | Response


def _os_reason(exc: OSError) -> str:
    """'Connection refused' rather than asyncio's "Connect call failed ('1.2.3.4', 5)"."""
    if exc.errno:
        return os.strerror(exc.errno)
    return exc.strerror or str(exc)


def _top_via(message: Message) -> str | None:
    """The top Via as written (no parsing: this runs for every request over a stream)."""
    values = message.headers.values("Via")
    return values[0] if values else None


class StreamConnection:
    """A connection in the table; `outbound` ones were opened by us (and carry SNI)."""

    def __init__(self, manager: TransportManager, peer: Peer, *, outbound: bool) -> None:
        self.manager = manager
        self.peer = peer
        self.outbound = outbound
        self.state = "connecting"
        self.local: tuple[str, int] = ("0.0.0.0", 0)
        self.peer_names: tuple[str, ...] = ()
        self.framer = StreamFramer(manager.sip_limits)
        self.last_activity = manager.now()
        self.opened_at = self.last_activity
        self.proven = outbound  # an incoming one once it framed a SIP message
        self.messages_in = 0
        self.messages_out = 0
        self.draining_since: float | None = None
        self.drain_reason = ""
        self._vias: deque[str] | None = deque(maxlen=RECENT_REQUESTS) if outbound else None
        self._raw = bytearray()
        self._pending: list[tuple[Message, bytes]] = []
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    @property
    def tls(self) -> bool:
        return self.peer.transport == "tls"

    @property
    def open(self) -> bool:
        return self.state == "open"

    def start_draining(self, now: float, reason: str) -> None:
        """Out of the reuse table from now on (the manager moved it); see the docstring."""
        if self.draining_since is None:
            self.draining_since, self.drain_reason = now, reason

    def carried(self, response: Response) -> bool:
        """True if the request `response` answers came in over this connection."""
        if self._vias is None:
            return True  # incoming: the only connection with this key
        via = _top_via(response)
        return via is not None and via in self._vias

    def attach(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer
        sockname = writer.get_extra_info("sockname")
        if sockname:
            self.local = (str(sockname[0]), int(sockname[1]))
        if self.tls:
            peercert = writer.get_extra_info("peercert")
            self.peer_names = tuple(certs_tls.peer_names(peercert))
            if self.outbound and peercert:
                self.manager.remember_peer_cert(self.peer, peercert)
        self.state = "open"
        self.opened_at = self.last_activity = self.manager.now()
        pending, self._pending = self._pending, []
        for message, data in pending:
            self.send(message, data)

    # -- outgoing -----------------------------------------------------------------------

    async def connect(self) -> None:
        """Open the connection (TLS: our certificate, SNI, server verified), then read."""
        m = self.manager
        ctx = m.tls.client if self.tls and m.tls is not None else None
        if self.tls and ctx is None:
            self.close("TLS is not configured")
            return
        server_hostname = (self.peer.sni or self.peer.host) if ctx is not None else None
        bind = m.bind_address(self.peer)
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(
                    self.peer.host,
                    self.peer.port,
                    ssl=ctx,
                    server_hostname=server_hostname,
                    ssl_handshake_timeout=m.handshake_timeout if ctx is not None else None,
                    local_addr=(bind, 0) if bind is not None else None,
                ),
                timeout=m.connect_timeout,
            )
        except asyncio.CancelledError:
            self.close("cancelled")
            raise
        except ssl.SSLError as exc:
            reason = handshake_reason(exc)
            m.tls_failed(self.peer, reason, direction="out")
            self.close(f"TLS handshake failed: {reason}")
            return
        except TimeoutError:
            self.close("connect timed out")
            return
        except OSError as exc:
            self.close(f"connect failed: {_os_reason(exc)}")
            return
        if self.state == "closed":  # closed while connecting (shutdown, reload)
            writer.close()
            return
        self.attach(reader, writer)
        await self.run()

    # -- reading ------------------------------------------------------------------------

    async def run(self) -> None:
        """Read until the peer closes, an error, or `close`."""
        assert self._reader is not None
        try:
            while self.state == "open":
                data = await self._reader.read(READ_SIZE)
                if not data:
                    break
                self.received(data)
        except ssl.SSLError as exc:
            # TLS 1.3: a peer refusing our client certificate says so after the handshake.
            self.manager.tls_failed(
                self.peer, handshake_reason(exc), direction="out" if self.outbound else "in"
            )
        except (ConnectionError, OSError):
            pass
        finally:
            self.close("closed by peer")

    def received(self, data: bytes) -> None:
        """Bytes from the peer (decrypted); public so tests can feed it directly."""
        m = self.manager
        self.last_activity = m.now()
        self._raw += data
        try:
            events = self.framer.feed(data)
        except SipPeerError as err:
            m.stats.framing_errors += 1
            self._raw.clear()
            m.deliver(Incoming(self.peer, self.local, error=err, peer_names=self.peer_names))
            self.close(f"framing error: {err.reason}")
            return
        consumed = len(self._raw) - self.framer.buffered
        chunk = bytes(self._raw[:consumed])
        del self._raw[:consumed]
        items = [e for e in events if not isinstance(e, KeepAlivePing)]
        if len(items) == 1:
            m.trace_in(self, chunk.lstrip(b"\r\n"))
        for event in events:
            if isinstance(event, KeepAlivePing):
                m.stats.pings += 1
                self._write(event.reply)
                continue
            if len(items) > 1 and not isinstance(event, BadMessage):
                m.trace_in(self, event.to_bytes())
            self.messages_in += 1
            if self._vias is not None and isinstance(event, Request):
                via = _top_via(event)
                if via is not None:
                    self._vias.append(via)
            if isinstance(event, BadMessage):
                incoming = Incoming(self.peer, self.local, error=event.error,
                                    peer_names=self.peer_names)
            else:
                self.proven = True
                incoming = Incoming(self.peer, self.local, message=event,
                                    peer_names=self.peer_names)
            m.deliver(incoming)
            if self.state == "closed":
                return

    # -- writing ------------------------------------------------------------------------

    def send(self, message: Message, data: bytes) -> None:
        if self.state == "connecting":
            self._pending.append((message, data))
            return
        if self.state == "closed" or not self._write(data):
            self.manager.send_failed(message, self.peer, "connection closed")
            return
        self.messages_out += 1
        self.manager.trace_out(self, data)

    def _write(self, data: bytes) -> bool:
        writer = self._writer
        if writer is None or writer.is_closing():
            return False
        try:
            writer.write(data)
        except (ConnectionError, OSError, RuntimeError):
            self.close("write failed")
            return False
        self.last_activity = self.manager.now()
        if writer.transport.get_write_buffer_size() > self.manager.max_write_buffer:
            log.warning("%s: peer does not read; closing the connection", self.peer)
            writer.transport.abort()
            self.close("write buffer full")
        return True

    # -- closing ------------------------------------------------------------------------

    def close(self, reason: str = "") -> None:
        """Close (TLS: with close_notify) and fail whatever is still queued."""
        if self.state == "closed":
            return
        self.state = "closed"
        self.manager.forget(self, reason)
        if self._writer is not None and not self._writer.is_closing():
            self._writer.close()
        pending, self._pending = self._pending, []
        for message, _ in pending:
            self.manager.send_failed(message, self.peer, reason or "connection closed")

    def describe(self) -> dict[str, object]:
        return {
            "peer": str(self.peer),
            "direction": "out" if self.outbound else "in",
            "state": self.state,
            "draining": self.draining_since is not None,
            "local": f"{self.local[0]}:{self.local[1]}",
            "peer_names": list(self.peer_names),
            "messages_in": self.messages_in,
            "messages_out": self.messages_out,
        }
