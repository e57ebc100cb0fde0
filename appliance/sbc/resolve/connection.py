"""From a configured `Connection` to what RFC 3263 resolution needs.

`rfc3263`: the URI has no transport parameter, so NAPTR can choose among the records
offering the connection's transport; a configured port means A/AAAA only (§4.2).
`static`: no NAPTR/SRV, A/AAAA of the host at the port (or the transport's default).
"""

from __future__ import annotations

from ..config.model import Connection
from .records import DEFAULT_PORTS, Destination, Transport


def destination_for(conn: Connection) -> tuple[Destination, tuple[Transport, ...]]:
    """The destination to resolve and the transports allowed for it."""
    if conn.resolve == "static":
        port = conn.port or DEFAULT_PORTS[conn.transport]
        return Destination(conn.host, port, conn.transport), (conn.transport,)
    return Destination(conn.host, conn.port), (conn.transport,)
