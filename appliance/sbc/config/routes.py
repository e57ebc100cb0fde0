"""The `routes:` section: ordered rules from a source to targets, and the default routes.

Everything that can be checked without a call is checked here, so a rule never fails at
call time for a reason the admin could have been told at load: regexes compile, rewrites
only use groups their regex has and only produce digits, every name exists.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

import yaml

from .issues import ConfigIssue, Severity
from .model import Connection, Route
from .nodes import INVALID, Doc, Node, child, describe, line_of
from .table import REQUIRED, Key, read_table
from .values import text

# What a rewrite's literal text may hold once its group references are taken out, and
# what a literal rewrite (no regex) must be: E.164 (ITU-T E.164 §6, at most 15 digits)
# or a dial string of digits, '*' and '#'. `sbc.routing.numbers` checks calls the same way.
_REWRITE_TEXT = re.compile(r"^[0-9+*#]*$")
_NUMBER = re.compile(r"^(?:\+[1-9][0-9]{5,14}|[0-9*#]{1,24})$")
# Group references in a re.sub replacement: \g<name>, \g<1>, \1 .. \99.
_GROUP_REF = re.compile(r"\\g<[^>]*>|\\[0-9]{1,2}")


def _regex(doc: Doc, node: Node, path: str) -> Any:
    value = text(max_len=256)(doc, node, path)
    if value is INVALID:
        return value
    try:
        return re.compile(value)
    except re.error as exc:
        return doc.error(node, path, f"bad regular expression: {exc}")


def _names(doc: Doc, node: Node, path: str) -> Any:
    """A connection or group name, or a non-empty list of them."""
    if isinstance(node, yaml.SequenceNode):
        if not node.value:
            return doc.error(node, path, "must not be empty")
        out = [text(max_len=64)(doc, sub, child(path, i)) for i, sub in enumerate(node.value)]
        return INVALID if any(v is INVALID for v in out) else tuple(out)
    if isinstance(node, yaml.ScalarNode):
        value = text(max_len=64)(doc, node, path)
        return value if value is INVALID else (value,)
    return doc.error(node, path, f"must be a name or a list of names (got {describe(node)})")


_ROUTE_KEYS = (
    Key("name", text(max_len=64), None, "shown in logs and CDRs; default routes[N]"),
    Key("from", _names, (), "connection or group names; none = any source"),
    Key("called", _regex, None, "regex searched in the called number (E.164)"),
    Key("calling", _regex, None, "regex searched in the calling number (E.164)"),
    Key("rewrite_called", text(max_len=64), None, "re.sub replacement for the called number"),
    Key("rewrite_calling", text(max_len=64), None, "the same for the calling number"),
    Key("to", _names, REQUIRED, "connection or group names, tried in this order"),
)


def _rewrite_problem(template: str, regex: re.Pattern[str] | None, what: str) -> str | None:
    """Why a rewrite cannot work, or None. Without a regex it is the new number itself."""
    if regex is None:
        if "\\" in template:
            return f"refers to groups, but there is no '{what}' regex to take them from"
        if not _NUMBER.match(template):
            return f"must be a number such as +4930123456 (got {template!r})"
        return None
    try:
        regex.sub(template, "", count=1)  # compiles the replacement: bad groups raise here
    except (re.error, IndexError) as exc:
        groups = regex.groups
        return f"{exc}; '{what}' has {groups} group{'s' if groups != 1 else ''}"
    if not _REWRITE_TEXT.match(_GROUP_REF.sub("", template)):
        return (
            "may only hold digits, '+', '*', '#' and group references such as \\1 "
            f"(got {template!r})"
        )
    return None


def _resolve(
    doc: Doc, node: Node | None, path: str, names: tuple[str, ...], known: dict[str, str]
) -> tuple[str, ...] | None:
    """Names as the connections spell them (matched ignoring case); None after errors."""
    listed = isinstance(node, yaml.SequenceNode)
    spellings = sorted(set(known.values()))
    out: list[str] = []
    for i, name in enumerate(names):
        canonical = known.get(name.lower())
        if canonical is None:
            close = difflib.get_close_matches(name, spellings, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(spellings)}"
            item = node.value[i] if listed else node  # type: ignore[union-attr]
            doc.error(
                item,
                child(path, i) if listed else path,
                f"no connection or group named {name!r} ({hint})",
            )
            return None
        out.append(canonical)
    return tuple(out)


def known_names(doc: Doc, conns: tuple[Connection, ...]) -> dict[str, str] | None:
    """Lower-case name -> spelling, for connections and groups; None if a connection is
    named like a group it is not in (a route could not tell which one is meant)."""
    known: dict[str, str] = {}
    groups = {c.group.lower() for c in conns}
    ok = True
    for conn in conns:
        if conn.name.lower() in groups and conn.group.lower() != conn.name.lower():
            ok = False
            file, _, line = conn.origin.rpartition(":")
            doc.log.add(
                ConfigIssue(
                    file,
                    int(line) if line.isdigit() else None,
                    f"{conn.entry}.name",
                    f"{conn.name!r} is also a group name; routes could not tell them apart",
                )
            )
        known.setdefault(conn.name.lower(), conn.name)
        known.setdefault(conn.group.lower(), conn.group)
    return known if ok else None


def _route(doc: Doc, node: Node, path: str, known: dict[str, str] | None) -> Route | None:
    f = read_table(doc, node, path, _ROUTE_KEYS)
    if not f.ok:
        return None
    ok = True
    for field, regex_key in (("rewrite_called", "called"), ("rewrite_calling", "calling")):
        if f[field] is not None:
            problem = _rewrite_problem(f[field], f[regex_key], regex_key)
            if problem:
                ok = False
                doc.error(f.node_of(field), child(path, field), problem)
    sources: tuple[str, ...] | None = ()
    to: tuple[str, ...] | None = f["to"]
    if known is not None:
        if f["from"]:
            sources = _resolve(doc, f.nodes.get("from"), child(path, "from"), f["from"], known)
        to = _resolve(doc, f.nodes.get("to"), child(path, "to"), f["to"], known)
    if not ok or sources is None or to is None:
        return None
    return Route(
        name=f["name"] or path,
        to=to,
        sources=sources,
        called=f["called"],
        calling=f["calling"],
        rewrite_called=f["rewrite_called"],
        rewrite_calling=f["rewrite_calling"],
        origin=f"{doc.file}:{line_of(node)}",
    )


def read_routes(
    doc: Doc, node: Node | None, conns: tuple[Connection, ...] | None
) -> tuple[Route, ...] | None:
    """The rules in file order; default routes when the section is absent or empty.

    With `conns` None (the connections had errors) names are not checked, so regex and
    rewrite problems are still all reported in the same pass.
    """
    if doc.is_null(node):
        defaults = default_routes(conns or ())
        if conns and not defaults:
            doc.log.add(
                ConfigIssue(
                    doc.file,
                    doc.lines.get("connections"),
                    "routes",
                    "no routes: the default routes need a carrier and a Teams connection; "
                    "calls get 404 until routes are written",
                    Severity.WARNING,
                )
            )
        return defaults
    assert node is not None
    if not isinstance(node, yaml.SequenceNode):
        doc.error(node, "routes", f"must be a list of rules (got {describe(node)})")
        return None
    if not node.value:
        doc.error(node, "routes", "must not be empty; leave 'routes' out for the default routes")
        return None
    known = known_names(doc, conns) if conns is not None else None
    out: list[Route] = []
    names: dict[str, str] = {}
    ok = True
    for i, item in enumerate(node.value):
        path = child("routes", i)
        route = _route(doc, item, path, known)
        if route is None:
            ok = False
            continue
        if route.name in names:
            ok = False
            doc.error(
                item, child(path, "name"), f"{route.name!r} is already used by {names[route.name]}"
            )
            continue
        names[route.name] = path
        out.append(route)
    return tuple(out) if ok else None


def default_routes(conns: tuple[Connection, ...]) -> tuple[Route, ...]:
    """Without `routes:`: each carrier -> the Teams group(s); Teams -> the first carrier.

    The first carrier is taken with its failover group, so a second trunk put in the same
    group (priority 2) is the backup, as the admin set it up.
    """
    carriers = [c for c in conns if c.kind == "carrier"]
    teams: list[str] = []
    for conn in conns:
        if conn.kind == "teams" and conn.group not in teams:
            teams.append(conn.group)
    out: list[Route] = []
    if teams:
        seen: set[str] = set()
        for carrier in carriers:
            if carrier.group not in seen:
                seen.add(carrier.group)
                label = " and ".join(teams)
                out.append(Route(f"{carrier.group} to {label}", tuple(teams), (carrier.group,)))
    if carriers:
        first = carriers[0].group
        out.extend(Route(f"{group} to {first}", (first,), (group,)) for group in teams)
    return tuple(out)
