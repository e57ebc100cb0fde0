"""`python3 -m firstboot.voip show|set`: the VoIP parameters for Cockpit's SBC page.

The page edits sbc.fqdn, public_ip, wan_ip, the TLS listener's port and
options_interval. `set` patches those values into the YAML text (comments kept),
checks the result with sbc.config -- the same code `sbc check` runs -- and saves it
atomically only if it is valid. Answers are one JSON object on stdout, exit status 0,
so the page can show the errors; a non-zero status means the helper itself broke.

    show: {"ok": true, "values": {...}}
    set:  {"ok": false, "errors": ["/data/sbc.yaml:9: sbc.fqdn: ..."], "warnings": [...]}
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from sbc.config import ConfigError, loads, save_config

from .sbcyaml import FIELDS, PatchError, current, patch

# The appliance's config; OPENSBC_CONFIG points elsewhere (tests, a lab checkout).
DEFAULT_CONFIG = Path(os.environ.get("OPENSBC_CONFIG", "/data/sbc.yaml"))


def _values(path: Path, text: str) -> dict[str, Any]:
    values = current(text)
    trace = Path(str(values["trace_path"]))
    values["trace_path"] = str(trace if trace.is_absolute() else path.parent / trace)
    return values


def show(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except OSError as exc:
        return {"ok": False, "errors": [f"{path}: {exc.strerror}"], "warnings": []}
    try:
        return {"ok": True, "values": _values(path, text), "errors": [], "warnings": []}
    except Exception as exc:  # a broken file is reported, not raised
        return {"ok": False, "errors": [f"{path}: {exc}"], "warnings": []}


def update(path: Path, changes: dict[str, str | None], *, dry_run: bool = False,
           profiles_dir: Path | None = None) -> dict[str, Any]:
    """Patch, validate as `sbc check` would, and save unless invalid or `dry_run`."""
    try:
        text = path.read_text()
        new = patch(text, changes)
    except OSError as exc:
        return {"ok": False, "errors": [f"{path}: {exc.strerror}"], "warnings": []}
    except PatchError as exc:
        return {"ok": False, "errors": [f"{path}: {exc}"], "warnings": []}
    try:
        if dry_run:
            config = loads(new, str(path), profiles_dir=profiles_dir)
        else:
            config = save_config(path, new, profiles_dir=profiles_dir)
    except ConfigError as exc:
        return {"ok": False, "errors": [str(e) for e in exc.errors], "warnings": []}
    return {"ok": True, "saved": not dry_run and new != text, "errors": [],
            "warnings": [str(w) for w in config.warnings], "values": _values(path, new)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m firstboot.voip",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("show", "set"))
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    parser.add_argument("--profiles-dir", type=Path)
    parser.add_argument("--dry-run", action="store_true", help="check only, save nothing")
    for field in FIELDS:
        parser.add_argument(f"--{field.replace('_', '-')}", dest=field, metavar="VALUE",
                            help="'' removes wan_ip" if field == "wan_ip" else None)
    args = parser.parse_args(argv)
    if args.action == "show":
        answer = show(args.config)
    else:
        changes = {field: getattr(args, field) for field in FIELDS}
        answer = update(args.config, changes, dry_run=args.dry_run,
                        profiles_dir=args.profiles_dir)
    json.dump(answer, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
