#!/usr/bin/env python3
"""Builds the OpenSBC installer ISO: `dist/<name>-<version>.iso`, its .sha256 and manifest.

Run through `make iso`, which installs the host packages and the virtual environment
first. Settings come from OPENSBC_* environment variables or the flags below. The same
commit and package versions give the same ISO, byte for byte (docs/building.md); the
last line printed is its sha256.
"""

from __future__ import annotations

import argparse
import logging
import sys

from imagebuild import pipeline, settings
from imagebuild.run import BuildError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mirror", help="Debian mirror (default: the host's apt mirror)")
    parser.add_argument("--security-mirror", help="Debian security mirror")
    parser.add_argument("--compression", choices=["xz", "zstd"], help="squashfs compression")
    parser.add_argument("--packages-from", metavar="MANIFEST",
                        help="pin every package to its version in an earlier build's "
                        "dist/*.manifest (with a snapshot mirror, rebuilds a release)")
    parser.add_argument("--cached-rootfs", action="store_true",
                        help="build from the cached root filesystem only (no download); "
                        "fails when there is none for these inputs")
    parser.add_argument("--until", choices=pipeline.STEPS, default="iso", help="stop after step")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every command")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        datefmt="%H:%M:%S",
    )
    try:
        overrides: dict[str, str] = {
            k: v
            for k, v in (
                ("mirror", args.mirror),
                ("security_mirror", args.security_mirror),
                ("compression", args.compression),
                ("packages_from", args.packages_from),
                ("cached_rootfs", "yes" if args.cached_rootfs else ""),
            )
            if v
        }
        conf = settings.load(None, **overrides)
        pipeline.build(conf, until=args.until)
    except BuildError as exc:
        logging.getLogger("build").error("build failed: %s", exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
