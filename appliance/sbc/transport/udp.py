"""The UDP listener: one datagram is one message (RFC 3261 §18.3; bytes after
Content-Length are ignored by the parser). Parsing happens in the manager.

The socket asks for a 4 MiB receive buffer (as Kamailio does), so a burst that arrives
while the event loop is busy waits in the kernel instead of being dropped; the kernel
caps it at net.core.rmem_max."""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from .manager import TransportManager

log = logging.getLogger(__name__)

RECEIVE_BUFFER = 4 * 1024 * 1024


class UdpListener(asyncio.DatagramProtocol):
    def __init__(self, manager: TransportManager) -> None:
        self.manager = manager
        self.transport: asyncio.DatagramTransport | None = None
        self.local: tuple[str, int] = ("0.0.0.0", 0)
        self.family_version = 4

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Python 3.11's selector datagram transport does not subclass DatagramTransport.
        self.transport = cast(asyncio.DatagramTransport, transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
            except OSError as exc:  # best effort: the default buffer still works
                log.debug("cannot enlarge the UDP receive buffer: %s", exc)
        name = transport.get_extra_info("sockname")
        self.local = (str(name[0]), int(name[1]))
        self.family_version = 6 if ":" in self.local[0] else 4

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            self.manager.udp_received(self, data, addr)
        except Exception:  # a bug above must not end the listener
            self.manager.stats.internal_errors += 1
            log.exception("error handling a datagram from %s", addr)

    def error_received(self, exc: Exception) -> None:
        # ICMP errors (port unreachable) for earlier sends; transactions time out anyway.
        log.debug("UDP error: %s", exc)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
