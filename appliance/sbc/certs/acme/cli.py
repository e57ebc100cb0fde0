"""`sbc cert acme issue|renew|status` (argparse adapter; the work is in `renew`).

`renew` is what opensbc-acme.timer runs twice a day: it does nothing until the
certificate is due, and exits 0 without an `acme:` section too, after warning as the
certificate nears its end (30, 14, 7 and 1 days left: for certificates imported by hand).
Warnings and errors go to stderr, with the syslog priority prefix journald reads when
run by systemd. Exit status: 0 issued, not due or waiting out a backoff; 1 failed or
refused (the old certificate stays); `--json` answers as `sbc cert` does.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..cli import _print_json, _reports_errors
from ..errors import CertError
from ..paths import CertPaths

if TYPE_CHECKING:  # the handlers import the rest: `sbc` starts without the acme library
    from ...config.model import Config


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser],
               parents: list[argparse.ArgumentParser]) -> None:
    """Register `cert acme issue|renew|status` under `sbc cert`."""
    config = argparse.ArgumentParser(add_help=False)
    config.add_argument(
        "--config", type=Path,
        help="the config with the acme section (default $OPENSBC_CONFIG, else DATA/sbc.yaml)",
    )
    acme = commands.add_parser(
        "acme", help="issue and renew the certificate over ACME (sbc.yaml: acme)"
    )
    acme_commands = acme.add_subparsers(dest="acme_command", metavar="COMMAND", required=True)
    p = acme_commands.add_parser(
        "issue", parents=[*parents, config], help="get a certificate now, due or not"
    )
    p.set_defaults(func=_acme_issue)
    p = acme_commands.add_parser(
        "renew", parents=[*parents, config],
        help="renew if due (the timer runs this); after a failure not before the backoff",
    )
    p.add_argument("--force", action="store_true", help="renew now, due or not, no backoff")
    p.set_defaults(func=_acme_renew)
    p = acme_commands.add_parser(
        "status", parents=[*parents, config],
        help="days left, when renewal is due, the last result and the CA's message",
    )
    p.set_defaults(func=_acme_status)


def _acme_config(args: argparse.Namespace) -> Config:
    """The whole config (sbc.fqdn and the acme section), or CertError naming its errors."""
    from ...config.loader import inspect

    path = args.config or Path(os.environ.get("OPENSBC_CONFIG") or args.data_dir / "sbc.yaml")
    config, log = inspect(path)
    if config is None:
        errors = [str(i) for i in log if i.is_error][:3] or [f"{path}: unreadable"]
        raise CertError("; ".join(errors), check="config", hint="fix it: `sbc check`")
    return config


def _unconfigured() -> CertError:
    return CertError(
        "ACME is not configured (no acme section in sbc.yaml)", check="config",
        hint="sbc config set acme.directory=https://... acme.email=you@example.com",
    )


@_reports_errors
def _acme_issue(args: argparse.Namespace) -> int:
    args.force = True
    return _acme_run(args, unconfigured_ok=False)


@_reports_errors
def _acme_renew(args: argparse.Namespace) -> int:
    return _acme_run(args, unconfigured_ok=True)


def _acme_run(args: argparse.Namespace, *, unconfigured_ok: bool) -> int:
    from .renew import expiry_alerts, renew

    config = _acme_config(args)
    if config.acme is None:
        if not unconfigured_ok:
            raise _unconfigured()
        warnings = expiry_alerts(CertPaths(args.data_dir))  # a certificate by hand
        if args.json:
            _print_json({"ok": True, "result": "unconfigured", "warnings": list(warnings)})
            return 0
        for warning in warnings:
            _log_line(4, f"warning: {warning}")
        print("ACME is not configured (no acme section in sbc.yaml); nothing to renew")
        return 0
    paths = CertPaths(args.data_dir)
    if not (_same_file(config.sbc.tls.cert, paths.cert)
            and _same_file(config.sbc.tls.key, paths.key)):
        raise CertError(
            f"ACME installs {paths.cert} and {paths.key}, but sbc.tls uses "
            f"{config.sbc.tls.cert} and {config.sbc.tls.key}", check="config",
            hint="remove sbc.tls.cert and sbc.tls.key from sbc.yaml (the defaults), or give "
            "--data-dir",
        )
    outcome = renew(config.acme, config.sbc.fqdn, paths, force=args.force)
    if args.json:
        _print_json({
            "ok": outcome.ok, "result": outcome.result, "message": outcome.message,
            "ca_error": outcome.ca_error, "reloaded": outcome.reloaded,
            "kept_aside": str(outcome.kept_aside) if outcome.kept_aside else None,
            "warnings": list(outcome.warnings),
        })
    else:
        for warning in outcome.warnings:
            _log_line(4, f"warning: {warning}")
        if outcome.ok:
            print(f"{outcome.result}: {outcome.message}")
        else:
            ca = f" (the CA said: {outcome.ca_error})" if outcome.ca_error else ""
            _log_line(3, f"error: ACME {outcome.result}: {outcome.message}{ca}")
    return 0 if outcome.ok else 1


def _same_file(a: Path, b: Path) -> bool:
    """The same name in the same folder (the files are links: compare their folders)."""
    return a.name == b.name and a.parent.resolve() == b.parent.resolve()


def _log_line(priority: int, text: str) -> None:
    """stderr; under systemd with the syslog priority prefix journald reads (sd-daemon)."""
    prefix = f"<{priority}>" if os.environ.get("JOURNAL_STREAM") else ""
    print(prefix + text, file=sys.stderr)


@_reports_errors
def _acme_status(args: argparse.Namespace) -> int:
    from .renew import status

    config = _acme_config(args)
    answer = status(config.acme, config.sbc.fqdn, CertPaths(args.data_dir))
    if args.json:
        _print_json({"ok": True, **answer})
        return 0
    if not answer["configured"]:
        print("ACME: not configured (no acme section in sbc.yaml)")
    else:
        print(f"ACME: {answer['directory']} for {answer['fqdn']}")
    if answer["not_after"]:
        print(f"certificate: {answer['days_left']} days left (until {answer['not_after']})")
    else:
        print("certificate: none installed")
    if "why" in answer:
        print(f"renewal: {'due' if answer['due'] else 'not due'}: {answer['why']}")
    if answer["last_result"]:
        print(f"last attempt: {answer['last_attempt']}: {answer['last_result']}: "
              f"{answer['message']}")
    if answer["ca_error"]:
        print(f"the CA said: {answer['ca_error']}")
    if answer["failures"]:
        print(f"failures in a row: {answer['failures']}; next try after {answer['next_try']}")
    return 0
