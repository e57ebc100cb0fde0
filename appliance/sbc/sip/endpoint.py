"""Where messages come from and go to, and the RFC 3261 §18 rules about it.

The core never opens sockets; it names peers with `Endpoint` and leaves the sending to
the asyncio layer. `stamp_received` and `response_destination` are the server-side
transport rules of §18.2.1 / §18.2.2 with RFC 3581 (rport).
"""

from __future__ import annotations

from dataclasses import dataclass

from .fields import Via
from .headers import split_list
from .message import Request

DEFAULT_PORTS = {"udp": 5060, "tcp": 5060, "tls": 5061}


@dataclass(frozen=True)
class Endpoint:
    """A peer address plus transport ("udp", "tcp" or "tls")."""

    host: str
    port: int
    transport: str = "udp"

    @property
    def reliable(self) -> bool:
        """Streams retransmit for us, so SIP timers that retransmit are off."""
        return self.transport != "udp"


def stamp_received(request: Request, source: Endpoint, via: Via | None = None) -> Via:
    """Add received= (and fill rport=) in the top Via of a request we got (§18.2.1).

    Returns the new top Via; the request's headers are updated in place. `via`: the top
    Via as the caller parsed it already (it is updated too).
    """
    via = via if via is not None else request.top_via
    changed = False
    if via.host.strip("[]") != source.host.strip("[]") or "rport" in via.params:
        via.params["received"] = source.host.strip("[]")
        changed = True
    if "rport" in via.params and via.params["rport"] is None:
        via.params["rport"] = str(source.port)
        changed = True
    if changed:
        first_line = request.headers.get("Via") or ""
        parts = split_list(first_line)
        parts[0] = str(via)
        request.headers.replace_first("Via", ", ".join(parts))
    return via


def response_destination(request: Request, source: Endpoint,
                         via: Via | None = None) -> Endpoint:
    """Where responses to ``request`` go (§18.2.2, RFC 3581 §4).

    On a stream: back over the connection it came on. On UDP: the received address
    (else sent-by host) and the rport (else sent-by port, else the default port).
    """
    if source.reliable:
        return source
    via = via if via is not None else request.top_via
    default = DEFAULT_PORTS.get(via.transport.lower(), 5060)
    if via.params.get("maddr"):
        return Endpoint(via.params["maddr"] or "", via.port or default, "udp")
    host = via.received or via.host.strip("[]")
    port = via.rport or via.port or default
    return Endpoint(host, port, "udp")
