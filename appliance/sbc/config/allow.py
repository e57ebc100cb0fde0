"""Which sources may talk to the SBC at all.

A source is allowed if any connection allows it: by its explicit `allowlist`, or, when a
connection has none, by being one of the addresses its host resolves to (literal IP,
static host map, or the resolver's current answer, which the caller passes in because
DNS answers change with their TTL). Everything else gets no reply (counted elsewhere).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping

from .model import Config, Connection, IPAddress


def _plain(address: IPAddress | str) -> IPAddress:
    """Parse, and unwrap IPv4-mapped IPv6 (::ffff:52.112.0.1) from dual-stack sockets."""
    addr = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def static_addresses(config: Config, conn: Connection) -> frozenset[IPAddress]:
    """Addresses known without DNS: a literal IP host or a host map entry."""
    if conn.host_is_ip:
        return frozenset({ipaddress.ip_address(conn.host)})
    entry = config.hosts.get(conn.host)
    return frozenset({entry.address}) if entry else frozenset()


class Allowlist:
    """An immutable snapshot; build a new one when resolved addresses change."""

    def __init__(
        self, config: Config, resolved: Mapping[str, Iterable[IPAddress | str]] | None = None
    ) -> None:
        resolved = resolved or {}
        self._rules: list[tuple[Connection, tuple, frozenset[IPAddress]]] = []
        for conn in config.connections:
            peers: frozenset[IPAddress] = frozenset()
            if not conn.allowlist:
                dynamic = {_plain(a) for a in resolved.get(conn.name, ())}
                peers = static_addresses(config, conn) | dynamic
            self._rules.append((conn, conn.allowlist, peers))

    def matches(self, source: IPAddress | str) -> tuple[Connection, ...]:
        """Every connection that allows `source`, in config order."""
        addr = _plain(source)
        return tuple(
            conn
            for conn, networks, peers in self._rules
            if addr in peers or any(addr.version == n.version and addr in n for n in networks)
        )

    def match(self, source: IPAddress | str) -> Connection | None:
        """The first connection allowing `source`, or None: then send nothing back."""
        found = self.matches(source)
        return found[0] if found else None

    def allowed(self, source: IPAddress | str) -> bool:
        return bool(self.matches(source))
