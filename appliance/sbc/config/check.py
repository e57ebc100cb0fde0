"""`sbc check --config F`: validate a config file the way the SBC would load it.

Exit 1 with one `file:line: field: message` line per error on stderr; warnings go to
stderr too but do not fail; a clean file prints "config OK: N connections".

When the config uses TLS, the installed certificate is assessed as `sbc run` would use it
(`sbc.certs.assess`, the same code and OpenSSL load): each problem is one
`certificate: check: message (hint)` line on stderr. A certificate that does not cover
`sbc.fqdn` is found here rather than by Teams answering 403. With a failed check (a key
that does not match, a DER file, a wrong name) `sbc run` keeps its TLS side off, so the
summary says so instead of "config OK"; `--strict` exits 1 then, and also when the
certificate is missing (the SBC runs its UDP/TCP legs without one until it is imported).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..certs.assess import assess_installed
from .loader import inspect
from .model import Config

DEFAULT_CONFIG = "/data/sbc.yaml"


def check_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sbc check", description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=DEFAULT_CONFIG, help="config file (%(default)s)")
    parser.add_argument("--profiles-dir", type=Path, help="extra connection profiles")
    parser.add_argument(
        "--strict", action="store_true",
        help="missing certificate files and failed certificate checks are errors",
    )
    args = parser.parse_args(argv)
    config, issues = inspect(args.config, profiles_dir=args.profiles_dir, require_files=args.strict)
    for issue in issues:
        print(issue, file=sys.stderr)
    errors = [i for i in issues if i.is_error]
    if errors or config is None:
        print(f"{args.config}: {len(errors)} error(s)", file=sys.stderr)
        return 1
    failed = check_certificate(config)
    refused = (f"the certificate failed {failed} check(s); `sbc run` would keep the TLS "
               "side off")
    if args.strict and failed:
        print(f"{args.config}: {refused}", file=sys.stderr)
        return 1
    names = ", ".join(c.name for c in config.connections)
    count = f"{len(config.connections)} connections" + (f" ({names})" if names else "")
    print(f"config loads: {count}, but {refused}" if failed else f"config OK: {count}")
    return 0


def needs_tls(config: Config) -> bool:
    """A TLS listener or a TLS connection: then the certificate files are in use."""
    return config.sbc.listener("tls") is not None or any(
        c.transport == "tls" for c in config.connections
    )


def check_certificate(config: Config) -> int:
    """Print the certificate's problems; return how many checks failed (a missing
    certificate is not counted: the loader already reports missing files)."""
    if not needs_tls(config):
        return 0
    tls = config.sbc.tls
    report = assess_installed(tls.cert, tls.key, tls.ca_bundle, config.sbc.fqdn)
    for line in report.lines():
        print(line, file=sys.stderr)
    return sum(1 for f in report.problems if f.level == "fail" and f.check != "files")


if __name__ == "__main__":
    sys.exit(check_main())
