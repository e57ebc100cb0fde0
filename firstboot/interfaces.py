"""What the machine has now: interfaces (pyudev), their IPv4 addresses (netifaces),
the default gateway and DNS servers, and how NetworkManager configures each one.

The defaults the wizard offers come from here, so on a DHCP network pressing Enter
keeps what DHCP gave.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .model import Ipv4Interface, NetInterface
from .nm import NetworkManager
from .run import CommandError, run

ARPHRD_ETHER = "1"  # /sys/class/net/*/type of Ethernet (Hyper-V's netvsc, veth, virtio)


def _netifaces() -> Any:
    """Debian's python3-netifaces on the appliance; None on a host without it."""
    try:
        import netifaces  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    return netifaces


def ipv4_addresses(name: str) -> tuple[Ipv4Interface, ...]:
    ni = _netifaces()
    if ni is not None:
        try:
            entries = ni.ifaddresses(name).get(ni.AF_INET, [])
        except ValueError:  # the interface went away
            return ()
        return tuple(ipaddress.IPv4Interface(f"{e['addr']}/{e['netmask']}")
                     for e in entries if "addr" in e and "netmask" in e)
    try:
        out = run(["ip", "-j", "-4", "addr", "show", "dev", name], what="listing addresses")
    except CommandError:
        return ()
    return tuple(ipaddress.IPv4Interface(f"{a['local']}/{a['prefixlen']}")
                 for link in json.loads(out.stdout or "[]") for a in link.get("addr_info", []))


def default_gateway() -> ipaddress.IPv4Address | None:
    ni = _netifaces()
    if ni is not None:
        found = ni.gateways().get("default", {}).get(ni.AF_INET)
        return ipaddress.IPv4Address(found[0]) if found else None
    try:
        out = run(["ip", "-j", "-4", "route", "show", "default"], what="reading the routes")
    except CommandError:
        return None
    routes = json.loads(out.stdout or "[]")
    return ipaddress.IPv4Address(routes[0]["gateway"]) if routes and "gateway" in routes[0] \
        else None


def nameservers(resolv_conf: str) -> tuple[ipaddress.IPv4Address, ...]:
    """IPv4 `nameserver` lines of resolv.conf, loopback stubs left out."""
    found = []
    for line in resolv_conf.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "nameserver":
            try:
                address = ipaddress.IPv4Address(parts[1])
            except ValueError:
                continue
            if not address.is_loopback and address not in found:
                found.append(address)
    return tuple(found)


def read_nameservers(path: Path) -> tuple[ipaddress.IPv4Address, ...]:
    try:
        return nameservers(path.read_text())
    except OSError:
        return ()


def _ethernet_devices() -> Iterator[tuple[str, str, str]]:
    """(name, MAC, operstate) of every Ethernet interface udev knows, loopback excluded."""
    import pyudev  # Debian's python3-pyudev

    for dev in pyudev.Context().list_devices(subsystem="net"):
        attrs = dev.attributes
        try:
            if attrs.asstring("type") != ARPHRD_ETHER:
                continue
            yield dev.sys_name, attrs.asstring("address"), attrs.asstring("operstate")
        except KeyError:
            continue


def list_interfaces(nm: NetworkManager) -> list[NetInterface]:
    methods = nm.methods()
    states = nm.device_states()
    rows = []
    for name, mac, link in _ethernet_devices():
        method = methods.get(name) or ("unmanaged" if states.get(name) == "unmanaged"
                                       else "unknown")
        rows.append(NetInterface(name, mac, link, ipv4_addresses(name), method))
    return sorted(rows, key=lambda row: row.name)
