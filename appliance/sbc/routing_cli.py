"""`sbc routes list|add|set|move|remove|test`: the ordered routing rules of sbc.yaml.

    sbc routes list [--json]
    sbc routes add FIELD=VALUE ... [--position N] [--no-apply] [--dry-run] [--json]
    sbc routes set NAME FIELD=VALUE ... [--no-apply] [--dry-run] [--json]  (FIELD= clears)
    sbc routes move NAME POSITION [--json]
    sbc routes remove NAME [--json]
    sbc routes test --from CONNECTION --called NUMBER [--calling NUMBER] [--json]

Fields: name, from, called, calling, rewrite_called, rewrite_calling, to (`from`/`to`:
one name or `A, B`). Positions count from 1. Each change edits the `routes:` section as
text (comments stay), is validated by the loader (`sbc check`'s code; errors named
`routes[2].called: ...`) and saved atomically only when valid, then `reload opensbc`
runs (`sbc.config.apply`). A rule added while the file has none replaces the default
routes, so the defaults are written out after it. `test` runs the B2BUA's own routing
(`sbc.routing`: parties_of, decide, addressing) on the file as it is now.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .config.apply import actions_for, run_actions, systemctl_command
from .config.change import Editor, commit
from .config.cli import emit, option_parents
from .config.issues import ConfigIssue
from .config.loader import parse, read_text
from .config.model import Config, Connection, Route
from .config.profiles import ProfileRegistry
from .config.routes_edit import FIELDS, RawRule, RoutesEditor, error_place, raw_rules
from .config.settings import profiles_dir_of
from .routing import RouteError, addressing, call_parties, decide
from .routing.numbers import clean
from .sip import Headers, Request, parse_uri


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    common, change = option_parents()

    p = subparsers.add_parser("routes", help="the routing rules: list, change, test a number")
    actions = p.add_subparsers(dest="routes_command", metavar="ACTION", required=True)
    a = actions.add_parser("list", parents=[common], help="the rules in order")
    a.set_defaults(func=cmd_list)
    a = actions.add_parser("add", parents=[change], help="add a rule")
    a.add_argument("assignments", nargs="+", metavar="FIELD=VALUE")
    a.add_argument("--position", type=int, help="1 = first (default: last)")
    a.set_defaults(func=cmd_add)
    a = actions.add_parser("set", parents=[change], help="change fields of a rule")
    a.add_argument("name")
    a.add_argument("assignments", nargs="+", metavar="FIELD=VALUE")
    a.set_defaults(func=cmd_set)
    a = actions.add_parser("move", parents=[change], help="move a rule to a position")
    a.add_argument("name")
    a.add_argument("position", type=int)
    a.set_defaults(func=cmd_move)
    a = actions.add_parser("remove", parents=[change], help="remove a rule")
    a.add_argument("name")
    a.set_defaults(func=cmd_remove)
    a = actions.add_parser("test", parents=[common], help="where a call would go")
    a.add_argument("--from", dest="source", required=True, metavar="CONNECTION")
    a.add_argument("--called", required=True, metavar="NUMBER")
    a.add_argument("--calling", metavar="NUMBER", help="none: an anonymous caller")
    a.set_defaults(func=cmd_test)


def main(argv: list[str] | None = None) -> int:
    """`sbc routes ...` alone, for tests."""
    parser = argparse.ArgumentParser(prog="sbc")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


# -- reading ---------------------------------------------------------------------------


def _issue(issue: ConfigIssue, rules: list[RawRule] | None) -> dict[str, Any]:
    index, key = error_place(issue.field, rules)
    rule = None
    if index is not None and rules and index < len(rules):
        rule = rules[index].name
    return {"field": issue.field, "index": index, "rule": rule, "key": key,
            "line": issue.line, "message": issue.message, "text": str(issue)}


def _refused(args: argparse.Namespace, issue: ConfigIssue) -> int:
    answer = {"ok": False, "saved": False, "errors": [_issue(issue, None)], "warnings": [],
              "changed": [], "effects": [], "applied": [], "routes": []}
    return emit(args, answer, [])


def _names(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def _targets(config: Config | None, names: list[str]) -> list[str]:
    if config is None:
        return []
    known = {c.name.lower(): c.name for c in config.connections}
    known.update({c.group.lower(): c.group for c in config.connections})
    spelled = tuple(known.get(n.lower(), n) for n in names)
    return [c.name for c in config.targets(spelled)]


def _rule_json(rule: RawRule, config: Config | None) -> dict[str, Any]:
    v = rule.values
    out: dict[str, Any] = {"index": rule.index, "position": rule.index + 1, "name": rule.name,
                           "named": rule.named, "default": False, "line": rule.line}
    out["from"] = _names(v.get("from"))
    for key in ("called", "calling", "rewrite_called", "rewrite_calling"):
        value = v.get(key)
        out[key] = None if value is None or value == "" else str(value)
    out["to"] = _names(v.get("to"))
    out["targets"] = _targets(config, out["to"])
    return out


def _default_json(i: int, route: Route, config: Config) -> dict[str, Any]:
    return {"index": i, "position": i + 1, "name": route.name, "named": True, "default": True,
            "line": None, "from": list(route.sources), "called": None, "calling": None,
            "rewrite_called": None, "rewrite_calling": None, "to": list(route.to),
            "targets": [c.name for c in config.targets(route.to)]}


def shadowed_by(routes: tuple[Route, ...]) -> list[str | None]:
    """Per rule, the earlier rule that takes every call it could match (no number
    patterns, and at least its sources), so it never matches; else None."""
    out: list[str | None] = []
    for i, route in enumerate(routes):
        hit = None
        for earlier in routes[:i]:
            if earlier.called is not None or earlier.calling is not None:
                continue
            covered = bool(route.sources) and set(route.sources) <= set(earlier.sources)
            if not earlier.sources or covered:
                hit = earlier.name
                break
        out.append(hit)
    return out


def _rules_json(text: str, config: Config | None) -> tuple[list[dict[str, Any]], bool]:
    """(rules, defaults): the written rules, or the default routes when there are none."""
    rules = raw_rules(text)
    if rules is None:
        if config is None:
            return [], True
        out = [_default_json(i, r, config) for i, r in enumerate(config.routes)]
    else:
        out = [_rule_json(r, config) for r in rules]
    shadows = shadowed_by(config.routes) if config is not None else []
    for rule, shadow in zip(out, shadows, strict=False):
        rule["shadowed_by"] = shadow
    for rule in out[len(shadows):]:
        rule["shadowed_by"] = None
    return out, rules is None


def _connections_json(config: Config | None) -> list[dict[str, Any]]:
    if config is None:
        return []
    return [{"name": c.name, "group": c.group, "kind": c.kind, "priority": c.priority}
            for c in config.connections]


def _load(args: argparse.Namespace, text: str) -> tuple[Config | None, list[ConfigIssue]]:
    config, log = parse(str(args.config), text, profiles_dir=args.profiles_dir)
    return config, log.sorted()


def cmd_list(args: argparse.Namespace) -> int:
    text, problem = read_text(args.config)
    if text is None:
        assert problem is not None
        return _refused(args, problem)
    config, issues = _load(args, text)
    rules, defaults = _rules_json(text, config)
    raw = raw_rules(text)
    answer = {"ok": True, "file": str(args.config), "defaults": defaults, "routes": rules,
              "connections": _connections_json(config),
              "errors": [_issue(i, raw) for i in issues if i.is_error],
              "warnings": [_issue(i, raw) for i in issues if not i.is_error]}
    if args.json:
        return emit(args, answer, [])
    lines = []
    if defaults:
        lines.append("no routes: section; the default routes apply:" if config is not None
                     else "no routes: section (the file has errors: no defaults shown)")
    for r in rules:
        lines.append(_rule_line(r))
    if not rules and not defaults:
        lines.append("no rules")
    return emit(args, answer, lines)


def _rule_line(r: dict[str, Any]) -> str:
    parts = [f"{r['position']}. {r['name']}" + (" (default)" if r["default"] else "") + ":"]
    parts.append("from " + (", ".join(r["from"]) or "any"))
    for key in ("called", "calling"):
        if r[key]:
            parts.append(f"{key} ~ {r[key]}")
    for key in ("rewrite_called", "rewrite_calling"):
        if r[key]:
            parts.append(f"{key.replace('_', ' ')} -> {r[key]}")
    to = ", ".join(r["to"])
    if r["targets"] and r["targets"] != r["to"]:
        to += f" ({', '.join(r['targets'])})"
    parts.append(f"to {to}")
    if r.get("shadowed_by"):
        parts.append(f"[never matches: {r['shadowed_by']} takes its calls first]")
    return " ".join(parts)


# -- changes ---------------------------------------------------------------------------


def _pairs(args: argparse.Namespace) -> list[tuple[str, str]] | ConfigIssue:
    out = []
    for item in args.assignments:
        key, sep, value = item.partition("=")
        if not sep or key.strip() not in FIELDS:
            return ConfigIssue(str(args.config), None, "routes",
                               f"give FIELD=VALUE with FIELD one of {', '.join(FIELDS)} "
                               f"(got {item!r})")
        out.append((key.strip(), value))
    return out


def _change(args: argparse.Namespace, edit: Any) -> int:
    text, problem = read_text(args.config)
    if text is None:
        assert problem is not None
        return _refused(args, problem)
    before, _ = _load(args, text)
    registry = ProfileRegistry(args.profiles_dir or profiles_dir_of(text, args.config))
    editor = Editor(str(args.config), text, registry)
    routes = RoutesEditor(editor, before.routes if before is not None else ())
    index = edit(routes)
    outcome = commit(editor, args.config, profiles_dir=args.profiles_dir, dry_run=args.dry_run)
    rules_now = raw_rules(editor.text)
    ok = outcome.config is not None
    actions = actions_for(editor.effects) if ok else []
    applied: list[str] = []
    errors = [_issue(i, rules_now) for i in outcome.errors]
    if outcome.saved and actions and not args.no_apply:
        applied, failures = run_actions(actions, systemctl_command(args.systemctl))
        errors += [{"field": "", "index": None, "rule": None, "key": None, "line": None,
                    "message": f, "text": f} for f in failures]
        ok = not failures
    shown_text = editor.text if outcome.saved or args.dry_run else text
    shown_config = outcome.config if outcome.config is not None else before
    rules, defaults = _rules_json(shown_text if ok or outcome.saved else text, shown_config)
    answer = {"ok": ok, "saved": outcome.saved, "index": index, "errors": errors,
              "warnings": [_issue(i, rules_now) for i in outcome.warnings],
              "changed": editor.changed if outcome.config is not None else [],
              "effects": actions, "applied": applied,
              "defaults_written": routes.wrote_defaults if outcome.saved else [],
              "routes": rules, "defaults": defaults}
    lines = []
    if outcome.config is None:
        if not args.json:
            for e in errors:
                print(e["text"], file=sys.stderr)
            print(f"{args.config}: not changed, {len(errors)} error(s)", file=sys.stderr)
            return 1
    elif not editor.changed:
        lines.append("nothing changed")
    elif args.dry_run:
        lines.append(f"valid, not saved (--dry-run): {', '.join(editor.changed)}")
    else:
        lines.append(f"saved {args.config}: {', '.join(editor.changed)}")
        if routes.wrote_defaults:
            lines.append("the default routes were written out after it: "
                         + ", ".join(routes.wrote_defaults))
        if applied:
            lines.append(f"applied: {', '.join(applied)}")
        elif args.no_apply and actions:
            lines.append(f"not applied yet ({', '.join(actions)}): sbc config apply")
    return emit(args, answer, lines)


def cmd_add(args: argparse.Namespace) -> int:
    pairs = _pairs(args)
    if isinstance(pairs, ConfigIssue):
        return _refused(args, pairs)

    def edit(routes: RoutesEditor) -> int | None:
        routes.add(pairs, args.position)
        return routes.added

    return _change(args, edit)


def _index_of(routes: RoutesEditor, name: str) -> int | None:
    rules = raw_rules(routes.editor.text) or []
    return next((r.index for r in rules if r.name.lower() == name.lower()), None)


def cmd_set(args: argparse.Namespace) -> int:
    pairs = _pairs(args)
    if isinstance(pairs, ConfigIssue):
        return _refused(args, pairs)

    def edit(routes: RoutesEditor) -> int | None:
        index = _index_of(routes, args.name)
        routes.set(args.name, pairs)
        return index

    return _change(args, edit)


def cmd_move(args: argparse.Namespace) -> int:
    def edit(routes: RoutesEditor) -> int | None:
        routes.move(args.name, args.position)
        return _index_of(routes, args.name)

    return _change(args, edit)


def cmd_remove(args: argparse.Namespace) -> int:
    def edit(routes: RoutesEditor) -> int | None:
        index = _index_of(routes, args.name)
        routes.remove(args.name)
        return index

    return _change(args, edit)


# -- test ------------------------------------------------------------------------------


def _source(config: Config, name: str) -> Connection | None:
    """A connection by name, or a group's first connection (ignoring case)."""
    for conn in config.connections:
        if conn.name.lower() == name.lower():
            return conn
    for conn in config.connections:
        if conn.group.lower() == name.lower():
            return config.group(conn.group)[0]
    return None


def _invite(config: Config, source: Connection, called: str, calling: str | None) -> Request:
    """The INVITE `source` would send for these numbers, for `parties_of`."""
    ruri = f"sip:{called}@{config.sbc.fqdn};user=phone"
    if calling:
        from_ = f"<sip:{calling}@{source.host};user=phone>;tag=test"
    else:
        from_ = '"Anonymous" <sip:anonymous@anonymous.invalid>;tag=test'
    headers = Headers([("Via", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKtest"), ("From", from_),
                       ("To", f"<{ruri}>"), ("Call-ID", "routes-test"), ("CSeq", "1 INVITE")])
    return Request("INVITE", parse_uri(ruri), headers)


def _as_number(raw: str, what: str) -> str:
    """The typed number without separators; RouteError when it cannot be one at all
    (it would not fit into a SIP URI either)."""
    number = clean(raw.strip())
    if not number or any(c not in "+0123456789*#" for c in number):
        status = 484 if what == "called" else 400
        raise RouteError(status, f"{what} number {raw.strip()[:40]!r} is not a phone number")
    return number


def route_test(config: Config, source_name: str, called: str,
               calling: str | None) -> dict[str, Any]:
    """Where a call from `source_name` for these numbers goes, as the B2BUA decides it."""
    out: dict[str, Any] = {"ok": True, "from": source_name, "source": None,
                           "input": {"called": called, "calling": calling},
                           "numbers": None, "route": None, "rewritten": None,
                           "targets": [], "status": None, "reason": None}
    source = _source(config, source_name)
    if source is None:
        names = ", ".join(c.name for c in config.connections) or "none"
        out.update(ok=False, status=None,
                   reason=f"no connection named {source_name!r} (connections: {names})")
        return out
    out["source"] = {"name": source.name, "group": source.group, "kind": source.kind}
    try:
        called_n = _as_number(called, "called")
        calling_n = _as_number(calling, "calling") if calling and calling.strip() else None
        party = call_parties(config, _invite(config, source, called_n, calling_n), source)
        out["numbers"] = {"called": party.called, "calling": party.calling,
                          "privacy": party.privacy}
        decision = decide(config, source, party)
    except RouteError as exc:
        out.update(status=exc.status, reason=exc.reason)
        return out
    index = next((i for i, r in enumerate(config.routes) if r.name == decision.route), None)
    route = config.routes[index] if index is not None else None
    out["route"] = {"name": decision.route, "index": index,
                    "position": None if index is None else index + 1,
                    "default": route is not None and not route.origin}
    out["rewritten"] = {"called": decision.called, "calling": decision.calling,
                        "privacy": decision.privacy}
    for target in decision.targets:
        where = addressing(target, decision, config.sbc.fqdn)
        identity = dict(where.headers)
        out["targets"].append({
            "name": target.name, "group": target.group, "kind": target.kind,
            "priority": target.priority,
            "called": where.request_uri.user,
            "calling": _user(where.from_addr.uri) if not decision.privacy else None,
            "identity": next(iter(identity.values()), None),
            "privacy": identity.get("Privacy"),
            "request_uri": str(where.request_uri),
            "from": str(where.from_addr),
        })
    return out


def _user(uri: object) -> str | None:
    return getattr(uri, "user", None)


def cmd_test(args: argparse.Namespace) -> int:
    text, problem = read_text(args.config)
    if text is None:
        assert problem is not None
        return _refused(args, problem)
    config, issues = _load(args, text)
    if config is None:
        raw = raw_rules(text)
        reason = f"{args.config} has errors: fix them first (sbc check)"
        answer = {"ok": False, "errors": [_issue(i, raw) for i in issues if i.is_error],
                  "warnings": [], "status": None, "reason": reason}
        return emit(args, answer, [reason])
    answer = route_test(config, args.source, args.called, args.calling)
    answer["errors"] = []
    answer["warnings"] = []
    if not answer["ok"]:
        answer["errors"] = [{"field": "from", "index": None, "rule": None, "key": "from",
                             "line": None, "message": answer["reason"],
                             "text": answer["reason"]}]
    return emit(args, answer, _test_lines(answer))


def _test_lines(a: dict[str, Any]) -> list[str]:
    if not a["ok"]:
        return []
    lines: list[str] = []
    n = a["numbers"]
    if n:
        lines.append(f"called {n['called']}, calling {n['calling'] or 'anonymous'}"
                     + (" (withheld)" if n["privacy"] else "") + f" from {a['source']['name']}")
    if a["status"] is not None:
        lines.append(f"no route: the caller gets {a['status']} ({a['reason']})")
        return lines
    r, w = a["route"], a["rewritten"]
    lines.append(f"rule {r['position']}: {r['name']}" + (" (default)" if r["default"] else ""))
    lines.append(f"called {w['called']}, calling {w['calling'] or 'anonymous'}")
    for i, t in enumerate(a["targets"], 1):
        lines.append(f"  {i}. {t['name']}: {t['request_uri']} from {t['from']}")
    return lines
