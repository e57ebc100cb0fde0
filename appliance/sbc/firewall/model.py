"""The firewall as typed values: what the template receives, nothing else."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Literal

Proto = Literal["tcp", "udp"]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, order=True)
class PortRange:
    first: int
    last: int

    def __post_init__(self) -> None:
        if not 1 <= self.first <= self.last <= 65535:
            raise ValueError(f"bad port range {self.first}-{self.last}")

    def __str__(self) -> str:
        return str(self.first) if self.first == self.last else f"{self.first}-{self.last}"


@dataclass(frozen=True)
class Rule:
    """Accept `proto` to `ports`, on `address` only when the listener is bound to one."""

    proto: Proto
    ports: PortRange
    comment: str
    address: IPAddress | None = None

    @property
    def family(self) -> str | None:
        """nft's address match keyword: "ip", "ip6", or None for any address."""
        if self.address is None:
            return None
        return "ip" if self.address.version == 4 else "ip6"


@dataclass(frozen=True)
class FirewallPlan:
    """Inbound policy drop; these are the holes. `source` names the config it came from."""

    source: str
    management: tuple[Rule, ...]
    sip: tuple[Rule, ...]
    media: tuple[Rule, ...]
    table: str = "opensbc"
