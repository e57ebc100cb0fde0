"""Who may reach the box, as the firewall plan for the configuration says. Pure.

SSH and the web console answer any address until `sbc.admin_allowlist` names the
admins' networks: a warning, since a box on the internet then offers its logins to
everyone. The SIP listeners admit only the connections' allowlists, unless a connection
without an allowlist is known by a DNS name only (see `sbc.firewall.plan`): said, not
warned, as the SBC drops other sources itself.
"""

from __future__ import annotations

from ..firewall.plan import admin_sources, peer_sources
from .facts import Facts
from .finding import Finding, ok, warn


def access_findings(facts: Facts) -> list[Finding]:
    config = facts.config
    if config is None:
        return []
    out = []
    admins = admin_sources(config)
    title = "Firewall: management"
    if admins.any:
        out.append(warn("firewall.admin", title,
                        "SSH and the web console answer any address (sbc.admin_allowlist "
                        "is empty).",
                        "Name the networks you administer from with `sbc config set "
                        "sbc.admin_allowlist=192.0.2.0/24` (a list), then `systemctl restart "
                        "opensbc-firewall`.", "firewall"))
    else:
        nets = ", ".join(str(n) for n in admins.networks or ())
        out.append(ok("firewall.admin", title,
                      f"SSH and the web console answer only {nets}.", "firewall"))
    peers = peer_sources(config)
    title = "Firewall: SIP sources"
    if peers.any:
        out.append(ok("firewall.sip_sources", title,
                      f"The SIP ports are open to any address ({peers.why_any}); the SBC "
                      "drops other sources unread.", "firewall"))
    else:
        count = len(peers.networks or ())
        out.append(ok("firewall.sip_sources", title,
                      f"The SIP ports admit only the connections' allowlists "
                      f"({count} network(s)).", "firewall"))
    return out
