"""The first `/data/sbc.yaml`: written from the set-up wizard's answers, so the SBC runs
from the first boot instead of waiting for a file the admin has to write by hand.

The seed is the shipped `seed.yaml` (commented for the admin) with what the wizard
knows (FQDN, address) set through the settings model, as `sbc config set` would; it
holds the Teams connection, and the carrier comes later from the web console. Without
a certificate the Teams side waits (app.readiness), so the seed is a valid, running
configuration from the start. It is written only where no file exists: an admin's file
is never replaced. The CA bundle
(/data/ca.pem) is built with it, since TLS peers are verified against it.

    python3 -m sbc.config.seed --fqdn sbc1.example.net --public-ip 198.51.100.7
    python3 -m sbc.config.seed --from-system     # after an upgrade that found no file
"""

from __future__ import annotations

import argparse
import socket
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..certs.bundle import build_bundle
from ..certs.paths import SYSTEM_STORE, CertPaths
from ..util.atomic import atomic_write
from .change import Editor
from .issues import ConfigError, ConfigIssue
from .loader import parse
from .save import CONFIG_MODE
from .values import fqdn_problem

DEFAULT_CONFIG = Path("/data/sbc.yaml")
FIRSTBOOT_DONE = Path("/etc/opensbc/firstboot-done")
# Stands in when the system has no FQDN yet; reported as "not configured yet".
FALLBACK_FQDN = "sbc.example.com"
SEED_NAME = "seed.yaml"


@dataclass(frozen=True)
class SeedResult:
    path: Path
    written: bool  # False: a file was there already and is left as it is
    bundle: Path | None = None  # the CA bundle, when this run built it


def render_seed(fqdn: str, public_ip: str) -> str:
    """The seed's text: the shipped file with the answers set through the settings model
    (`config.change`, the code behind `sbc config set`); ValueError names a bad answer."""
    template = resources.files(__package__).joinpath("seed.yaml").read_text("utf-8")
    editor = Editor(SEED_NAME, template)
    editor.set("sbc.fqdn", fqdn)
    editor.set("sbc.public_ip", public_ip)
    _refuse(editor.errors)
    config, log = parse(SEED_NAME, editor.text)
    _refuse([issue for issue in log.issues if issue.is_error])
    assert config is not None
    return editor.text


def _refuse(errors: list[ConfigIssue]) -> None:
    if errors:
        raise ValueError("; ".join(f"{e.field}: {e.message}" for e in errors))


def seed(path: Path, fqdn: str, public_ip: str, *, data_dir: Path | None = None,
         system_store: Path | None = SYSTEM_STORE) -> SeedResult:
    """Write the seed at `path` unless a file is there; build the CA bundle if missing.

    Raises ValueError (nothing written) for answers that would not load.
    """
    paths = CertPaths(data_dir or path.parent)
    bundle = None
    if not paths.ca_bundle.exists():
        build_bundle(paths, system_store=system_store)
        bundle = paths.ca_bundle
    if path.exists():
        return SeedResult(path, False, bundle)
    text = render_seed(fqdn, public_ip)
    atomic_write(path, text.encode("utf-8"), CONFIG_MODE)
    return SeedResult(path, True, bundle)


def system_fqdn(done: Path = FIRSTBOOT_DONE) -> str:
    """The FQDN the wizard recorded ("<stamp> <fqdn>"), else the resolver's, else the
    placeholder that `sbc check` reports as not configured."""
    candidates = []
    try:
        candidates += done.read_text().split()[1:2]
    except OSError:
        pass
    candidates.append(socket.getfqdn())
    for name in candidates:
        if fqdn_problem(name) is None:
            return name
    return FALLBACK_FQDN


def system_address() -> str:
    """This box's source address toward the internet: a UDP connect picks the route
    and sends nothing."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
            return str(probe.getsockname()[0])
        except OSError:
            return "127.0.0.1"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m sbc.config.seed",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    parser.add_argument("--fqdn")
    parser.add_argument("--public-ip")
    parser.add_argument("--from-system", action="store_true",
                        help="take the FQDN and address from this machine")
    parser.add_argument("--system-store", type=Path, default=SYSTEM_STORE)
    args = parser.parse_args(argv)
    if args.from_system:
        fqdn, address = args.fqdn or system_fqdn(), args.public_ip or system_address()
    elif args.fqdn and args.public_ip:
        fqdn, address = args.fqdn, args.public_ip
    else:
        parser.error("give --fqdn and --public-ip, or --from-system")
    try:
        result = seed(args.config, fqdn, address, system_store=args.system_store)
    except (ValueError, ConfigError, OSError) as exc:
        print(f"seed: {args.config}: not written: {exc}", file=sys.stderr)
        return 1
    if result.bundle is not None:
        print(f"built the CA bundle {result.bundle}")
    if result.written:
        print(f"wrote {result.path} for {fqdn} ({address})")
    else:
        print(f"{result.path} exists; left as it is")
    return 0


if __name__ == "__main__":
    sys.exit(main())
