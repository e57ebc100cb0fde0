"""What the transports hand up and take down: peers, incoming items, the receiver hooks.

A `Peer` is the SIP core's `Endpoint` plus the TLS server name (SNI) of an outgoing
connection, so the transaction layer keeps passing it around unchanged and a response or
retransmission finds its way back to the very connection it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ..sip import Endpoint, Request, Response, SipPeerError

if TYPE_CHECKING:
    from ..resolve import Target

# (transport, remote host, remote port, SNI) -- SNI only for connections we opened.
FlowKey = tuple[str, str, int, str | None]


@dataclass(frozen=True)
class Peer(Endpoint):
    """A remote address with its transport; `sni` names the TLS server we connected to."""

    sni: str | None = None

    @property
    def key(self) -> FlowKey:
        return (self.transport, self.host, self.port, self.sni)

    @classmethod
    def of(cls, endpoint: Endpoint) -> Peer:
        """`endpoint` as a Peer (an Endpoint from the SIP core has no SNI)."""
        if isinstance(endpoint, Peer):
            return endpoint
        return cls(endpoint.host, endpoint.port, endpoint.transport)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        name = f" ({self.sni})" if self.sni else ""
        return f"{self.transport}:{host}:{self.port}{name}"


@dataclass(frozen=True)
class Incoming:
    """One thing that arrived: a parsed message, or the peer error its bytes earned.

    `raw` holds the bytes for datagrams (for logs); stream items carry b"".
    `peer_names` are the DNS names of a verified TLS client or server certificate.
    """

    source: Peer
    local: tuple[str, int]
    message: Request | Response | None = None
    error: SipPeerError | None = None
    peer_names: tuple[str, ...] = ()
    raw: bytes = b""


class Receiver(Protocol):
    """The layer above the transports (the SBC core)."""

    def receive(self, incoming: Incoming) -> None:
        """A message or a peer error; called in the event loop, must not block."""

    def admit_connection(self, peer: Peer) -> bool:
        """A new incoming TCP/TLS connection: False closes it before any TLS handshake."""

    def send_failed(self, message: Request | Response, dest: Peer, reason: str) -> None:
        """What was handed to `send` could not be delivered (connect or write failed)."""

    def connection_lost(self, peer: Peer, reason: str) -> None:
        """A TCP/TLS connection is gone: no answer can come back over it any more."""


class SourceFilter(Protocol):
    """Optional receiver hooks, looked up once (`getattr`): without them every datagram
    is parsed and every connection draws on the general pool."""

    def admit_datagram(self, source: Peer, data: bytes) -> bool:
        """Before parsing: False drops the datagram unread (the receiver counts it)."""

    def reserved_peer(self, peer: Peer, names: tuple[str, ...]) -> bool:
        """A configured peer (its address, or `names` from its verified certificate):
        its incoming connection takes a reserved slot, not a general one."""


def peer_of(target: Target) -> Peer:
    """The transport address of a resolved target; SNI only matters (and is keyed) for
    TLS."""
    sni = target.sni if target.transport == "tls" else None
    return Peer(str(target.ip), target.port, target.transport, sni=sni)


def label_of(target: Target) -> str:
    """A target as the status and the log show it: "tls sip.example.com [IP]:5061"."""
    host = f"[{target.ip}]" if target.ip.version == 6 else str(target.ip)
    name = f"{target.sni} " if target.sni else ""
    return f"{target.transport} {name}{host}:{target.port}"
