"""Teams media bypass: what it needs of this box, as findings. Pure, like `checks`.

With media bypass (`media_bypass: true` on the Teams connections) Teams clients send
their media straight to `sbc.public_ip`, on a port of `media.port_min`..`port_max`, from
wherever they are. So that address must be reachable from the internet (behind 1:1 NAT
sbc.public_ip is the public address and sbc.wan_ip the local one), and the media range
must be open to any source, not only Microsoft's ranges. Without media bypass there is
no finding: media then comes from Microsoft's media processors (`firewall.media`).
"""

from __future__ import annotations

import ipaddress

from ..config import Config
from ..config.loader import TEAMS_NETWORKS
from .facts import Facts
from .finding import Finding, fail, ok
from .nftables import Probe, decide, probes_for

# Sources a client on the internet may have: spread over the IPv4 unicast space, plus
# Microsoft's ranges (web clients and voice apps still come from the media processors).
INTERNET = ("1.1.1.1", "46.114.0.1", "81.200.0.1", "128.0.0.1", "185.60.0.1",
            "223.255.255.1")
MS_RANGES = tuple(str(n) for n in TEAMS_NETWORKS)
SET_OFF = "Set-CsOnlinePSTNGateway -Identity {fqdn} -MediaBypass $false"


def media_bypass(config: Config | None) -> bool:
    """Whether the Teams connections have media bypass (the loader makes them agree)."""
    return config is not None and any(
        c.media_bypass for c in config.connections if c.kind == "teams")


def not_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why clients on the internet cannot reach `address`, or None when it is global."""
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_multicast:
        return "a multicast address"
    if address.version == 4 and address in ipaddress.ip_network("100.64.0.0/10"):
        return "a carrier-grade NAT address (100.64.0.0/10)"
    for net in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"):
        if address.version == 4 and address in ipaddress.ip_network(net):
            return f"a documentation address (TEST-NET, {net})"
    if address.version == 4 and any(address in ipaddress.ip_network(n) for n in
                                    ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")):
        return "a private address (RFC 1918)"
    if not address.is_global:
        return "a reserved address"
    return None


def _entry(config: Config) -> str:
    """`connections.NAME.media_bypass` of the first Teams entry, for advice."""
    teams = next(c for c in config.connections if c.kind == "teams")
    return f"connections.{teams.group}.media_bypass"


def address_findings(facts: Facts) -> list[Finding]:
    """`media.bypass`: sbc.public_ip must be public when media bypass is on."""
    config = facts.config
    if config is None or not media_bypass(config):
        return []
    title = "Media bypass"
    public = config.sbc.public_ip
    low, high = config.media.port_min, config.media.port_max
    why = not_public(public)
    if why is not None:
        return [fail("media.bypass", title,
                     f"Media bypass is on: Teams clients send media to sbc.public_ip from "
                     f"anywhere; {public} is {why}, not reachable from the internet.",
                     "Set sbc.public_ip to the public address with `sbc config set "
                     "sbc.public_ip=ADDRESS` (behind 1:1 NAT also sbc.wan_ip to the local "
                     f"one), or switch media bypass off: `sbc config set {_entry(config)}"
                     f"=false` and `{SET_OFF.format(fqdn=config.sbc.fqdn)}`.", "voip")]
    return [ok("media.bypass", title,
               f"Media bypass is on: Teams clients send media straight to {public} on UDP "
               f"{low}-{high} (web clients and voice apps still through Microsoft's media "
               "processors).", "voip")]


def firewall_findings(facts: Facts) -> list[Finding]:
    """`firewall.media_bypass`: the media range open to any source on this box."""
    config, fw = facts.config, facts.firewall
    if config is None or fw is None or fw.ruleset is None or not media_bypass(config):
        return []
    low, high = config.media.port_min, config.media.port_max
    sources = [ipaddress.ip_address(a) for a in INTERNET] + probes_for(MS_RANGES)
    closed = [(a, p, v) for a in sources for p in (low, high)
              if not (v := decide(fw.ruleset, Probe(a, "udp", p))).accepted]
    title = "Firewall: media bypass"
    if closed:
        address, port, verdict = closed[0]
        return [fail("firewall.media_bypass", title,
                     f"Media bypass is on, but UDP {port} (media range {low}-{high}) is "
                     f"closed for {address} ({verdict.why}); Teams clients send media from "
                     "any address.",
                     "Apply the rules from /data/sbc.yaml with `systemctl restart "
                     f"opensbc-firewall` (they open UDP {low}-{high} to any address); allow "
                     f"UDP {low}-{high} from anywhere to {config.sbc.public_ip} on any "
                     "firewall or NAT in front of the box too.", "firewall")]
    return [ok("firewall.media_bypass", title,
               f"UDP {low}-{high} is open to any address on this box (a firewall or NAT in "
               f"front of it must forward UDP {low}-{high} to it too).", "firewall")]
