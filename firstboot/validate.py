"""Pure checks of the wizard's answers: text in, typed value or `Invalid(reason)` out.

Every refusal says why in words an admin at a console can act on, because the wizard
prints the reason and asks again; nothing here touches the machine.
"""

from __future__ import annotations

import ipaddress
import re

from sbc.config.values import fqdn_problem

from .model import Ipv4Interface

MAX_DNS = 3  # resolv.conf uses the first three nameservers only
MIN_PREFIX, MAX_PREFIX = 1, 30  # /31 and /32 leave no room for a gateway


class Invalid(ValueError):
    """An answer the wizard refuses; str() is the reason shown to the admin."""


def parse_ipv4(text: str, what: str = "address") -> ipaddress.IPv4Address:
    try:
        return ipaddress.IPv4Address(text.strip())
    except ValueError:
        raise Invalid(f"{text.strip()!r} is not an IPv4 {what} (four numbers 0-255, "
                      f"e.g. 192.0.2.10)") from None


def parse_prefix(text: str) -> int:
    """A prefix length ("24", "/24") or a dotted netmask ("255.255.255.0")."""
    value = text.strip().lstrip("/")
    if value.isdigit():
        prefix = int(value)
    else:
        try:
            prefix = ipaddress.IPv4Network(f"0.0.0.0/{value}").prefixlen
        except ValueError:
            raise Invalid(f"{value!r} is neither a prefix length (e.g. 24) nor a netmask "
                          f"(e.g. 255.255.255.0)") from None
    if not MIN_PREFIX <= prefix <= MAX_PREFIX:
        raise Invalid(f"prefix /{prefix} is out of range: use /{MIN_PREFIX} to /{MAX_PREFIX} "
                      f"(a /31 or /32 leaves no room for a gateway)")
    return prefix


def _usable_host(address: ipaddress.IPv4Address, what: str) -> None:
    """Addresses no interface or gateway on an ordinary LAN may have."""
    for test, kind in (
        (address.is_unspecified, "the unspecified address"),
        (address.is_loopback, "a loopback address"),
        (address.is_multicast, "a multicast address"),
        (address.is_link_local, "a link-local address (169.254.0.0/16)"),
        (address.is_reserved, "a reserved address (240.0.0.0/4)"),
    ):
        if test:
            raise Invalid(f"{address} is {kind}; it cannot be the {what}")


def split_address(text: str) -> tuple[str, str | None]:
    """"192.0.2.10/24", "192.0.2.10/255.255.255.0", "192.0.2.10 255.255.255.0" or a bare
    address (prefix None: the wizard then asks for it)."""
    value = text.strip()
    if "/" in value:
        address, _, prefix = value.partition("/")
        return address.strip(), prefix.strip()
    parts = value.split()
    if len(parts) == 2:
        return parts[0], parts[1]
    if len(parts) > 2:
        raise Invalid(f"{value!r}: give the address and prefix as 192.0.2.10/24")
    return value, None


def parse_interface(address_text: str, prefix_text: str) -> Ipv4Interface:
    """The appliance's own address in its subnet: neither the network nor the broadcast
    address of that subnet."""
    address = parse_ipv4(address_text)
    _usable_host(address, "appliance's address")
    iface = ipaddress.IPv4Interface(f"{address}/{parse_prefix(prefix_text)}")
    network = iface.network
    if address == network.network_address:
        raise Invalid(f"{address} is the network address of {network}; choose a host address "
                      f"such as {network.network_address + 1}")
    if address == network.broadcast_address:
        raise Invalid(f"{address} is the broadcast address of {network}; choose a host "
                      f"address such as {network.broadcast_address - 1}")
    return iface


def parse_gateway(text: str, iface: Ipv4Interface) -> ipaddress.IPv4Address:
    """The default gateway: inside the appliance's subnet, and a host other than itself."""
    if not text.strip():
        raise Invalid("a gateway is needed (the SBC must reach Teams and the carrier)")
    gateway = parse_ipv4(text, "gateway")
    _usable_host(gateway, "gateway")
    network = iface.network
    if gateway not in network:
        raise Invalid(f"gateway {gateway} is not in this subnet ({network}); it must be in "
                      f"{network.network_address + 1} - {network.broadcast_address - 1}")
    if gateway == network.network_address:
        raise Invalid(f"gateway {gateway} is the network address of {network}")
    if gateway == network.broadcast_address:
        raise Invalid(f"gateway {gateway} is the broadcast address of {network}")
    if gateway == iface.ip:
        raise Invalid(f"gateway {gateway} is the appliance's own address")
    return gateway


def parse_dns(text: str) -> tuple[ipaddress.IPv4Address, ...]:
    """One to three IPv4 name servers separated by spaces or commas."""
    items = [item for item in re.split(r"[\s,;]+", text.strip()) if item]
    if not items:
        raise Invalid("give at least one DNS server (the SBC resolves Teams and the carrier)")
    if len(items) > MAX_DNS:
        raise Invalid(f"at most {MAX_DNS} DNS servers (got {len(items)})")
    servers = []
    for item in items:
        server = parse_ipv4(item, "DNS server address")
        _usable_host(server, "DNS server")
        if server in servers:
            raise Invalid(f"{server} is given twice")
        servers.append(server)
    return tuple(servers)


def parse_fqdn(text: str) -> str:
    """The appliance's fully qualified name (host label plus domain), lower case.

    The same rules as `sbc.fqdn` in sbc.yaml, so a name accepted here is accepted there.
    """
    value = text.strip()
    if not value:
        raise Invalid("give a fully qualified name such as sbc1.example.com")
    problem = fqdn_problem(value)
    if problem:
        raise Invalid(f"the host name {problem}")
    name = value.lower().rstrip(".")
    if len(name.split(".")[0]) > 63:
        raise Invalid("the host label (before the first dot) is longer than 63 characters")
    return name

