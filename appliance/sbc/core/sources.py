"""Who may talk to the SBC, which connection a source is, and what was dropped.

A request from a source that no connection allows gets no reply at all (a scanner must
not even learn that a SIP service is here). Drops are counted per source and logged via
`EventLog.dropped_source` at most once per source and interval: the first drop at once,
later ones summed up when the interval is over (`flush`, called periodically).

Which connection an allowed source is (for X-MS-SBC and "OPTIONS received" status):
of the connections whose allowlist admits the address, prefer those on the transport
the message came over, then those whose host a verified TLS certificate names
(Microsoft's proxies present *.pstnhub.microsoft.com style names), then those whose host
resolved to exactly this address. When several remain (Teams1-3 behind one certificate),
all of them are returned.

The allowlist is asked before a datagram is parsed (`allowed`, cached per address until
the allowlist changes), so shedding a flood costs a dictionary lookup per datagram.
A configured peer (`configured`: an address a connection's host is or resolves to, or a
verified certificate naming that host) gets a reserved connection slot in the transports.
"""

from __future__ import annotations

import ipaddress
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..certs.names import name_matches
from ..config import Allowlist, Config, Connection
from ..config.allow import static_addresses
from ..config.model import IPAddress
from ..logs import EventLog

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 60.0
MAX_SOURCES = 4096
MAX_VERDICTS = 65536  # cached allowlist answers; cleared when full (spoofed floods)


@dataclass
class _Drops:
    total: int = 0
    unlogged: int = 0
    last_at: float = 0.0  # wall clock, for status
    logged_at: float | None = None  # monotonic
    method: str | None = None


class SourceGate:
    def __init__(
        self,
        config: Config,
        events: EventLog | None = None,
        *,
        interval: float = DEFAULT_INTERVAL,
        max_sources: int = MAX_SOURCES,
    ) -> None:
        self.events = events
        self.interval = interval
        self.max_sources = max_sources
        self.total = 0
        self._drops: OrderedDict[str, _Drops] = OrderedDict()
        self._resolved: dict[str, frozenset[IPAddress]] = {}
        self._verdicts: dict[str, bool] = {}
        self._peers: frozenset[IPAddress] = frozenset()
        self.reconfigure(config, events)

    def reconfigure(self, config: Config, events: EventLog | None = None) -> None:
        """A new config: new allowlist (resolved addresses of kept connections stay)."""
        self.config = config
        self.events = events
        names = {c.name for c in config.connections}
        self._resolved = {k: v for k, v in self._resolved.items() if k in names}
        self._rebuild()

    def _rebuild(self) -> None:
        self.allowlist = Allowlist(self.config, self._resolved)
        self._verdicts = {}
        peers: set[IPAddress] = set()
        for conn in self.config.connections:
            peers |= static_addresses(self.config, conn)
            peers |= self._resolved.get(conn.name, frozenset())
        self._peers = frozenset(peers)

    def update_resolved(self, conn: str, addresses: Iterable[IPAddress | str]) -> None:
        """The resolver's current answer for a connection (its default allowlist)."""
        addrs = frozenset(ipaddress.ip_address(str(a)) for a in addresses)
        if self._resolved.get(conn) != addrs:
            self._resolved[conn] = addrs
            self._rebuild()

    # -- decisions ----------------------------------------------------------------------

    def allowed(self, host: str) -> bool:
        verdict = self._verdicts.get(host)
        if verdict is None:
            try:
                verdict = self.allowlist.allowed(host)
            except ValueError:
                verdict = False
            if len(self._verdicts) >= MAX_VERDICTS:
                self._verdicts.clear()
            self._verdicts[host] = verdict
        return verdict

    def configured(self, host: str, names: Iterable[str] = ()) -> bool:
        """A configured peer: one of the connections' addresses, or a verified
        certificate name that covers a connection's host."""
        try:
            if ipaddress.ip_address(host) in self._peers:
                return True
        except ValueError:
            return False
        hosts = [c.host for c in self.config.connections if not c.host_is_ip]
        return any(name_matches(n, h) for n in names if n for h in hosts)

    def classify(
        self, host: str, transport: str, peer_names: Iterable[str] = ()
    ) -> tuple[Connection, ...]:
        try:
            found = self.allowlist.matches(host)
        except ValueError:
            return ()
        narrowed = _prefer(found, lambda c: c.transport == transport)
        names = [n for n in peer_names if n]
        if names:
            narrowed = _prefer(narrowed, lambda c: any(name_matches(n, c.host) for n in names))
        try:
            addr = ipaddress.ip_address(host)
        except ValueError:
            return narrowed
        return _prefer(narrowed, lambda c: addr in self._resolved.get(c.name, frozenset()))

    def describe(self, host: str, transport: str) -> str | None:
        """Connection names for log lines ("Teams1", "Teams1/Teams2")."""
        found = self.classify(host, transport)
        return "/".join(c.name for c in found) or None

    # -- drops --------------------------------------------------------------------------

    def drop(self, host: str, method: str | None, *, now: float, wall: float) -> None:
        self.total += 1
        entry = self._drops.get(host)
        if entry is None:
            entry = self._drops[host] = _Drops()
            while len(self._drops) > self.max_sources:
                self._drops.popitem(last=False)
        else:
            self._drops.move_to_end(host)
        entry.total += 1
        entry.unlogged += 1
        entry.last_at = wall
        entry.method = method or entry.method
        if entry.logged_at is None or now - entry.logged_at >= self.interval:
            self._log(host, entry, now)

    def flush(self, now: float) -> None:
        """Log sums for sources whose interval is over."""
        for host, entry in self._drops.items():
            if entry.unlogged and (entry.logged_at is None or
                                   now - entry.logged_at >= self.interval):
                self._log(host, entry, now)

    def _log(self, host: str, entry: _Drops, now: float) -> None:
        first = entry.logged_at is None
        if self.events is not None:
            self.events.dropped_source(
                host, entry.unlogged, method=entry.method,
                interval_s=None if first else self.interval,
            )
        else:
            log.warning("dropped %d request(s) from %s (not allowed)", entry.unlogged, host)
        entry.unlogged = 0
        entry.logged_at = now

    def snapshot(self) -> dict[str, object]:
        return {
            "total": self.total,
            "sources": {
                host: {"count": e.total, "last": e.last_at, "method": e.method}
                for host, e in self._drops.items()
            },
        }


def _prefer(
    items: tuple[Connection, ...], test: Callable[[Connection], bool]
) -> tuple[Connection, ...]:
    """The items passing `test`, or all of them when none does."""
    chosen = tuple(c for c in items if test(c))
    return chosen or items

