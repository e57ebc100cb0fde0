"""The asyncio ng client: one UDP socket to rtpengine, many requests in flight.

    relay = MediaRelay("127.0.0.1", 2223)
    await relay.cleanup()                    # SBC start: no call survives a restart
    media = relay.session(call_id, {"a": carrier, "b": teams})
    sdp_for_teams = await media.offer(invite_sdp, by="a", to="b")

Each request waits `timeout` seconds for its reply and is then sent again, byte for byte
with the same cookie (rtpengine answers a repeated cookie from its reply cache, so an
offer is never carried out twice), `retries` times. Replies are matched by cookie; late
duplicates, unknown cookies and garbage are dropped. At most `max_in_flight` requests are
on the wire; the rest wait their turn, which is bounded too, since every request is done
within timeout × (retries + 1).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Mapping
from typing import Any

from . import ng
from .errors import MediaError
from .profile import LegProfile
from .session import MediaSession

log = logging.getLogger(__name__)

DEFAULT_PORT = 2223
CLEANUP_ROUNDS = 50  # `list` pages of ng.LIST_LIMIT call-ids each
# Requests on the wire at once. rtpengine's ng socket has the kernel's default receive
# buffer (~100 offers); a burst of 200 offers lost half of them, each then waiting a full
# `timeout` for its retransmission. Queued here, they wait only for each other.
MAX_IN_FLIGHT = 32


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, relay: MediaRelay) -> None:
        self._relay = relay

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self._relay._received(data)

    def error_received(self, exc: Exception) -> None:
        self._relay._failed(exc)


class _Request:
    """One ng request on the wire: sends itself again after each `timeout` until
    answered or out of retries. One future and one timer per request (a call makes
    three; `wait_for` with `shield` per try cost a task, two futures and callbacks). No
    reference cycle outlives it (`done` drops the timer): a closure that re-armed itself
    made one per request, and the garbage collector's full passes over them paused the
    SBC for up to 90 ms under load."""

    __slots__ = ("_relay", "_transport", "_datagram", "_name", "_future", "_started",
                 "_tries", "_timer")

    def __init__(self, relay: MediaRelay, transport: asyncio.DatagramTransport,
                 datagram: bytes, name: str, future: asyncio.Future[dict[str, Any]]) -> None:
        self._relay = relay
        self._transport = transport
        self._datagram = datagram
        self._name = name
        self._future = future
        self._started = time.monotonic()
        self._tries = 0
        self._timer: asyncio.TimerHandle | None = None

    def send(self) -> None:
        self._tries += 1
        self._transport.sendto(self._datagram)
        self._timer = asyncio.get_running_loop().call_later(self._relay.timeout, self._again)

    def done(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _again(self) -> None:
        self._timer = None
        relay = self._relay
        if self._future.done():
            return
        if self._tries > relay.retries:
            relay.failures += 1
            self._future.set_exception(
                MediaError(relay._timeout_text(self._name, self._started)))
            return
        relay.retransmissions += 1
        log.debug("rtpengine: no answer to '%s' yet, sending it again", self._name)
        self.send()


class MediaRelay:
    """Talks to one rtpengine; one per SBC."""

    def __init__(self, host: str = "127.0.0.1", port: int = DEFAULT_PORT, *,
                 timeout: float = 1.0, retries: int = 2, prefix: str = "opensbc-",
                 random: ng.Random = os.urandom, max_in_flight: int = MAX_IN_FLIGHT) -> None:
        if timeout <= 0 or retries < 0 or max_in_flight < 1:
            raise ValueError("timeout and max_in_flight must be positive, retries not negative")
        self.host = host
        self.port = port
        self.timeout = timeout
        self.retries = retries
        self.prefix = prefix
        self.random = random
        self.requests = 0
        self.retransmissions = 0
        self.failures = 0
        self._cookies = ng.Cookies(random)
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._transport: asyncio.DatagramTransport | None = None
        self._opening: asyncio.Lock | None = None
        self._max_in_flight = max_in_flight
        self._slots: asyncio.Semaphore | None = None
        self._error: tuple[float, Exception] | None = None
        self._closed = False

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def session(self, call_id: str, profiles: Mapping[str, LegProfile]) -> MediaSession:
        """The media of one call; rtpengine knows it as `prefix + call_id`."""
        return MediaSession(self, call_id, profiles)

    async def request(self, command: Mapping[str, Any]) -> dict[str, Any]:
        """Send one command and return rtpengine's reply, or raise MediaError."""
        name = str(command.get("command", "?"))
        transport = await self._open()
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._max_in_flight)
        async with self._slots:
            reply = await self._exchange(transport, name, command)
        warning = ng.text(reply.get("warning"))
        if warning:
            level = logging.DEBUG if name == "delete" else logging.WARNING
            log.log(level, "rtpengine warns about '%s' (%s): %s", name,
                    ng.text(command.get("call-id"), "-"), warning)
        return ng.check(name, reply)

    async def _exchange(self, transport: asyncio.DatagramTransport, name: str,
                        command: Mapping[str, Any]) -> dict[str, Any]:
        """One request on the wire: sent, retransmitted, answered or timed out."""
        if self._closed:
            raise MediaError("the media relay client is closed")
        cookie = self._cookies.next()
        while cookie in self._pending:
            cookie = self._cookies.next()
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[cookie] = future
        self.requests += 1
        request = _Request(self, transport, ng.frame(cookie, command), name, future)
        request.send()
        try:
            return await future
        finally:
            request.done()
            self._pending.pop(cookie, None)
            if not future.done():
                future.cancel()

    async def ping(self) -> bool:
        """True when rtpengine answers a ping."""
        try:
            await self.request(ng.ping())
        except MediaError:
            return False
        return True

    async def list_calls(self) -> list[str]:
        """Call-ids of our sessions in rtpengine (the prefix removed), at most ng.LIST_LIMIT."""
        return ng.ours(ng.call_ids(await self.request(ng.list_calls())), self.prefix)

    async def cleanup(self) -> int:
        """Delete every session carrying our prefix; how many there were. For SBC start:
        no dialog survives a restart, so no session may outlive it in rtpengine."""
        removed = 0
        for _ in range(CLEANUP_ROUNDS):
            ids = ng.call_ids(await self.request(ng.list_calls()))
            mine = [call_id for call_id in ids if call_id.startswith(self.prefix)]
            for call_id in mine:
                try:
                    await self.request(ng.delete(call_id))
                except MediaError as exc:
                    if not ng.is_unknown_call(exc):
                        raise
                removed += 1
            if not mine or len(ids) < ng.LIST_LIMIT:
                break
        if removed:
            log.info("rtpengine: removed %d leftover session(s)", removed)
        return removed

    async def close(self) -> None:
        self._closed = True
        for future in self._pending.values():
            if not future.done():
                future.set_exception(MediaError("the media relay client was closed"))
        self._pending.clear()
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    async def _open(self) -> asyncio.DatagramTransport:
        if self._closed:
            raise MediaError("the media relay client is closed")
        if self._transport is not None:
            return self._transport
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._transport is None:
                loop = asyncio.get_running_loop()
                try:
                    transport, _ = await loop.create_datagram_endpoint(
                        lambda: _Protocol(self), remote_addr=(self.host, self.port))
                except OSError as exc:
                    raise MediaError(
                        f"cannot open a socket to rtpengine at {self.address}: {exc}") from exc
                self._transport = transport
            return self._transport

    def _received(self, data: bytes) -> None:
        try:
            cookie, reply = ng.unframe(data)
        except ValueError as exc:
            log.warning("rtpengine: dropped a reply that is not ng (%s)", exc)
            return
        future = self._pending.get(cookie)
        if future is None or future.done():
            log.debug("rtpengine: dropped a reply for cookie %s (late or not ours)", cookie)
            return
        future.set_result(reply)

    def _failed(self, exc: Exception) -> None:
        # On a connected UDP socket this is the ICMP "port unreachable" of a missing daemon.
        self._error = (time.monotonic(), exc)

    def _timeout_text(self, name: str, started: float) -> str:
        waited = self.timeout * (self.retries + 1)
        text = (f"rtpengine at {self.address} did not answer '{name}' within {waited:.1f} s "
                f"({self.retries + 1} tries)")
        if self._error is not None and self._error[0] >= started:
            exc = self._error[1]
            if isinstance(exc, ConnectionRefusedError):
                return text + "; nothing is listening there (is rtpengine running?)"
            return text + f"; last socket error: {exc}"
        return text
