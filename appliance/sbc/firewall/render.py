"""The nftables ruleset text for a FirewallPlan (jinja2, typed objects in)."""

from __future__ import annotations

from pathlib import Path

import jinja2

from .model import FirewallPlan

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    autoescape=False,
)


def render_ruleset(plan: FirewallPlan) -> str:
    return _env.get_template("opensbc.nft.j2").render(plan=plan)
