"""`sbc firewall`-style entry points: render the ruleset for a config and load it.

For the SBC CLI and the boot unit alike:

    apply_config(load_config("/data/sbc.yaml"))      # after a validated save or reload
    python3 -m sbc.firewall apply --config /data/sbc.yaml

A missing config opens only SSH and the web console. An invalid one keeps the rules
already loaded (the SBC keeps running its last good config too), or, at boot when
nothing is loaded, opens only SSH and the web console, so the admin can always get in.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..config import Config, ConfigError, load_config
from .model import FirewallPlan
from .nft import NftError, load, table_loaded
from .plan import plan_for
from .render import render_ruleset

DEFAULT_CONFIG = Path("/data/sbc.yaml")


def apply_config(config: Config | None, *, nft: str = "nft", source: str = "") -> FirewallPlan:
    """Render and load the firewall for `config` (None: management only)."""
    plan = plan_for(config, source)
    load(render_ruleset(plan), nft)
    return plan


def _read(path: Path, profiles_dir: Path | None) -> tuple[Config | None, str | None]:
    """(config, problem); both None when the file does not exist yet."""
    if not path.exists():
        return None, None
    try:
        return load_config(path, profiles_dir=profiles_dir), None
    except ConfigError as exc:
        return None, str(exc)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m sbc.firewall",
                                     description="nftables rules from the SBC configuration")
    parser.add_argument("action", choices=("apply", "show", "check"),
                        help="load the rules / print them / let nft check them")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG,
                        help="SBC configuration (%(default)s)")
    parser.add_argument("--profiles-dir", type=Path, help="extra connection profiles")
    parser.add_argument("--nft", default="nft", help="nft program (%(default)s)")
    args = parser.parse_args(argv)

    config, problem = _read(args.config, args.profiles_dir)
    source = str(args.config) if config else f"no valid SBC configuration ({args.config})"
    if problem:
        print(f"{args.config} is not valid; SIP and RTP stay as they were:\n{problem}",
              file=sys.stderr)
    elif config is None:
        print(f"{args.config} does not exist: only SSH and the web console are open",
              file=sys.stderr)
    plan = plan_for(config, source)
    ruleset = render_ruleset(plan)
    try:
        if args.action == "show":
            sys.stdout.write(ruleset)
        elif args.action == "check":
            load(ruleset, args.nft, check_only=True)
        elif problem and table_loaded(plan.table, args.nft):
            return 1  # keep the rules of the last good configuration
        else:
            load(ruleset, args.nft)
    except NftError as exc:
        print(exc, file=sys.stderr)
        return 2
    return 1 if problem else 0
