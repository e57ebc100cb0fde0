"""`sbc config show|set|add|remove|apply`: read and change sbc.yaml by setting name.

    sbc config show [KEY] [--json] [--show-secrets]
    sbc config profiles [--json]
    sbc config set KEY=VALUE ... [--no-apply] [--dry-run] [--json]
    sbc config add connection NAME --profile P [FIELD=VALUE ...] [--no-apply] [--json]
    sbc config remove KEY | remove SECTION | remove connection NAME [--no-apply] [--json]
    sbc config apply [--json]

Changes are validated like `sbc check` and saved atomically only when valid (comments
kept); then what they need runs (`sbc.config.apply`) unless --no-apply. With --json the
answer is one JSON object on stdout and the exit status 0 whenever it was answered, so
the web page can show each error next to its field; in text, 1 means refused or failed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from .apply import RUNNING_MEDIA_CONF, actions_for, pending_actions, run_actions, systemctl_command
from .catalog import catalog
from .change import Editor, Outcome, commit, setting_name
from .current import current, plain
from .issues import ConfigIssue
from .loader import parse, read_text
from .profiles import ProfileRegistry
from .settings import CONNECTIONS, Setting, Settings, profiles_dir_of, settings_for

DEFAULT_CONFIG = "/data/sbc.yaml"
MASK = "***"


def option_parents() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The options every command over sbc.yaml takes (file, profiles, --json), and those
    of the commands that change it (apply or not, dry run, systemctl); `sbc routes` too."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path,
                        default=Path(os.environ.get("OPENSBC_CONFIG") or DEFAULT_CONFIG),
                        help="config file ($OPENSBC_CONFIG, else %(default)s)")
    common.add_argument("--profiles-dir", type=Path, help="extra connection profiles")
    common.add_argument("--json", action="store_true", help="answer with one JSON object")
    change = argparse.ArgumentParser(add_help=False, parents=[common])
    change.add_argument("--no-apply", action="store_true",
                        help="save only; `sbc config apply` applies later")
    change.add_argument("--dry-run", action="store_true", help="validate only, save nothing")
    change.add_argument("--systemctl", help="systemctl command ($OPENSBC_SYSTEMCTL)")
    return common, change


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `config` and its actions."""
    common, change = option_parents()

    p = subparsers.add_parser("config", help="show and change sbc.yaml by setting name")
    actions = p.add_subparsers(dest="config_command", metavar="ACTION", required=True)

    a = actions.add_parser("show", parents=[common], help="settings, values, help, effects")
    a.add_argument("key", nargs="?", help="one setting, or a prefix such as sbc.tls")
    a.add_argument("--show-secrets", action="store_true", help="do not mask passwords")
    a.set_defaults(func=cmd_show)

    a = actions.add_parser("profiles", parents=[common],
                           help="the connection profiles and the fields each takes")
    a.set_defaults(func=cmd_profiles)

    a = actions.add_parser("set", parents=[change], help="set settings (KEY= removes one)")
    a.add_argument("assignments", nargs="+", metavar="KEY=VALUE")
    a.set_defaults(func=cmd_set)

    a = actions.add_parser("add", parents=[change], help="add a connection")
    a.add_argument("target", nargs="+", metavar="connection NAME [FIELD=VALUE ...]")
    # argparse takes no positionals after an option that follows positionals, so the
    # FIELD=VALUE pairs after `--profile P` arrive as more values of --profile.
    a.add_argument("--profile", required=True, nargs="+", metavar="P",
                   help="its profile (sbc/profiles/*.yaml)")
    a.set_defaults(func=cmd_add)

    a = actions.add_parser("remove", parents=[change],
                           help="remove a setting, a section (syslog) or a connection")
    a.add_argument("target", nargs="+", metavar="KEY | SECTION | connection NAME")
    a.set_defaults(func=cmd_remove)

    a = actions.add_parser("apply", parents=[common], help="reload/restart what the file needs")
    a.add_argument("--systemctl", help="systemctl command ($OPENSBC_SYSTEMCTL)")
    a.add_argument("--media-conf", type=Path, default=RUNNING_MEDIA_CONF,
                   help="rtpengine's running config (%(default)s)")
    a.set_defaults(func=cmd_apply)


def main(argv: list[str] | None = None) -> int:
    """`sbc config ...` alone, for tests."""
    parser = argparse.ArgumentParser(prog="sbc")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


# -- reading ---------------------------------------------------------------------------


def _registry(args: argparse.Namespace, text: str) -> ProfileRegistry:
    return ProfileRegistry(args.profiles_dir or profiles_dir_of(text, args.config))


def _issue(issue: ConfigIssue, settings: Settings | None) -> dict[str, Any]:
    field = setting_name(issue.field, settings) if settings else issue.field
    return {"field": field, "line": issue.line, "message": issue.message, "text": str(issue)}


def emit(args: argparse.Namespace, answer: dict[str, Any], text_lines: list[str]) -> int:
    """One answer: JSON on stdout (exit 0: answered), or the lines, then the warnings and
    errors on stderr (exit 1 when refused). `sbc routes` answers the same way."""
    if args.json:
        json.dump(answer, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    for line in text_lines:
        print(line)
    for issue in answer.get("warnings", []):
        print(issue["text"], file=sys.stderr)
    for issue in answer.get("errors", []):
        print(issue["text"], file=sys.stderr)
    return 0 if answer["ok"] else 1


def _refused(args: argparse.Namespace, issue: ConfigIssue) -> int:
    answer = {"ok": False, "saved": False, "errors": [_issue(issue, None)], "warnings": [],
              "changed": [], "effects": [], "applied": []}
    return emit(args, answer, [])


# -- show ------------------------------------------------------------------------------


def cmd_show(args: argparse.Namespace) -> int:
    text, problem = read_text(args.config)
    if text is None:
        assert problem is not None
        return _refused(args, problem)
    settings = settings_for(text, _registry(args, text))
    keys = [k for k in settings if not args.key or k == args.key or k.startswith(args.key + ".")]
    if args.key and not keys and not (args.key == CONNECTIONS or _is_entry(settings, args.key)):
        return _refused(args, ConfigIssue(str(args.config), None, args.key,
                                          settings.unknown(args.key)))
    out: dict[str, Any] = {}
    for key in keys:
        s = settings[key]
        now = current(text, args.config, s)
        value = now.value
        if s.secret and value is not None and not (args.json and args.show_secrets):
            value = MASK
        out[key] = {"value": value, "given": now.given, "default": _default(s),
                    "required": s.required, "type": str(s.type), "kind": s.type.kind,
                    "help": s.help, "effect": s.effect, "problem": now.problem}
    connections = [_connection(settings, e.name, e.profile) for e in settings.entries
                   if not args.key or args.key in (CONNECTIONS, f"{CONNECTIONS}.{e.name}")]
    _, log = parse(str(args.config), text, profiles_dir=args.profiles_dir)
    issues = log.sorted()
    answer = {"ok": True, "file": str(args.config), "settings": out,
              "connections": connections,
              "errors": [_issue(i, settings) for i in issues if i.is_error],
              "warnings": [_issue(i, settings) for i in issues if not i.is_error]}
    if args.json:
        return emit(args, answer, [])
    print("\n".join(_show_lines(out, connections)))
    return 0


def _is_entry(settings: Settings, key: str) -> bool:
    return any(key == f"{CONNECTIONS}.{e.name}" for e in settings.entries)


def _default(setting: Setting) -> Any:
    return None if setting.required else plain(setting.default, setting.type.kind)


def _connection(settings: Settings, name: str, profile: str) -> dict[str, Any]:
    spec = settings.profiles.get(profile)[0] if profile in settings.profiles.names() else None
    return {"name": name, "profile": profile, "title": spec.title if spec else None,
            "kind": spec.kind if spec else None}


def _show_lines(out: dict[str, Any], connections: list[dict[str, Any]]) -> list[str]:
    lines = []
    for key, item in out.items():
        if item["given"]:
            value = _text(item["value"])
        elif item["required"]:
            value = "(required, not set)"
        else:
            value = f"({_text(item['default'])}: default)"
        note = f"  [{item['type']}; {item['effect']}] {item['help']}".rstrip()
        problem = f"  INVALID: {item['problem']}" if item["problem"] else ""
        lines.append(f"{key} = {value}{problem}{note}")
    for c in connections:
        lines.append(f"connection {c['name']}: profile {c['profile']}"
                     + (f" ({c['title']})" if c["title"] else " (unknown profile)"))
    return lines


def _text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, str):
        return value
    return json.dumps(value)


# -- profiles --------------------------------------------------------------------------


def cmd_profiles(args: argparse.Namespace) -> int:
    """Every profile (built-in and profiles_dir) with its fields, as `add connection`
    takes them. The config file is optional here: it only adds its profiles_dir and the
    names taken (for the proposed entry name)."""
    text, _ = read_text(args.config)
    registry = _registry(args, text or "")
    taken = [e.name for e in settings_for(text, registry).entries] if text else []
    profiles = catalog(registry, taken)
    answer = {"ok": True, "profiles": profiles, "taken": taken, "errors": [],
              "warnings": [_issue(i, None) for i in registry.load_issues]}
    if args.json:
        return emit(args, answer, [])
    print("\n".join(_profile_lines(profiles)))
    for issue in registry.load_issues:
        print(issue, file=sys.stderr)
    return 0


def _profile_lines(profiles: list[dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    for p in profiles:
        if lines:
            lines.append("")
        if not p["usable"]:
            lines.append(f"{p['name']}: BROKEN")
            lines += [f"  {e}" for e in p["errors"]]
            continue
        lines.append(f"{p['name']}: {p['label']} ({p['kind']})")
        if p["description"]:
            lines.append(f"  {p['description']}")
        lines.append(f"  sbc config add connection {p['default_name']} --profile {p['name']}"
                     + "".join(f" {f['name']}=..." for f in p["fields"] if f["required"]))
        for t in p["expand"]:
            port = f":{t['port']}" if t["port"] else ""
            lines.append(f"  makes {p['default_name']}{t['suffix']}: {t['host']}{port}")
        for f in p["fields"]:
            if f["required"]:
                state = "required"
            else:
                state = f"default {_text(f['default'])}"
            lines.append(f"  {f['name']} = {f['label']} [{f['type']}; {state}]"
                         + (" (secret)" if f["secret"] else ""))
    return lines


# -- changes ---------------------------------------------------------------------------


def _pairs(args: argparse.Namespace, items: list[str]) -> list[tuple[str, str]] | ConfigIssue:
    out = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            return ConfigIssue(str(args.config), None, item, "give KEY=VALUE (KEY= removes it)")
        out.append((key.strip(), value))
    return out


def _change(args: argparse.Namespace, edit: Any) -> int:
    """Read, edit through `edit(editor)`, validate, save, apply; answer."""
    text, problem = read_text(args.config)
    if text is None:
        assert problem is not None
        return _refused(args, problem)
    editor = Editor(str(args.config), text, _registry(args, text))
    edit(editor)
    outcome = commit(editor, args.config, profiles_dir=args.profiles_dir, dry_run=args.dry_run)
    return _answer(args, editor, outcome)


def _answer(args: argparse.Namespace, editor: Editor, outcome: Outcome) -> int:
    settings = settings_for(editor.text, editor.profiles)
    ok = outcome.config is not None
    actions = actions_for(editor.effects) if ok else []
    applied: list[str] = []
    errors = [_issue(i, settings) for i in outcome.errors]
    if outcome.saved and actions and not args.no_apply:
        applied, failures = run_actions(actions, systemctl_command(args.systemctl))
        errors += [{"field": "", "line": None, "message": f, "text": f} for f in failures]
        ok = not failures
    answer = {"ok": ok, "saved": outcome.saved, "errors": errors,
              "warnings": [_issue(i, settings) for i in outcome.warnings],
              "changed": editor.changed if outcome.config is not None else [],
              "effects": actions, "applied": applied}
    lines = []
    if outcome.config is not None:
        if not editor.changed:
            lines.append("nothing changed")
        elif args.dry_run:
            lines.append(f"valid, not saved (--dry-run): {', '.join(editor.changed)}")
        else:
            lines.append(f"saved {args.config}: {', '.join(editor.changed)}")
            if applied:
                lines.append(f"applied: {', '.join(applied)}")
            elif args.no_apply and actions:
                lines.append(f"not applied yet ({', '.join(actions)}): sbc config apply")
    else:
        lines.append(f"{args.config}: not changed, {len(errors)} error(s)")
    if not args.json and outcome.config is None:
        for issue in errors:
            print(issue["text"], file=sys.stderr)
        print(lines[0], file=sys.stderr)
        return 1
    return emit(args, answer, lines)


def cmd_set(args: argparse.Namespace) -> int:
    pairs = _pairs(args, args.assignments)
    if isinstance(pairs, ConfigIssue):
        return _refused(args, pairs)

    def edit(editor: Editor) -> None:
        for key, value in pairs:
            editor.set(key, value)

    return _change(args, edit)


def cmd_add(args: argparse.Namespace) -> int:
    what, *rest = args.target
    if what != "connection" or not rest:
        return _refused(args, ConfigIssue(str(args.config), None, " ".join(args.target),
                                          "give: connection NAME [FIELD=VALUE ...]"))
    name, *assignments = rest
    profile, *more = args.profile
    pairs = _pairs(args, assignments + more)
    if isinstance(pairs, ConfigIssue):
        return _refused(args, pairs)
    return _change(args, lambda editor: editor.add_connection(name, profile, pairs))


def cmd_remove(args: argparse.Namespace) -> int:
    target = args.target
    if target[0] == "connection" and len(target) == 2:
        return _change(args, lambda editor: editor.remove_connection(target[1]))
    if len(target) != 1:
        return _refused(args, ConfigIssue(str(args.config), None, " ".join(target),
                                          "give one KEY, or: connection NAME"))
    return _change(args, lambda editor: editor.remove(target[0]))


def cmd_apply(args: argparse.Namespace) -> int:
    text, problem = read_text(args.config)
    if text is None:
        assert problem is not None
        return _refused(args, problem)
    config, log = parse(str(args.config), text, profiles_dir=args.profiles_dir)
    settings = settings_for(text, _registry(args, text))
    issues = log.sorted()
    answer: dict[str, Any] = {
        "ok": config is not None, "saved": False,
        "errors": [_issue(i, settings) for i in issues if i.is_error],
        "warnings": [_issue(i, settings) for i in issues if not i.is_error],
        "changed": [], "effects": [], "applied": []}
    lines = []
    if config is None:
        lines.append(f"{args.config} has errors: nothing applied")
    else:
        actions = pending_actions(config, args.media_conf)
        applied, failures = run_actions(actions, systemctl_command(args.systemctl))
        answer.update(effects=actions, applied=applied, ok=not failures)
        answer["errors"] += [{"field": "", "line": None, "message": f, "text": f}
                             for f in failures]
        lines.append(f"applied: {', '.join(applied) or 'nothing'}")
    return emit(args, answer, lines)
