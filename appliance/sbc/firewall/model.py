"""The firewall as typed values: what the template receives, nothing else."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Literal

Proto = Literal["tcp", "udp"]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


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
class Sources:
    """Who may open a hole: None is any address, else these networks (an empty tuple
    admits nobody), rendered as the named sets `<name>4` and `<name>6`."""

    name: str
    networks: tuple[IPNetwork, ...] | None = None
    why_any: str = ""  # shown in the ruleset when `networks` is None

    @property
    def any(self) -> bool:
        return self.networks is None

    def of(self, version: int) -> tuple[IPNetwork, ...]:
        return tuple(n for n in self.networks or () if n.version == version)

    def families(self, address: IPAddress | None) -> tuple[tuple[str, str], ...]:
        """(nft family keyword, set name) pairs a rule for `address` needs: both for a
        listener on every address, the listener's own family otherwise."""
        pairs = (("ip", f"{self.name}4"), ("ip6", f"{self.name}6"))
        if address is None:
            return pairs
        return (pairs[0],) if address.version == 4 else (pairs[1],)


@dataclass(frozen=True)
class FirewallPlan:
    """Inbound policy drop; these are the holes. `source` names the config it came from.
    `admins` may reach the management ports, `peers` the SIP listeners."""

    source: str
    management: tuple[Rule, ...]
    sip: tuple[Rule, ...]
    media: tuple[Rule, ...]
    table: str = "opensbc"
    admins: Sources = Sources("admin")
    peers: Sources = Sources("sip_peers")

    @property
    def sets(self) -> tuple[tuple[str, str, tuple[IPNetwork, ...]], ...]:
        """(set name, nft type, networks) of every named set the rules refer to."""
        out = []
        for sources in (self.admins, self.peers):
            if sources.any or (sources is self.peers and not self.sip):
                continue
            out.append((f"{sources.name}4", "ipv4_addr", sources.of(4)))
            out.append((f"{sources.name}6", "ipv6_addr", sources.of(6)))
        return tuple(out)
