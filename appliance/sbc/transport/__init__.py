"""asyncio transports for SIP: UDP, TCP and mutual TLS, one `TransportManager` for all.

    manager = TransportManager(receiver, settings=TransportSettings(...),
                               tls=TlsContexts.load(cert, key, ca), trace=trace, events=events)
    await manager.listen(config.sbc.listen)
    manager.send(message, Peer("52.114.1.1", 5061, "tls", sni="sip.pstnhub.microsoft.com"))

The receiver (the SBC core) gets every message or peer error as an `Incoming`
(`receive`), is asked about every new incoming connection before its TLS handshake
(`admit_connection`), and hears about sends that failed (`send_failed`). Optional hooks:
`admit_datagram` (checked before a datagram is parsed) and `reserved_peer` (a configured
peer's connection takes a reserved slot). The transports never answer anything
themselves except CRLF keep-alive pongs: turning a peer error into a 400 (or a drop) is
the core's one place for it.

- `peer`     `Peer` (an `sbc.sip.Endpoint` with SNI), `Incoming`, the `Receiver` protocol
- `udp`      the datagram listener
- `stream`   one TCP/TLS connection: framing, pongs, bounded buffers, trace
- `tls`      the server/client contexts from `sbc.certs.tls` and handshake reasons
- `admission` connection slots (per source, general and reserved pools), asked hosts
- `manager`  listeners, the connection table (reuse), `send`, idle sweeping, stats
"""

from .manager import TransportManager, TransportSettings, TransportStats
from .peer import FlowKey, Incoming, Peer, Receiver, label_of, peer_of
from .stream import StreamConnection
from .tls import TlsContexts, handshake_reason
from .udp import UdpListener

__all__ = [
    "label_of",
    "peer_of",
    "FlowKey",
    "Incoming",
    "Peer",
    "Receiver",
    "StreamConnection",
    "TlsContexts",
    "TransportManager",
    "TransportSettings",
    "TransportStats",
    "UdpListener",
    "handshake_reason",
]
