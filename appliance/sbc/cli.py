"""The `sbc` command line (placeholder until the signalling-core issue lands)."""

from __future__ import annotations

import sys

from . import PRODUCT, __version__


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--version"]:
        print(f"{PRODUCT} {__version__}")
        return 0
    print(f"{PRODUCT} {__version__}: no command given", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
