"""A TLS port that lets the SBC refuse a connection before any handshake, on every loop.

The SBC checks a connection's source (allowlist, per-source cap, pool) before it spends
a handshake on it. Starting TLS on an already-running stream (`start_tls`) leaves a gap:
a ClientHello read before `start_tls` runs lands in the plain stream's buffer, out of
the TLS layer's reach, and the handshake stalls until its timeout. uvloop starts reading
every accepted connection at once (asyncio's loop one iteration later), so under load
the gap was hit. Here the socket is accepted bare, checked, and only then handed to the
loop with the TLS context (`connect_accepted_socket`): nothing reads it before the TLS
layer is in place, whichever loop runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from collections.abc import Callable

log = logging.getLogger(__name__)

ACCEPT_PAUSE = 0.1  # seconds to wait after accept() failed (out of file descriptors)

Accepted = Callable[[socket.socket, tuple[str, int]], None]


class TlsListener:
    """`asyncio.Server`'s place for a TLS port: accepts and calls `accepted(sock, addr)`
    synchronously, which either closes the socket or starts its task."""

    def __init__(self, sock: socket.socket, accepted: Accepted) -> None:
        self._sock = sock
        self._accepted = accepted
        self._task: asyncio.Task[None] | None = None

    @classmethod
    async def start(cls, host: str, port: int, family: int,
                    accepted: Accepted) -> TlsListener:
        """Listening on host:port (OSError when the port is taken)."""
        sock = socket.create_server((host, port), family=family, backlog=128)
        sock.setblocking(False)
        listener = cls(sock, accepted)
        listener._task = asyncio.create_task(listener._run())
        return listener

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        return () if self._sock.fileno() < 0 else (self._sock,)

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        self._sock.close()

    async def wait_closed(self) -> None:
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                conn, addr = await loop.sock_accept(self._sock)
            except OSError as exc:  # EMFILE and the like: the backlog waits meanwhile
                if self._sock.fileno() < 0:
                    return
                log.warning("cannot accept a TLS connection: %s", exc)
                await asyncio.sleep(ACCEPT_PAUSE)
                continue
            try:
                self._accepted(conn, (str(addr[0]), int(addr[1])))
            except Exception:
                log.exception("error accepting a TLS connection from %s", addr)
                conn.close()


async def open_accepted(sock: socket.socket, context: ssl.SSLContext,
                        timeout: float) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """The TLS handshake on an accepted socket, then the stream pair. The socket belongs
    to the loop from here on, closed by it when the handshake fails."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(loop=loop)
    protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
    transport, _ = await loop.connect_accepted_socket(
        lambda: protocol, sock, ssl=context, ssl_handshake_timeout=timeout)
    return reader, asyncio.StreamWriter(transport, protocol, reader, loop)
