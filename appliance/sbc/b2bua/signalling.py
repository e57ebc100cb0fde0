"""What a call needs from the SIP side, in one place: our Via and Contact per transport,
where a connection or a dialog's next hop is (resolved per RFC 3263), and sending.

Calls never touch transports or the resolver directly, so tests can hand them a fake.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import cast

from ..config import Connection
from ..core.engine import Outcome, ResponseHandler, SipEngine
from ..resolve import ResolveError, SipResolver
from ..resolve.records import Destination, Transport
from ..sip import Address, ClientTransaction, Request, Response, SipUri, Via
from ..sip.dialog import Dialog
from ..transport import Peer, peer_of

log = logging.getLogger(__name__)

_TRANSPORTS = ("udp", "tcp", "tls")


@dataclass
class Signalling:
    engine: SipEngine
    resolver: SipResolver

    def reconfigure(self, resolver: SipResolver) -> None:
        self.resolver = resolver

    @property
    def fqdn(self) -> str:
        return self.engine.identity.fqdn

    def via(self, transport: str) -> Via:
        return self.engine.identity.via(transport, self.engine.random)

    def contact(self, transport: str, user: str | None = None) -> Address:
        """<sip:[user@]FQDN:PORT;transport=...>: the FQDN, never an IP (AT-1)."""
        return self.engine.identity.contact(transport, user)

    async def peer_for_connection(self, conn: Connection) -> Peer:
        """Where a new request to `conn` goes now (ResolveError if nowhere)."""
        targets = await self.resolver.targets(conn)
        return peer_of(targets[0])

    async def peer_for_dialog(self, dialog: Dialog, transport: str, fallback: Peer) -> Peer:
        """The dialog's next hop (first route, else remote target) resolved; a URI
        without a transport parameter keeps the leg's transport (peers that signal over
        TCP often leave it out of Contact). Unresolvable: where the leg talked so far."""
        uri = dialog.next_hop()
        if not isinstance(uri, SipUri):
            return fallback
        name = uri.transport if uri.transport in _TRANSPORTS else transport
        wanted = cast(Transport, "tls" if uri.secure else name)
        dest = Destination(uri.maddr or uri.host, uri.port, wanted, uri.secure)
        try:
            targets = await self.resolver.resolve(dest, (wanted,))
        except ResolveError as exc:
            log.info("cannot resolve %s (%s); using %s", uri, exc, fallback)
            return fallback
        return peer_of(targets[0])

    def send(self, request: Request, peer: Peer, handler: ResponseHandler) -> ClientTransaction:
        return self.engine.send_request(request, peer, handler)

    async def request(self, request: Request, peer: Peer, timeout: float = 32.0) -> Outcome:
        return await self.engine.request(request, peer, timeout)

    def cancel(self, tx: ClientTransaction) -> bool:
        return self.engine.cancel(tx)

    def send_direct(self, message: Request | Response, peer: Peer) -> None:
        self.engine.send_direct(message, peer)
