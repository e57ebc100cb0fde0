"""`sbc check --config F`: validate a config file the way the SBC would load it.

Exit 1 with one `file:line: field: message` line per error on stderr; warnings go to
stderr too but do not fail; a clean file prints "config OK: N connections".
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .loader import inspect

DEFAULT_CONFIG = "/data/sbc.yaml"


def check_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sbc check", description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=DEFAULT_CONFIG, help="config file (%(default)s)")
    parser.add_argument("--profiles-dir", type=Path, help="extra connection profiles")
    parser.add_argument(
        "--strict", action="store_true", help="missing certificate files are errors (as at run)"
    )
    args = parser.parse_args(argv)
    config, issues = inspect(args.config, profiles_dir=args.profiles_dir, require_files=args.strict)
    for issue in issues:
        print(issue, file=sys.stderr)
    errors = [i for i in issues if i.is_error]
    if errors or config is None:
        print(f"{args.config}: {len(errors)} error(s)", file=sys.stderr)
        return 1
    names = ", ".join(c.name for c in config.connections)
    print(f"config OK: {len(config.connections)} connections" + (f" ({names})" if names else ""))
    return 0


if __name__ == "__main__":
    sys.exit(check_main())
