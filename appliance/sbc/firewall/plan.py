"""From the SBC configuration to the firewall's holes, as a pure function.

Inbound is dropped except: replies (conntrack), loopback, ICMP/ICMPv6, DHCP replies,
SSH and the web console, the SIP listeners of `sbc.listen`, and the RTP port range.
The same function serves boot, `sbc check`-validated saves and the tests, so the rules
can never drift from what the SBC listens on.
"""

from __future__ import annotations

import ipaddress

from ..config import Config, Listener, MediaConfig
from .model import FirewallPlan, PortRange, Proto, Rule

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


def plan_for(config: Config | None, source: str = "") -> FirewallPlan:
    """The plan for `config`; None (no valid config yet) leaves only management open."""
    if config is None:
        return FirewallPlan(source or "no SBC configuration", MANAGEMENT, (), ())
    media = (Rule("udp", rtp_ports(config), "RTP media"),)
    return FirewallPlan(source or config.path, MANAGEMENT, sip_rules(config.sbc.listen), media)
