"""The first `/data/sbc.yaml`: written from the set-up wizard's answers, so the SBC runs
from the first boot instead of waiting for a file the admin has to write by hand.

The seed holds what the wizard knows (FQDN, address) and the Teams connection; the
carrier comes later from the web console. Without a certificate the Teams side waits
(core.readiness), so the seed is a valid, running configuration from the start. It is
written only where no file exists: an admin's file is never replaced. The CA bundle
(/data/ca.pem) is built with it, since TLS peers are verified against it.

    python3 -m sbc.config.seed --fqdn sbc1.example.net --public-ip 198.51.100.7
    python3 -m sbc.config.seed --from-system     # after an upgrade that found no file
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import socket
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import jinja2

from ..certs.bundle import build_bundle
from ..certs.paths import SYSTEM_STORE, CertPaths
from ..util.atomic import atomic_write
from .issues import ConfigError
from .loader import loads
from .save import CONFIG_MODE
from .values import fqdn_problem, normalise_name

DEFAULT_CONFIG = Path("/data/sbc.yaml")
FIRSTBOOT_DONE = Path("/etc/opensbc/firstboot-done")
# Stands in when the system has no FQDN yet; reported as "not configured yet".
FALLBACK_FQDN = "sbc.example.com"
TLS_PORT = 5061


@dataclass(frozen=True)
class SeedResult:
    path: Path
    written: bool  # False: a file was there already and is left as it is
    bundle: Path | None = None  # the CA bundle, when this run built it


def render_seed(fqdn: str, public_ip: str, *, tls_port: int = TLS_PORT,
                now: dt.datetime | None = None) -> str:
    """The seed's text; ValueError names a value that would not load."""
    problem = fqdn_problem(fqdn)
    if problem:
        raise ValueError(f"sbc.fqdn {problem}")
    try:
        address = ipaddress.IPv4Address(public_ip)
    except ValueError:
        raise ValueError(f"sbc.public_ip must be an IPv4 address (got {public_ip!r})") from None
    when = (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    template = resources.files(__package__).joinpath("seed.yaml.j2").read_text("utf-8")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             autoescape=False)
    return env.from_string(template).render(fqdn=normalise_name(fqdn), public_ip=address,
                                            tls_port=tls_port, when=when)


def seed(path: Path, fqdn: str, public_ip: str, *, data_dir: Path | None = None,
         system_store: Path | None = SYSTEM_STORE) -> SeedResult:
    """Write the seed at `path` unless a file is there; build the CA bundle if missing.

    Raises ValueError or ConfigError (nothing written) for values that would not load.
    """
    paths = CertPaths(data_dir or path.parent)
    bundle = None
    if not paths.ca_bundle.exists():
        build_bundle(paths, system_store=system_store)
        bundle = paths.ca_bundle
    if path.exists():
        return SeedResult(path, False, bundle)
    text = render_seed(fqdn, public_ip)
    loads(text, str(path))  # the same checks as `sbc check`; raises before any write
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
