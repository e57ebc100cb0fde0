"""Datagram sinks: the local syslog socket and a remote server over UDP (RFC 5426).

Both send with non-blocking sockets from the caller's thread: a datagram either goes
out at once or is dropped and counted. Nothing here waits, retries in a loop or raises.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from .local_format import format_local
from .rfc5424 import DEFAULT_MAX_SIZE, SyslogRecord, format_rfc5424

log = logging.getLogger(__name__)


def format_endpoint(host: str, port: int) -> str:
    """host:port, with IPv6 addresses in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass(frozen=True)
class SinkStats:
    """What `sbc status` can show per sink."""

    name: str
    sent: int
    dropped: int
    queued: int = 0
    connected: bool | None = None


class Sink(Protocol):
    """Where formatted records go. submit() never blocks and never raises."""

    name: str

    async def start(self) -> None: ...

    def submit(self, record: SyslogRecord) -> None: ...

    async def close(self) -> None: ...

    def stats(self) -> SinkStats: ...


class LocalSink:
    """The local syslog socket (/dev/log), owned by journald or rsyslog on the appliance.

    If the socket does not exist (tests, containers) the sink stays quiet; it looks again
    at most once per `retry_interval` seconds, so a journald restart is survived.
    """

    def __init__(
        self,
        path: str = "/dev/log",
        *,
        retry_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = f"local:{path}"
        self._path = path
        self._retry_interval = retry_interval
        self._clock = clock
        self._sock: socket.socket | None = None
        self._last_attempt: float | None = None
        self.sent = 0
        self.dropped = 0

    async def start(self) -> None:
        self._connect()

    def _connect(self) -> socket.socket | None:
        self._last_attempt = self._clock()
        if not os.path.exists(self._path):
            return None
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.setblocking(False)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            return None
        self._sock = sock
        return sock

    def submit(self, record: SyslogRecord) -> None:
        sock = self._sock
        if sock is None:
            last = self._last_attempt
            if last is not None and self._clock() - last < self._retry_interval:
                return
            sock = self._connect()
            if sock is None:
                return
        try:
            sock.send(format_local(record, datetime.now().astimezone()))
            self.sent += 1
        except BlockingIOError:
            self.dropped += 1
        except OSError:
            # The daemon went away (ECONNREFUSED) or the datagram was too big (EMSGSIZE).
            self.dropped += 1
            self._drop_socket()

    def _drop_socket(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    async def close(self) -> None:
        self._drop_socket()

    def stats(self) -> SinkStats:
        return SinkStats(self.name, self.sent, self.dropped, 0, self._sock is not None)


class UdpSink:
    """RFC 5426: one RFC 5424 message per datagram, fire and forget."""

    def __init__(self, host: str, port: int, *, max_size: int = DEFAULT_MAX_SIZE) -> None:
        self.name = f"udp:{format_endpoint(host, port)}"
        self._host = host
        self._port = port
        self._max_size = max_size
        self._sock: socket.socket | None = None
        self.sent = 0
        self.dropped = 0

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(self._host, self._port, type=socket.SOCK_DGRAM)
        except OSError as exc:
            log.warning("remote syslog %s: cannot resolve: %s", self.name, exc)
            return
        family, type_, proto, _, addr = infos[0]
        sock = socket.socket(family, type_, proto)
        sock.setblocking(False)
        try:
            sock.connect(addr)
        except OSError as exc:
            sock.close()
            log.warning("remote syslog %s: %s", self.name, exc)
            return
        self._sock = sock

    def submit(self, record: SyslogRecord) -> None:
        if self._sock is None:
            self.dropped += 1
            return
        try:
            self._sock.send(format_rfc5424(record, self._max_size))
            self.sent += 1
        except OSError:
            # BlockingIOError when the socket buffer is full; ECONNREFUSED after an ICMP
            # port unreachable from an earlier datagram. UDP syslog is lossy by design.
            self.dropped += 1

    async def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def stats(self) -> SinkStats:
        return SinkStats(self.name, self.sent, self.dropped, 0, None)
