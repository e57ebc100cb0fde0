"""Shared bits for the transport and core tests: a recording receiver, certificates,
messages, and a bounded way to run a coroutine."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sbc.certs.testpki import LabCA
from sbc.sip import Request, Response
from sbc.transport import Incoming, Peer, TlsContexts

T = TypeVar("T")
FQDN = "sbc.lab.test"
PEER_NAME = "sip.pstnhub.microsoft.com"


def run(coro: Awaitable[T], timeout: float = 20.0) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())


async def until(predicate: Callable[[], Any], timeout: float = 5.0, what: str = "") -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.01)


@dataclass
class Recorder:
    """A `Receiver` that remembers everything and admits what `admit` says."""

    admit: bool = True
    items: list[Incoming] = field(default_factory=list)
    failures: list[tuple[Request | Response, Peer, str]] = field(default_factory=list)
    lost: list[tuple[Peer, str]] = field(default_factory=list)
    asked: list[Peer] = field(default_factory=list)

    def receive(self, incoming: Incoming) -> None:
        self.items.append(incoming)

    def admit_connection(self, peer: Peer) -> bool:
        self.asked.append(peer)
        return self.admit

    def send_failed(self, message: Request | Response, dest: Peer, reason: str) -> None:
        self.failures.append((message, dest, reason))

    def connection_lost(self, peer: Peer, reason: str) -> None:
        self.lost.append((peer, reason))

    def messages(self) -> list[Request | Response]:
        return [i.message for i in self.items if i.message is not None]


@dataclass
class EventsRecorder:
    """Stands in for EventLog where only the calls matter."""

    tls: list[tuple[str, str, str | None, str]] = field(default_factory=list)

    def tls_failure(self, peer: str, reason: str, *, conn: str | None = None,
                    direction: str = "in") -> None:
        self.tls.append((peer, reason, conn, direction))


@dataclass
class Pki:
    ca: Path
    sbc: tuple[Path, Path]
    peer: tuple[Path, Path]
    other_ca: Path  # a CA nobody here trusts
    stranger: tuple[Path, Path]  # a certificate from that CA

    def sbc_contexts(self) -> TlsContexts:
        return TlsContexts.load(self.sbc[0], self.sbc[1], self.ca)

    def peer_contexts(self) -> TlsContexts:
        return TlsContexts.load(self.peer[0], self.peer[1], self.ca)

    def stranger_contexts(self) -> TlsContexts:
        return TlsContexts.load(self.stranger[0], self.stranger[1], self.other_ca)


def make_pki(directory: Path) -> Pki:
    ca = LabCA("Transport Test")
    ca.write_root(directory / "ca.pem")
    sbc = ca.write(directory, ca.issue(FQDN), stem="sbc")
    peer = ca.write(directory, ca.issue(PEER_NAME), stem="peer")
    other = LabCA("Somebody Else")
    other.write_root(directory / "other-ca.pem")
    stranger = other.write(directory, other.issue(PEER_NAME), stem="stranger")
    return Pki(directory / "ca.pem", (sbc.cert, sbc.key), (peer.cert, peer.key),
               directory / "other-ca.pem", (stranger.cert, stranger.key))


def options(branch: str = "z9hG4bKk1", *, transport: str = "UDP", host: str = "127.0.0.1",
            port: int = 5099, extra: str = "", body: bytes = b"") -> bytes:
    head = (
        f"OPTIONS sip:{FQDN} SIP/2.0\r\n"
        f"Via: SIP/2.0/{transport} {host}:{port};branch={branch};rport\r\n"
        "Max-Forwards: 70\r\n"
        "From: <sip:peer@example.net>;tag=p1\r\n"
        f"To: <sip:{FQDN}>\r\n"
        f"Call-ID: {branch}@example.net\r\n"
        "CSeq: 1 OPTIONS\r\n"
        f"{extra}"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def no_cert_client_context(ca: Path) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=str(ca))
    return ctx
