"""`sbc doctor` and `sbc teams-setup`; `appliance/sbc/cli.py` adds both with `add_parser`.

    sbc doctor [--json] [--config F] [--run-dir D]   exit 0 without failures, else 1
    sbc teams-setup [--config F]                     the Teams PowerShell for this box
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from ..config.loader import inspect
from .checks import run_checks
from .gather import Gatherers, gather
from .report import as_json, as_text
from .teams import powershell, problems, teams_side

DEFAULT_CONFIG = "/data/sbc.yaml"
CONFIG_HELP = "config file ($OPENSBC_CONFIG, else %(default)s)"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    # $OPENSBC_CONFIG as for `sbc config` (the web console, a lab checkout).
    config = os.environ.get("OPENSBC_CONFIG") or DEFAULT_CONFIG
    p = subparsers.add_parser("doctor", help="is this box ready for Teams and the carrier?")
    p.add_argument("--json", action="store_true", help="the report as JSON (web console)")
    p.add_argument("--config", default=config, help=CONFIG_HELP)
    p.add_argument("--run-dir", type=Path, help="the running SBC's status (default /run/opensbc)")
    p.set_defaults(func=cmd_doctor)

    p = subparsers.add_parser("teams-setup", help="print the Teams PowerShell for this box")
    p.add_argument("--config", default=config, help=CONFIG_HELP)
    p.set_defaults(func=cmd_teams_setup)


def default_gatherers() -> Gatherers:
    """The real I/O; tests replace this to keep DNS, nft and the clock out."""
    return Gatherers()


def cmd_doctor(args: argparse.Namespace) -> int:
    findings = run_checks(gather(args.config, args.run_dir, default_gatherers()))
    if args.json:
        print(json.dumps(as_json(findings), indent=2))
    else:
        sys.stdout.write(as_text(findings))
    return 1 if any(f.level == "fail" for f in findings) else 0


def cmd_teams_setup(args: argparse.Namespace) -> int:
    config, issues = inspect(args.config)
    if config is None:
        for issue in issues:
            if issue.is_error:
                print(issue, file=sys.stderr)
        print(f"sbc teams-setup: {args.config} does not load; `sbc check` lists why",
              file=sys.stderr)
        return 1
    for problem in problems(config):
        print(f"sbc teams-setup: warning: {problem}", file=sys.stderr)
    sys.stdout.write(powershell(teams_side(config)))
    return 0
