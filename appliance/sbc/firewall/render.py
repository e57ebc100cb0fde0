"""The nftables ruleset text for a FirewallPlan (jinja2, typed objects in)."""

from __future__ import annotations

from ..util.templates import Templates
from .model import FirewallPlan

_templates = Templates.beside(__file__)


def render_ruleset(plan: FirewallPlan) -> str:
    return _templates.render("opensbc.nft.j2", plan=plan)
