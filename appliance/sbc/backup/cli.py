"""`sbc backup create` and `sbc backup restore` (argparse adapter).

    sbc backup create [--out FILE|-] [--json]       the data folder as one tar.gz
    sbc backup restore FILE|- [--dry-run] [--json]  check it all, then replace and apply

The data folder is `--data-dir`, else $OPENSBC_DATA_DIR, else /data (as `sbc cert`);
the config is `--config`, else $OPENSBC_CONFIG, else DATA/sbc.yaml (as `sbc config`).
Exit status: 0 done (or, with --dry-run, the backup would restore), 1 refused or failed
(with --json the answer says why on stdout), 2 usage.

`create --json`: {"ok", "path", "name", "size", "files": [{"name", "size", "sha256"}],
"warnings"}. `restore --json`: {"ok", "dry_run", "restored", "backup": {product,
version, created, fqdn, host}, "files": [{"name", "path", "action", "size"}] (action:
replace, create, unchanged, keep), "changes": ["sbc.fqdn", "connections.Telekom.password",
...], "errors"/"warnings": [{"file", "line", "field", "message", "text"}],
"certificate": the assessment (as `sbc cert show`) or null, "previous": the kept files,
"applied": ["restart opensbc-media", "reload opensbc"]}.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from ..certs.paths import DATA_DIR, SYSTEM_STORE
from ..config.apply import systemctl_command
from . import archive
from .archive import BackupError
from .restore import Place, Plan, Problem, check, create, restore, write_new

DATA_DIR_ENV = "OPENSBC_DATA_DIR"
CONFIG_ENV = "OPENSBC_CONFIG"
STDIO = "-"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `backup` (create, restore)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=Path,
                        help=f"data folder (${DATA_DIR_ENV}, else {DATA_DIR})")
    common.add_argument("--config", type=Path,
                        help=f"config file (${CONFIG_ENV}, else DATA/sbc.yaml)")
    common.add_argument("--json", action="store_true", help="answer with one JSON object")

    p = subparsers.add_parser("backup", help="back up and restore the configuration")
    actions = p.add_subparsers(dest="backup_command", metavar="ACTION", required=True)

    a = actions.add_parser("create", parents=[common],
                           help="config, certificate, key, extra roots and profiles as a tar.gz")
    a.add_argument("--out", help="the file to write (new; - for stdout; "
                                 "default: opensbc-FQDN-DATE.tar.gz here)")
    a.set_defaults(func=cmd_create)

    a = actions.add_parser("restore", parents=[common],
                           help="check a backup, then replace the files and apply")
    a.add_argument("file", help="the backup (.tar.gz); - reads stdin")
    a.add_argument("--dry-run", action="store_true", help="check and show, replace nothing")
    a.add_argument("--no-apply", action="store_true", help="do not restart/reload services")
    a.add_argument("--systemctl", help="systemctl command ($OPENSBC_SYSTEMCTL)")
    a.add_argument("--system-store", type=Path, default=SYSTEM_STORE, help=argparse.SUPPRESS)
    a.set_defaults(func=cmd_restore)


def main(argv: list[str] | None = None) -> int:
    """`sbc backup ...` alone, for tests."""
    parser = argparse.ArgumentParser(prog="sbc")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


def place_of(args: argparse.Namespace) -> Place:
    data = args.data_dir or Path(os.environ.get(DATA_DIR_ENV) or DATA_DIR)
    config = args.config or Path(os.environ.get(CONFIG_ENV) or data / archive.CONFIG)
    return Place(data, config)


def _print_json(answer: dict[str, Any]) -> None:
    json.dump(answer, sys.stdout, indent=1)
    sys.stdout.write("\n")


# -- create ---------------------------------------------------------------------------


def cmd_create(args: argparse.Namespace) -> int:
    made = create(place_of(args))
    if args.out == STDIO:
        sys.stdout.buffer.write(made.data)
        sys.stdout.flush()
        for w in made.warnings:
            print(f"sbc backup: {w}", file=sys.stderr)
        return 0
    out = Path(args.out or made.name)
    try:
        write_new(out, made.data)
    except OSError as exc:
        reason = "exists already" if isinstance(exc, FileExistsError) else exc.strerror or exc
        message = f"cannot write {out}: {reason}"
        if args.json:
            _print_json({"ok": False, "error": message})
        else:
            print(f"sbc backup: {message}", file=sys.stderr)
        return 1
    if args.json:
        _print_json({
            "ok": True, "path": str(out), "name": made.name, "size": len(made.data),
            "files": [{"name": m.name, "size": len(m.data), "sha256": m.sha256}
                      for m in made.members],
            "warnings": made.warnings,
        })
        return 0
    for w in made.warnings:
        print(f"note: {w}")
    print(f"wrote {out} ({len(made.data)} bytes): {', '.join(m.name for m in made.members)}")
    print("It holds the private key and the trunk passwords: keep it safe.")
    return 0


# -- restore --------------------------------------------------------------------------


def cmd_restore(args: argparse.Namespace) -> int:
    place = place_of(args)
    answer: dict[str, Any] = {
        "ok": False, "dry_run": bool(args.dry_run), "restored": False, "backup": None,
        "files": [], "changes": [], "errors": [], "warnings": [], "certificate": None,
        "previous": None, "applied": []}
    try:
        backup = archive.read(_read_archive(args.file))
    except OSError as exc:
        return _refused(args, answer, Problem(f"cannot read: {exc.strerror or exc}", args.file))
    except BackupError as exc:
        return _refused(args, answer, Problem(exc.message, exc.member))
    plan = check(backup, place, system_store=args.system_store)
    _describe(answer, plan)
    if not plan.ok:
        return _emit(args, answer, plan)
    if args.dry_run:
        answer["ok"] = True
        return _emit(args, answer, plan)
    systemctl = None if args.no_apply else systemctl_command(args.systemctl)
    try:
        done = restore(plan, systemctl=systemctl, system_store=args.system_store)
    except OSError as exc:
        answer["errors"].append(Problem(f"restoring failed: {exc}").as_dict())
        return _emit(args, answer, plan)
    answer.update(restored=True, applied=done.applied, ok=not done.failures,
                  previous=str(done.previous) if done.previous else None)
    answer["errors"] += [Problem(f).as_dict() for f in done.failures]
    return _emit(args, answer, plan)


def _read_archive(name: str) -> bytes:
    """The file's bytes; one larger than a backup may be is not read further (at most
    MAX_ARCHIVE + 1 bytes, so `archive.read` refuses it by its size)."""
    limit = archive.MAX_ARCHIVE + 1
    if name == STDIO:
        return sys.stdin.buffer.read(limit)
    with open(name, "rb") as f:
        return f.read(limit)


def _describe(answer: dict[str, Any], plan: Plan) -> None:
    m = plan.backup.manifest
    answer["backup"] = {k: m.get(k) for k in ("product", "version", "created", "fqdn", "host")}
    answer["files"] = [f.as_dict() for f in plan.files]
    answer["changes"] = plan.changes
    answer["errors"] = [p.as_dict() for p in plan.errors]
    answer["warnings"] = [p.as_dict() for p in plan.warnings]
    answer["certificate"] = plan.certificate.as_dict() if plan.certificate else None


def _refused(args: argparse.Namespace, answer: dict[str, Any], problem: Problem) -> int:
    answer["errors"] = [problem.as_dict()]
    if args.json:
        _print_json(answer)
    else:
        print(f"sbc backup restore: {problem.text}", file=sys.stderr)
        print("nothing restored", file=sys.stderr)
    return 1


def _emit(args: argparse.Namespace, answer: dict[str, Any], plan: Plan) -> int:
    if args.json:
        _print_json(answer)
        return 0 if answer["ok"] else 1
    b = answer["backup"] or {}
    print(f"backup of {b.get('fqdn') or '?'} ({b.get('host') or '?'}), made {b.get('created')} "
          f"by {b.get('product')} {b.get('version')}")
    for f in answer["files"]:
        print(f"  {f['name']}: {f['action']}")
    if answer["changes"]:
        print(f"settings that change: {', '.join(answer['changes'])}")
    for w in answer["warnings"]:
        print(f"warning: {w['text']}")
    for e in answer["errors"]:
        print(e["text"], file=sys.stderr)
    if plan.errors:
        print(f"refused: {len(plan.errors)} error(s); nothing restored", file=sys.stderr)
    elif args.dry_run:
        print("the backup can be restored (--dry-run: nothing replaced)")
    elif answer["restored"]:
        print(f"restored; the previous files are in {answer['previous']}"
              if answer["previous"] else "restored")
        if answer["applied"]:
            print(f"applied: {', '.join(answer['applied'])}")
    return 0 if answer["ok"] else 1
