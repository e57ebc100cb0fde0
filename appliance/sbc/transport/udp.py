"""The UDP listener: one datagram is one message (RFC 3261 §18.3; bytes after
Content-Length are ignored by the parser). Parsing happens in the manager."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from .manager import TransportManager

log = logging.getLogger(__name__)


class UdpListener(asyncio.DatagramProtocol):
    def __init__(self, manager: TransportManager) -> None:
        self.manager = manager
        self.transport: asyncio.DatagramTransport | None = None
        self.local: tuple[str, int] = ("0.0.0.0", 0)
        self.family_version = 4

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Python 3.11's selector datagram transport does not subclass DatagramTransport.
        self.transport = cast(asyncio.DatagramTransport, transport)
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
