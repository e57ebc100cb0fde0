"""`python -m benchmarks [NAME...]`: runs the named benchmarks (default: all)."""

from __future__ import annotations

import importlib
import sys

ALL = ("image", "reproducible", "hotpath", "options", "calls", "latency", "fuzzlatency")


def main(argv: list[str]) -> int:
    names = argv or list(ALL)
    for name in names:
        if name not in ALL:
            print(f"unknown benchmark {name!r}; known: {', '.join(ALL)}", file=sys.stderr)
            return 2
    for name in names:
        print(f"== benchmark {name}")
        rc = importlib.import_module(f"benchmarks.{name}").main()
        if rc:
            return rc
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
