"""Who gets an incoming connection slot, and whose answers are let in unasked.

Slots: one allowed source (anything in Microsoft's /14) must not be able to hold every
connection and so lock the configured peers out. So each source address gets at most
`max_per_source` incoming connections (handshakes included), and a connection from a
configured peer (its address, or a verified certificate naming its host) takes a slot
from a pool of its own, not from the general `max_connections`. Pure bookkeeping; the
manager asks before it accepts and gives back when the connection ends.

Asked: a UDP response is let in before the allowlist check when it comes from an
address we sent a request to recently (a peer outside its own allowlist still answers
what we asked it), so the allowlist check never needs to parse a datagram.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

MAX_ASKED = 1024  # remembered destinations of our UDP requests


@dataclass
class Slots:
    """Counts of incoming connections: per source, and in the general/reserved pools."""

    per_source: dict[str, int] = field(default_factory=dict)
    general: int = 0
    reserved: int = 0

    def source_full(self, host: str, limit: int) -> bool:
        return self.per_source.get(host, 0) >= limit

    def take_source(self, host: str) -> None:
        self.per_source[host] = self.per_source.get(host, 0) + 1

    def release_source(self, host: str) -> None:
        left = self.per_source.get(host, 0) - 1
        if left > 0:
            self.per_source[host] = left
        else:
            self.per_source.pop(host, None)

    def pool_full(self, reserved: bool, limit: int) -> bool:
        """Each pool holds `limit`: the configured peers' pool is never the general one."""
        return (self.reserved if reserved else self.general) >= limit

    def take(self, reserved: bool) -> None:
        if reserved:
            self.reserved += 1
        else:
            self.general += 1

    def release(self, reserved: bool) -> None:
        if reserved:
            self.reserved = max(0, self.reserved - 1)
        else:
            self.general = max(0, self.general - 1)


class Asked:
    """The hosts our last `MAX_ASKED` UDP requests went to (oldest forgotten first)."""

    def __init__(self, size: int = MAX_ASKED) -> None:
        self.size = size
        self._hosts: OrderedDict[str, None] = OrderedDict()

    def add(self, host: str) -> None:
        if host in self._hosts:
            self._hosts.move_to_end(host)
            return
        self._hosts[host] = None
        if len(self._hosts) > self.size:
            self._hosts.popitem(last=False)

    def __contains__(self, host: object) -> bool:
        return host in self._hosts
