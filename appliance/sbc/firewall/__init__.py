"""The appliance's nftables firewall, rendered from the SBC configuration.

    plan = plan_for(load_config("/data/sbc.yaml"))   # pure: which ports are open
    text = render_ruleset(plan)                       # jinja2 -> nft syntax
    apply_config(config)                              # render + `nft -f -`

Inbound is dropped except replies, loopback, ICMP, DHCP replies, SSH (22), the web
console (9090), the SIP listeners of `sbc.listen` and the RTP range (40000-49999 until
the config has its own). Only the table `inet opensbc` is touched.
"""

from .apply import apply_config, main
from .model import FirewallPlan, PortRange, Rule
from .nft import NftError
from .plan import DEFAULT_RTP, plan_for, rtp_ports, sip_rules
from .render import render_ruleset

__all__ = [
    "DEFAULT_RTP",
    "FirewallPlan",
    "NftError",
    "PortRange",
    "Rule",
    "apply_config",
    "main",
    "plan_for",
    "render_ruleset",
    "rtp_ports",
    "sip_rules",
]
