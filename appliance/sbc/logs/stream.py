"""Syslog over TCP (RFC 6587) and TLS (RFC 5425): octet-counted frames on one connection.

submit() only formats and queues; a background task owns the connection, reconnects
with backoff and drains the queue. While the server is down the queue keeps the
newest `queue_size` messages and counts the ones it had to drop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import ssl

from .backoff import Backoff
from .framing import encode_frame
from .queue import DEFAULT_QUEUE_SIZE, DropOldestQueue
from .rfc5424 import DEFAULT_MAX_SIZE, SyslogRecord, format_rfc5424
from .sinks import SinkStats, format_endpoint

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0
CLOSE_TIMEOUT = 2.0


def client_tls_context(ca_file: str | os.PathLike[str] | None) -> ssl.SSLContext:
    """Verify the server against `ca_file` (or the system store); TLS 1.2 at least."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class StreamSink:
    """A remote syslog server over TCP, or TLS when `tls` is a client context."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        tls: ssl.SSLContext | None = None,
        tls_name: str | None = None,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        max_size: int = DEFAULT_MAX_SIZE,
        backoff: Backoff | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
    ) -> None:
        self.name = f"{'tls' if tls else 'tcp'}:{format_endpoint(host, port)}"
        self._host = host
        self._port = port
        self._tls = tls
        self._tls_name = (tls_name or host) if tls else None
        self._max_size = max_size
        self._queue: DropOldestQueue[bytes] = DropOldestQueue(queue_size)
        self._backoff = backoff or Backoff()
        self._connect_timeout = connect_timeout
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._connected = False
        self._failing = False
        self._dropped_at_connect = 0
        self.sent = 0
        self.lost = 0  # written to a connection that then broke: may or may not have arrived

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wakeup = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name=f"syslog {self.name}")

    def submit(self, record: SyslogRecord) -> None:
        self._queue.push(encode_frame(format_rfc5424(record, self._max_size)))
        self._wake()

    def _wake(self) -> None:
        loop, event = self._loop, self._wakeup
        if loop is None or event is None:
            return  # not started yet: the queue holds the message until start()
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            event.set()
        else:
            with contextlib.suppress(RuntimeError):  # loop already closed
                loop.call_soon_threadsafe(event.set)

    async def _run(self) -> None:
        while True:
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(
                        self._host, self._port, ssl=self._tls, server_hostname=self._tls_name
                    ),
                    self._connect_timeout,
                )
            except (OSError, TimeoutError, ValueError) as exc:  # ssl.SSLError is an OSError
                self._note_failure(f"cannot connect: {_reason(exc)}")
                await asyncio.sleep(self._backoff.next_delay())
                continue
            self._note_connected()
            try:
                await self._pump(reader, writer)
            except OSError as exc:
                self._note_failure(f"connection lost: {_reason(exc)}")
            finally:
                self._connected = False
                writer.close()
                with contextlib.suppress(OSError, TimeoutError):
                    await asyncio.wait_for(writer.wait_closed(), CLOSE_TIMEOUT)
            await asyncio.sleep(self._backoff.next_delay())

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Send queued frames until the connection breaks; the server never talks back."""
        assert self._wakeup is not None
        closed = asyncio.ensure_future(_wait_closed(reader))
        try:
            while True:
                while not closed.done() and (frame := self._queue.pop()) is not None:
                    writer.write(frame)
                    try:
                        await writer.drain()
                    except OSError:
                        self.lost += 1
                        raise
                    self.sent += 1
                if closed.done():
                    raise ConnectionResetError("closed by the server")
                self._wakeup.clear()
                if len(self._queue):
                    continue
                woken = asyncio.ensure_future(self._wakeup.wait())
                try:
                    await asyncio.wait({closed, woken}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    woken.cancel()
        finally:
            closed.cancel()
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await closed

    def _note_connected(self) -> None:
        self._connected = True
        self._backoff.reset()
        if self._failing:
            missed = self._queue.dropped - self._dropped_at_connect
            log.warning("remote syslog %s: connected again, %d messages dropped while down",
                        self.name, missed)
        self._failing = False
        self._dropped_at_connect = self._queue.dropped

    def _note_failure(self, why: str) -> None:
        """Say it once per outage, not once per attempt."""
        self._connected = False
        if not self._failing:
            self._failing = True
            log.warning("remote syslog %s: %s; queueing up to %d messages",
                        self.name, why, self._queue.maxlen)

    async def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Give queued messages up to `timeout` seconds to go out, then stop.

        A server already known to be down gets no grace time: shutdown stays quick.
        """
        if self._task is None:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self._queue) and not self._failing and loop.time() < deadline:
            await asyncio.sleep(0.01)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    def stats(self) -> SinkStats:
        return SinkStats(self.name, self.sent, self._queue.dropped + self.lost,
                         len(self._queue), self._connected)


async def _wait_closed(reader: asyncio.StreamReader) -> None:
    """Return when the server closes; anything it sends is read and ignored."""
    while await reader.read(4096):
        pass


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not accepted: {exc.verify_message}"
    if isinstance(exc, TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__
