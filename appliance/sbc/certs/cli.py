"""The `sbc cert ...` and `sbc tls-check` sub-commands (argparse adapter, no logic).

`appliance/sbc/cli.py` wires them in with `add_parser(subparsers)` and calls
`args.func(args)`, which returns the exit status: 0 done, 1 refused or failed (the reason
is printed), 2 usage error (argparse). `main(argv)` runs them alone, for tests.
Every path defaults to the appliance's `/data` ($OPENSBC_DATA_DIR when set: the web
console's tests, a lab checkout) and follows `--data-dir`.

`sbc cert acme issue|renew|status` runs ACME (sbc.certs.acme) with the `acme:` section
of sbc.yaml; `renew` is what opensbc-acme.timer runs twice a day and does nothing until
the certificate is due (exit 0 also without an `acme:` section, when it only warns as the
certificate nears its end: 30, 14, 7 and 1 days left).

`--json` (csr, import, show, add-ca, tls-check, acme) answers on stdout in JSON, also when the
command refuses: `{"ok": false, "error": {"check", "message", "hint"}}` with exit status 1.
`sbc cert import -` and `sbc cert add-ca -` read the PEM from stdin (the web page passes
pasted or uploaded text that way, without a temporary file).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from .assess import assess_installed
from .bundle import add_ca, build_bundle
from .csr import DEFAULT_KEY_SIZE, KEY_SIZES, create_csr
from .errors import CertError
from .importer import ImportResult, import_certificate
from .paths import DATA_DIR, SYSTEM_STORE, CertPaths
from .show import format_text, show_file, show_installed
from .tlscheck import tls_check

Handler = Callable[[argparse.Namespace], int]
DATA_DIR_ENV = "OPENSBC_DATA_DIR"
STDIN = Path("-")


def default_data_dir() -> Path:
    """$OPENSBC_DATA_DIR when set, else the appliance's /data."""
    return Path(os.environ.get(DATA_DIR_ENV) or DATA_DIR)


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `cert` (csr, import, show, add-ca, bundle) and `tls-check`."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir", type=Path, default=default_data_dir(),
        help=f"data folder (${DATA_DIR_ENV}, else {DATA_DIR})",
    )
    as_json = argparse.ArgumentParser(add_help=False)
    as_json.add_argument("--json", action="store_true", help="machine-readable output")

    cert = subparsers.add_parser("cert", help="the SBC certificate and the CA bundle")
    commands = cert.add_subparsers(dest="cert_command", metavar="COMMAND", required=True)

    p = commands.add_parser(
        "csr", parents=[common, as_json], help="make a new key and a certificate signing request"
    )
    p.add_argument("--fqdn", required=True, help="the SBC's public FQDN (CN and SAN)")
    p.add_argument("--san", action="append", default=[], help="an extra DNS SAN (repeatable)")
    p.add_argument("--key-size", type=int, choices=KEY_SIZES, default=DEFAULT_KEY_SIZE)
    p.add_argument("--org", help="organization (O) in the subject")
    p.add_argument("--country", help="two-letter country code (C) in the subject")
    p.set_defaults(func=_csr)

    p = commands.add_parser(
        "import", parents=[common, as_json],
        help="check and install a signed certificate and its chain",
    )
    p.add_argument(
        "certificate", type=Path, help="PEM or DER; may hold the chain too; - reads stdin"
    )
    p.add_argument("chain", type=Path, nargs="?", help="intermediates (and root), PEM or DER")
    p.add_argument("--key", type=Path, help="the private key, if it was not made on this box")
    p.add_argument("--fqdn", help="the SBC's FQDN (default: the CN of the last CSR)")
    p.add_argument(
        "--strict-eku", action="store_true", help="refuse a certificate without clientAuth"
    )
    p.set_defaults(func=_import)

    p = commands.add_parser(
        "show", parents=[common, as_json], help="show the installed certificate"
    )
    p.add_argument("file", type=Path, nargs="?", help="show this file instead")
    p.add_argument(
        "--fqdn", help="also check that this FQDN is in CN and SAN (default for the installed "
        "certificate: sbc.fqdn of the config)",
    )
    p.add_argument(
        "--config", type=Path,
        help="the config for sbc.fqdn (default $OPENSBC_CONFIG, else DATA/sbc.yaml)",
    )
    p.set_defaults(func=_show)

    p = commands.add_parser(
        "add-ca", parents=[common, as_json], help="trust a CA (kept across rebuilds)"
    )
    p.add_argument("file", type=Path, help="the CA certificate(s), PEM or DER; - reads stdin")
    p.set_defaults(func=_add_ca)

    p = commands.add_parser("bundle", parents=[common], help="rebuild the CA bundle")
    p.add_argument("--system-store", type=Path, default=SYSTEM_STORE)
    p.set_defaults(func=_bundle)

    from .acme.cli import add_parser as add_acme_parser  # it uses this module's helpers

    add_acme_parser(commands, [common, as_json])

    p = subparsers.add_parser(
        "tls-check",
        parents=[common],
        help="test a TLS connection and explain a failure",
        epilog="Microsoft's test endpoint for Direct Routing SBCs: "
        "sbc tls-check sip.mspki.pstnhub.microsoft.com",
    )
    p.add_argument("target", metavar="HOST[:PORT]", help="port 5061 if omitted")
    p.add_argument("--servername", help="SNI and name to check (default: HOST)")
    p.add_argument("--no-client-cert", action="store_true", help="do not present sbc.crt")
    p.add_argument(
        "--map", action="append", default=[], metavar="NAME=ADDRESS",
        help="resolve NAME to ADDRESS (static host map; repeatable)",
    )
    p.add_argument("--timeout", type=float, default=5.0)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_tls_check)


def _reports_errors(handler: Handler) -> Handler:
    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except CertError as exc:
            if getattr(args, "json", False):
                _print_error(exc.check, exc.message, exc.hint)
                return 1
            where = f" ({exc.check} check)" if exc.check else ""
            print(f"error{where}: {exc.message}", file=sys.stderr)
            if exc.hint:
                print(f"hint: {exc.hint}", file=sys.stderr)
            return 1
        except OSError as exc:
            if getattr(args, "json", False):
                _print_error("files", f"{exc.filename or ''}: {exc.strerror or exc}", "")
                return 1
            print(f"error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
            return 1

    return run


def _print_json(answer: dict[str, object]) -> None:
    print(json.dumps(answer, indent=2))


def _print_error(check: str, message: str, hint: str) -> None:
    _print_json({"ok": False, "error": {"check": check, "message": message, "hint": hint}})


def _read_input(path: Path) -> bytes:
    """The file's bytes; `-` is stdin."""
    return sys.stdin.buffer.read() if path == STDIN else path.read_bytes()


def _source(path: Path) -> str:
    return "the certificate text" if path == STDIN else str(path)


def _csr_facts(pem: bytes) -> dict[str, object]:
    csr = x509.load_pem_x509_csr(pem)
    try:
        sans = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = sans.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        names = []
    cns = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    key = csr.public_key()
    return {
        "fqdn": str(cns[0].value) if cns else None,
        "subject": csr.subject.rfc4514_string(),
        "sans": list(names),
        "key_size": key.key_size if isinstance(key, rsa.RSAPublicKey) else None,
        "csr": pem.decode("ascii"),
    }


@_reports_errors
def _csr(args: argparse.Namespace) -> int:
    result = create_csr(
        CertPaths(args.data_dir), args.fqdn, args.san, key_size=args.key_size,
        organization=args.org, country=args.country,
    )
    if args.json:
        _print_json({
            "ok": True, **_csr_facts(result.csr_pem),
            "csr_path": str(result.csr_path), "key_path": str(result.key_path),
        })
        return 0
    print(f"key: {result.key_path} (RSA {args.key_size}, kept until the import)", file=sys.stderr)
    print(f"CSR: {result.csr_path}; have it signed by a public CA, then `sbc cert import`",
          file=sys.stderr)
    sys.stdout.write(result.csr_pem.decode("ascii"))
    return 0


@_reports_errors
def _import(args: argparse.Namespace) -> int:
    paths = CertPaths(args.data_dir)
    fqdn = args.fqdn or _fqdn_of_last_csr(paths)
    if args.chain == STDIN and args.certificate == STDIN:
        raise CertError("only one of the files can be - (stdin)", check="usage")
    result = import_certificate(
        _read_input(args.certificate),
        _read_input(args.chain) if args.chain else None,
        fqdn=fqdn,
        paths=paths,
        key_data=args.key.read_bytes() if args.key else None,
        require_client_auth=args.strict_eku,
        cert_source=_source(args.certificate),
        chain_source=_source(args.chain) if args.chain else "the chain file",
    )
    if args.json:
        _print_json(_import_answer(result))
        return 0
    print(result.summary())
    return 0


def _import_answer(result: ImportResult) -> dict[str, object]:
    return {
        "ok": True,
        "installed": {
            "fqdn": result.fqdn,
            "cert_path": str(result.cert_path),
            "key_path": str(result.key_path),
            "subject": result.subject,
            "issuer": result.issuer,
            "not_after": result.not_after.isoformat(),
            "chain": result.chain,
            "anchor": result.anchor,
            "key_source": result.key_source,
            "added_roots": result.added_roots,
        },
        "warnings": result.warnings,
        "findings": [
            {"check": f.check, "level": f.level, "message": f.message, "hint": f.hint}
            for f in result.findings
        ],
        "reload": "systemctl reload opensbc",
    }


def _fqdn_of_last_csr(paths: CertPaths) -> str:
    if paths.csr.exists():
        try:
            csr = x509.load_pem_x509_csr(paths.csr.read_bytes())
        except ValueError:
            csr = None
        names = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME) if csr else []
        if names:
            return str(names[0].value)
    raise CertError("which FQDN is the certificate for?", check="fqdn", hint="give --fqdn")


@_reports_errors
def _show(args: argparse.Namespace) -> int:
    if args.file:
        info = show_file(args.file, fqdn=args.fqdn)
        print(json.dumps(info, indent=2) if args.json else format_text(info))
        return 0
    paths = CertPaths(args.data_dir)
    config = args.config or Path(os.environ.get("OPENSBC_CONFIG") or paths.data_dir / "sbc.yaml")
    fqdn = args.fqdn or _fqdn_of_config(config)
    try:
        info = show_installed(paths, fqdn=fqdn)
    except CertError as exc:
        if not args.json:
            raise
        answer: dict[str, object] = {
            "ok": False, "fqdn": fqdn,
            "error": {"check": exc.check, "message": exc.message, "hint": exc.hint},
        }
        answer["pending"] = _pending(paths)
        _print_json(answer)
        return 1
    info["fqdn"] = fqdn
    lines: list[str] = []
    if fqdn:  # the checks `sbc check` and `sbc run` apply, with their hints
        report = assess_installed(paths.cert, paths.key, paths.ca_bundle, fqdn)
        info["assessment"] = report.as_dict()
        lines = report.lines()
    if args.json:
        info["pending"] = _pending(paths)
        _print_json({"ok": True, **info})
        return 0
    print("\n".join([format_text(info), *lines]))
    return 0


def _pending(paths: CertPaths) -> dict[str, object] | None:
    """The last CSR while its key waits for the certificate (the page offers it again)."""
    if not (paths.pending_key.exists() and paths.csr.exists()):
        return None
    try:
        return {"csr_path": str(paths.csr), **_csr_facts(paths.csr.read_bytes())}
    except ValueError:
        return None


def _fqdn_of_config(path: Path) -> str | None:
    """sbc.fqdn of a config that loads, else None (the show works without one)."""
    if not path.is_file():
        return None
    from ..config.loader import inspect  # only here: the rest of `sbc cert` needs no config

    config, _ = inspect(path)
    return config.sbc.fqdn if config is not None else None


@_reports_errors
def _add_ca(args: argparse.Namespace) -> int:
    report = add_ca(_read_input(args.file), CertPaths(args.data_dir), source=_source(args.file))
    if args.json:
        b = report.bundle
        _print_json({
            "ok": True, "added": report.added, "already_present": report.already_present,
            "warnings": report.warnings,
            "bundle": {"path": str(b.path), "total": b.total, "from_system": b.from_system,
                       "from_package": b.from_package, "from_extra": b.from_extra,
                       "expired": b.expired},
        })
        return 0
    for name in report.added:
        print(f"added: {name}")
    for name in report.already_present:
        print(f"already trusted: {name}")
    for warning in report.warnings:
        print(f"warning: {warning}")
    print(report.bundle.summary())
    return 0


@_reports_errors
def _bundle(args: argparse.Namespace) -> int:
    paths = CertPaths(args.data_dir)
    print(build_bundle(paths, system_store=args.system_store).summary())
    return 0


@_reports_errors
def _tls_check(args: argparse.Namespace) -> int:
    paths = CertPaths(args.data_dir)
    host_map = {}
    for item in args.map:
        name, sep, address = item.partition("=")
        if not sep or not name or not address:
            raise CertError(f"--map {item!r}: expected NAME=ADDRESS", check="usage")
        host_map[name.lower().rstrip(".")] = address
    use_cert = not args.no_client_cert and paths.cert.exists()
    try:
        result = tls_check(
            args.target,
            ca_bundle=paths.ca_bundle,
            cert=paths.cert if use_cert else None,
            key=paths.key if use_cert else None,
            servername=args.servername,
            host_map=host_map,
            timeout=args.timeout,
        )
    except ValueError as exc:
        raise CertError(str(exc), check="usage") from exc
    print(json.dumps(result.to_dict(), indent=2) if args.json else result.format_text())
    return 0 if result.ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sub-commands on their own: `python -m sbc.certs.cli cert show`."""
    parser = argparse.ArgumentParser(prog="sbc")
    add_parser(parser.add_subparsers(dest="command", metavar="COMMAND", required=True))
    args = parser.parse_args(argv)
    func: Handler = args.func
    return func(args)


if __name__ == "__main__":
    sys.exit(main())
