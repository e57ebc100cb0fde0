"""The appliance's nftables firewall, rendered from the SBC configuration.

    plan = plan_for(load_config("/data/sbc.yaml"))   # pure: which ports are open
    text = render_ruleset(plan)                       # jinja2 -> nft syntax
    apply_config(config)                              # render + `nft -f -`

Inbound is dropped except replies, loopback, ICMP, DHCP replies, SSH (22) and the web
console (9090) from `sbc.admin_allowlist` (any address when empty), the SIP listeners of
`sbc.listen` from what the connections' allowlists admit (named sets), and the RTP
range. Only the table `inet opensbc` is touched.
"""

from .apply import apply_config, main
from .model import FirewallPlan, PortRange, Rule, Sources
from .nft import NftError
from .plan import DEFAULT_RTP, admin_sources, peer_sources, plan_for, rtp_ports, sip_rules
from .render import render_ruleset

__all__ = [
    "DEFAULT_RTP",
    "FirewallPlan",
    "NftError",
    "PortRange",
    "Rule",
    "Sources",
    "admin_sources",
    "apply_config",
    "main",
    "peer_sources",
    "plan_for",
    "render_ruleset",
    "rtp_ports",
    "sip_rules",
]
