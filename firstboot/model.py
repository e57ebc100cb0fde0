"""The wizard's typed values: what the checks produce and the templates receive."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Literal

Ipv4Interface = ipaddress.IPv4Interface
Method = Literal["dhcp", "static", "other", "unmanaged", "unknown"]


@dataclass(frozen=True)
class StaticIPv4:
    """A fixed IPv4 set-up; each part already checked against the others."""

    interface: Ipv4Interface  # address and prefix, e.g. 10.0.2.50/24
    gateway: ipaddress.IPv4Address
    dns: tuple[ipaddress.IPv4Address, ...]

    @property
    def address(self) -> ipaddress.IPv4Address:
        return self.interface.ip


@dataclass(frozen=True)
class NetInterface:
    """One network interface as the admin sees it in the list."""

    name: str
    mac: str
    link: str  # the kernel's operstate: up, down, unknown, ...
    addresses: tuple[Ipv4Interface, ...]
    method: Method

    @property
    def method_label(self) -> str:
        return {"dhcp": "DHCP", "static": "static", "other": "other",
                "unmanaged": "not managed", "unknown": "?"}[self.method]


@dataclass(frozen=True)
class Identity:
    """The machine's name: /etc/hostname holds the first label, /etc/hosts the FQDN."""

    fqdn: str

    @property
    def hostname(self) -> str:
        return self.fqdn.split(".", 1)[0]

    @property
    def domain(self) -> str:
        return self.fqdn.partition(".")[2]


@dataclass(frozen=True)
class NetworkPlan:
    """What the admin chose for one interface; `static` None keeps DHCP untouched."""

    interface: str
    static: StaticIPv4 | None
    identity: Identity
