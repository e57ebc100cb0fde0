"""Requests to handlers, by method: the seam where the B2BUA plugs in.

A handler is any callable taking a `RequestContext`. It answers with `ctx.respond(...)`
(through the request's server transaction) now or later; an INVITE handler keeps the
context, sends 1xx, and answers when the other leg does. `Router.add("INVITE", b2bua)`
is all a call handler needs; transports and the transaction layer stay as they are.

Without a handler: ACK is dropped, CANCEL is answered by the core (200, and 487 for the
INVITE if it was still open; a handler may register `on_cancel` to learn about it), and
anything else gets 501. Methods outside `identity.ALLOW` never get here (405 earlier).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..config import Connection
from ..sip import Request, Response, ServerTransaction, SipPeerError, build_response, new_tag
from ..transport import Peer

if TYPE_CHECKING:
    from .engine import SipEngine


def connection_headers(connections: Iterable[Connection]) -> list[tuple[str, str]]:
    """The profile headers (X-MS-SBC for Teams) of `connections`, each name once: what
    every answer to them carries, also the core's error answers."""
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for conn in connections:
        for name, value in conn.headers:
            if name.lower() not in seen:
                seen.add(name.lower())
                out.append((name, value))
    return out


@dataclass
class RequestContext:
    """A request that needs an answer, with what the core knows about where it came from.

    `connections` are the configured connections the source is (see `SourceGate`);
    their profile headers (X-MS-SBC for Teams) go into every answer via `respond`.
    """

    request: Request
    transaction: ServerTransaction
    source: Peer
    peer_names: tuple[str, ...]
    connections: tuple[Connection, ...]
    engine: SipEngine
    to_tag: str = field(default="")
    stateless: bool = False  # answered outside the transaction layer (OPTIONS)

    def __post_init__(self) -> None:
        if not self.to_tag:
            self.to_tag = new_tag(self.engine.random)

    @property
    def connection(self) -> Connection | None:
        return self.connections[0] if self.connections else None

    def connection_headers(self) -> list[tuple[str, str]]:
        """Profile headers of the matched connections, each name once."""
        return connection_headers(self.connections)

    def response(
        self,
        status: int,
        reason: str | None = None,
        *,
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
    ) -> Response:
        return build_response(
            self.request,
            status,
            reason,
            to_tag=self.to_tag,
            headers=[*headers, *self.connection_headers()],
            body=body,
        )

    def respond(
        self,
        status: int,
        reason: str | None = None,
        *,
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
    ) -> None:
        response = self.response(status, reason, headers=headers, body=body)
        if self.stateless:
            self.engine.respond_stateless(self.transaction, response)
        else:
            self.engine.respond(self.transaction, response)

    def reject(self, err: SipPeerError) -> None:
        """A peer error a handler found in this request (an unusable Replaces, Refer-To,
        CSeq): answered the one way `SipEngine.reject` answers them all. A synchronous
        handler may simply raise it; the engine calls this."""
        self.engine.reject(self, err)


Handler = Callable[[RequestContext], None]
CancelHook = Callable[[RequestContext, ServerTransaction], None]
StrayHandler = Callable[[Request | Response, Peer], None]


class Router:
    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}
        self.on_cancel: CancelHook | None = None
        self.on_stray: StrayHandler | None = None  # ACK for a 2xx, 2xx retransmissions

    def add(self, method: str, handler: Handler) -> None:
        self.handlers[method.upper()] = handler

    def handler_for(self, method: str) -> Handler | None:
        return self.handlers.get(method.upper())
