"""The SBC's resolver: static host map first, then RFC 3263 over cached DNS.

One instance per running config (the host map is part of it); the DNS cache can be
shared across reloads by passing the same `DnsLookup`.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from ..config.model import Connection
from .connection import destination_for
from .dnslookup import DnsLookup
from .records import Destination, Pinned, Target, Transport
from .rfc3263 import ALL_TRANSPORTS, AsyncLookup, resolve_async
from .srv import RandInt


class SipResolver:
    def __init__(
        self,
        hosts: Mapping[str, Pinned] | None = None,
        lookup: AsyncLookup | None = None,
        *,
        randint: RandInt = random.randint,
        ipv6: bool = True,
    ) -> None:
        self.hosts = dict(hosts or {})
        self.lookup: AsyncLookup = lookup if lookup is not None else DnsLookup()
        self._randint = randint
        self._ipv6 = ipv6

    async def resolve(
        self, dest: Destination, transports: Sequence[Transport] = ALL_TRANSPORTS
    ) -> list[Target]:
        """Targets for any SIP URI (e.g. a Record-Route), best first; ResolveError if none."""
        return await resolve_async(
            dest,
            self.lookup,
            transports=transports,
            hosts=self.hosts,
            randint=self._randint,
            ipv6=self._ipv6,
        )

    async def targets(self, conn: Connection) -> list[Target]:
        """Targets for a configured connection; call again when sending, not once at start."""
        dest, transports = destination_for(conn)
        return await self.resolve(dest, transports)
