"""From the SBC configuration to the firewall's holes, as a pure function.

Inbound is dropped except: replies (conntrack), loopback, ICMP/ICMPv6, DHCP replies,
SSH and the web console (from `sbc.admin_allowlist`, any when empty), the SIP listeners
of `sbc.listen` and the RTP port range.

The SIP listeners admit only what some connection's allowlist admits (a set built from
every `allowlist`, and the literal or host-map address of a connection without one), so
a flood from elsewhere never reaches the SBC. A connection without an allowlist whose
host is a DNS name admits whatever that name resolves to, which changes with the DNS and
is not known here: then the SIP listeners stay open to any address (the SBC still drops
such sources unread) and the ruleset says which connection keeps them open.
The same function serves boot, `sbc check`-validated saves and the tests, so the rules
can never drift from what the SBC listens on.
"""

from __future__ import annotations

import ipaddress

from ..config import Config, Listener, MediaConfig
from ..config.allow import static_addresses
from .model import FirewallPlan, IPNetwork, PortRange, Proto, Rule, Sources

SSH_PORT = 22
COCKPIT_PORT = 9090
DEFAULT_RTP = PortRange(MediaConfig.port_min, MediaConfig.port_max)
_PROTO: dict[str, Proto] = {"udp": "udp", "tcp": "tcp", "tls": "tcp"}

MANAGEMENT = (
    Rule("tcp", PortRange(SSH_PORT, SSH_PORT), "SSH"),
    Rule("tcp", PortRange(COCKPIT_PORT, COCKPIT_PORT), "web console (Cockpit)"),
)


def rtp_ports(config: Config | None) -> PortRange:
    """The media port range rtpengine uses (`media.port_min`..`media.port_max`)."""
    if config is None:
        return DEFAULT_RTP
    return PortRange(config.media.port_min, config.media.port_max)


def _address(listener: Listener) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    return None if listener.address.is_unspecified else listener.address


def sip_rules(listeners: tuple[Listener, ...]) -> tuple[Rule, ...]:
    """One rule per (protocol, port, address); UDP and TCP on 5060 stay two rules."""
    merged: dict[tuple[Proto, int, str], list[str]] = {}
    addresses = {}
    for item in listeners:
        proto = _PROTO[item.transport]
        address = _address(item)
        key = (proto, item.port, str(address or ""))
        merged.setdefault(key, []).append(f"SIP {item.transport.upper()}")
        addresses[key] = address
    return tuple(
        Rule(proto, PortRange(port, port), " + ".join(names), addresses[(proto, port, addr)])
        for (proto, port, addr), names in merged.items()
    )


def admin_sources(config: Config | None) -> Sources:
    """`sbc.admin_allowlist`; any address without a config or with an empty list."""
    networks = config.sbc.admin_allowlist if config is not None else ()
    if not networks:
        return Sources("admin", None, "sbc.admin_allowlist is empty")
    return Sources("admin", _merged(networks))


def peer_sources(config: Config) -> Sources:
    """What the connections' allowlists admit, or any address (see the docstring)."""
    networks: list[IPNetwork] = []
    dynamic = []
    for conn in config.connections:
        if conn.allowlist:
            networks += conn.allowlist
            continue
        addresses = static_addresses(config, conn)
        if not addresses:
            dynamic.append(conn.name)
        networks += [ipaddress.ip_network(a) for a in addresses]
    if dynamic:
        names = ", ".join(dynamic)
        return Sources("sip_peers", None,
                       f"{names}: no allowlist, the host's DNS addresses are admitted")
    return Sources("sip_peers", _merged(networks))


def _merged(networks: tuple[IPNetwork, ...] | list[IPNetwork]) -> tuple[IPNetwork, ...]:
    """Without overlaps (nft refuses overlapping interval elements), v4 first."""
    out: list[IPNetwork] = []
    for version in (4, 6):
        same = [n for n in networks if n.version == version]
        out += ipaddress.collapse_addresses(same)  # type: ignore[type-var]
    return tuple(out)


def plan_for(config: Config | None, source: str = "") -> FirewallPlan:
    """The plan for `config`; None (no valid config yet) leaves only management open."""
    if config is None:
        return FirewallPlan(source or "no SBC configuration", MANAGEMENT, (), (),
                            admins=admin_sources(None))
    media = (Rule("udp", rtp_ports(config), "RTP media"),)
    return FirewallPlan(source or config.path, MANAGEMENT, sip_rules(config.sbc.listen), media,
                        admins=admin_sources(config), peers=peer_sources(config))
