"""RFC 3263 target resolution: SIP URI -> ordered (transport, IP, port, SNI) targets.

The procedure is sans-I/O (`rfc3263.procedure` yields DNS queries); `resolve()` runs it
with any `lookup(name, rdtype)` callable, `SipResolver` with dnspython's async resolver
and a TTL cache. The static host map from the config short-circuits DNS.
"""

from .connection import destination_for
from .dnslookup import DnsLookup
from .records import (
    DEFAULT_PORTS,
    Answer,
    Destination,
    DnsFailure,
    NaptrRecord,
    NxDomain,
    Query,
    Record,
    ResolveError,
    SrvRecord,
    Target,
)
from .rfc3263 import procedure, resolve, resolve_async
from .service import SipResolver
from .srv import order_srv

__all__ = [
    "DEFAULT_PORTS",
    "Answer",
    "Destination",
    "DnsFailure",
    "DnsLookup",
    "NaptrRecord",
    "NxDomain",
    "Query",
    "Record",
    "ResolveError",
    "SipResolver",
    "SrvRecord",
    "Target",
    "destination_for",
    "order_srv",
    "procedure",
    "resolve",
    "resolve_async",
]
