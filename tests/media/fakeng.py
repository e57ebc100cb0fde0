"""A scriptable ng server on loopback for the relay and session unit tests.

The handler sees every datagram (cookie, command) and returns what to send back: a reply
dict (sent with the request's cookie), raw bytes (sent as they are), a list of either,
or None (stay silent). Every received datagram is kept in `received`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, cast

from sbc.media import bencode, ng

Reply = dict[str, Any] | bytes | list[Any] | None
Handler = Callable[[str, dict[str, Any]], Reply]


def ok(**fields: Any) -> dict[str, Any]:
    return {"result": "ok", **fields}


class FakeNg(asyncio.DatagramProtocol):
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.received: list[bytes] = []
        self.commands: list[dict[str, Any]] = []
        self.transport: asyncio.DatagramTransport | None = None
        self.port = 0
        self.client: tuple[str | Any, int] | None = None  # who sent the last datagram

    @classmethod
    async def start(cls, handler: Handler) -> FakeNg:
        loop = asyncio.get_running_loop()
        transport, proto = await loop.create_datagram_endpoint(
            lambda: cls(handler), local_addr=("127.0.0.1", 0))
        assert isinstance(proto, FakeNg)
        proto.port = transport.get_extra_info("sockname")[1]
        return proto

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.received.append(data)
        self.client = addr
        cookie, _, body = data.partition(b" ")
        command = _text_keys(bencode.decode(body))
        self.commands.append(command)
        self.send(self.handler(cookie.decode(), command), cookie.decode(), addr)

    def send(self, reply: Reply, cookie: str, addr: tuple[str | Any, int] | None = None) -> None:
        """Send `reply` to `addr` (default: whoever sent the last datagram)."""
        addr = addr or self.client
        assert self.transport is not None and addr is not None
        for item in reply if isinstance(reply, list) else [reply]:
            if item is None:
                continue
            data = item if isinstance(item, bytes) else ng.frame(cookie, item)
            self.transport.sendto(data, addr)

    def names(self) -> list[str]:
        return [c["command"] for c in self.commands]

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def _text_keys(value: Any) -> Any:
    """Commands with str values (bencode gives bytes), except the SDP."""
    if isinstance(value, dict):
        return {k: (v if k == "sdp" else _text_keys(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_text_keys(v) for v in value]
    if isinstance(value, bytes):
        return value.decode()
    return value
