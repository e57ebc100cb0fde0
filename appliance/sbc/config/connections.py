"""Turn the admin's `connections:` entries into typed `Connection`s through profiles.

Precedence for every setting: built-in default < profile field default < the admin's
value; profile `settings` are fixed and cannot be given. An `expand` profile makes one
connection per target (Teams -> Teams1, Teams2, Teams3) in one failover group.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import yaml

from .. import PRODUCT, __version__
from .fields import CONNECTION_FIELDS
from .model import Auth, Connection, NumberPlan, Registration
from .nodes import INVALID, Doc, Node, child, describe, line_of
from .profiles import ExpandTarget, Profile, ProfileField, ProfileRegistry
from .table import REQUIRED, Fields, Key, read_table
from .values import Parser, text

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _name(doc: Doc, node: Node, path: str) -> Any:
    value = text(max_len=64)(doc, node, path)
    if value is not INVALID and not _NAME.match(value):
        return doc.error(node, path, f"use letters, digits, '.', '_' or '-' (got {value!r})")
    return value


def _constrained(pf: ProfileField) -> Parser:
    """The field's parser plus the profile's `choices`."""

    def parse(doc: Doc, node: Node, path: str) -> Any:
        value = pf.parser(doc, node, path)
        if value is INVALID or pf.choices is None or value in pf.choices:
            return value
        allowed = ", ".join(str(c) for c in pf.choices)
        return doc.error(node, path, f"profile allows only {allowed} (got {value!r})")

    return parse


def _explainer(profile: Profile) -> Callable[[str], str | None]:
    def explain(key: str) -> str | None:
        if key in profile.settings:
            return f"is fixed by profile {profile.name} ({profile.settings[key]!r})"
        if key in ("host", "port") and profile.expand:
            return f"is set by profile {profile.name} for each of its targets"
        if key == "media_bypass" and profile.kind != "teams":
            return _not_teams(profile)
        if key in CONNECTION_FIELDS and profile.field_for(key) is not None:
            alias = profile.field_for(key)
            assert alias is not None
            return f"profile {profile.name} calls this {alias.name!r}"
        known = ", ".join(sorted(profile.fields)) or "nothing else"
        return f"not a setting of profile {profile.name} (it takes: {known})"

    return explain


def _not_teams(profile: Profile) -> str:
    return (f"media_bypass applies to Teams connections only (profile {profile.name} is "
            f"kind {profile.kind})")


def _admin_name(profile: Profile, target: str) -> str:
    pf = profile.field_for(target)
    return pf.name if pf else target


def _header_values(
    profile: Profile, model: str, extra: tuple[tuple[str, str], ...]
) -> tuple[tuple[str, str], ...]:
    variables = {"product": PRODUCT, "model": model, "version": __version__}
    out = {name.lower(): (name, tpl.format(**variables)) for name, tpl in profile.headers}
    out.update({name.lower(): (name, value) for name, value in extra})
    return tuple(out.values())


def _build(
    doc: Doc, node: Node, path: str, name: str, profile: Profile, values: dict[str, Any], model: str
) -> list[Connection] | None:
    def admin_name(target: str) -> str:
        pf = profile.field_for(target)
        return child(path, pf.name if pf else target)

    username, password = values["username"], values["password"]
    ok = True
    if values["register"] and not username:
        ok = False
        doc.error(node, admin_name("username"), "registration needs a user name")
    if password and not username:
        ok = False
        doc.error(node, admin_name("username"), "a password needs a user name")
    if (values["auth_user"] or values["realm"]) and not password:
        ok = False
        doc.error(node, admin_name("password"), "credentials without a password")
    if not ok:
        return None
    auth = None
    if password:
        auth = Auth(username, values["auth_user"] or username, password, values["realm"])
    numbers = None
    if values["country_code"]:
        numbers = NumberPlan(
            values["country_code"],
            values["national_prefix"],
            values["international_prefix"],
            values["number_format"],
        )
    targets = profile.expand or (
        ExpandTarget("", values["host"], values["port"], values["priority"]),
    )
    out = []
    for target in targets:
        registration = None
        if values["register"]:
            domain = values["domain"] or target.host
            registration = Registration(target.host, domain, username, values["expires"])
        out.append(
            Connection(
                name=name + target.suffix,
                profile=profile.name,
                kind=profile.kind,
                host=target.host,
                port=target.port if target.port is not None else values["port"],
                transport=values["transport"],
                resolve=values["resolve"],
                registration=registration,
                auth=auth,
                allowlist=tuple(values["allowlist"]),
                options=values["options"],
                headers=_header_values(profile, model, values["headers"]),
                priority=target.priority,
                group=values["group"] or name,
                numbers=numbers,
                srtp=values["srtp"],
                identity=values["identity"],
                media_bypass=values["media_bypass"],
                emergency_numbers=tuple(values["emergency_numbers"]),
                location=values["location"],
                trunk_number=values["trunk_number"],
                origin=f"{doc.file}:{line_of(node)}",
                entry=path,
            )
        )
    return out


def _entry(
    doc: Doc, node: Node, path: str, registry: ProfileRegistry, model: str, used: set[str]
) -> list[Connection] | None:
    if not isinstance(node, yaml.MappingNode):
        doc.error(node, path, f"must be a mapping with name and profile (got {describe(node)})")
        return None
    head: dict[str, Node] = {}
    for key, _, value_node in doc.mapping_items(node, path):
        if key in ("name", "profile"):
            head[key] = value_node
    name = _name(doc, head["name"], child(path, "name")) if "name" in head else None
    if "name" not in head:
        doc.error(node, child(path, "name"), "required setting is missing")
    if "profile" not in head:
        known = ", ".join(registry.names())
        doc.error(node, child(path, "profile"), f"required setting is missing (one of {known})")
        return None
    profile_name = text(max_len=64)(doc, head["profile"], child(path, "profile"))
    if profile_name is INVALID:
        return None
    if profile_name not in registry.names():
        known = ", ".join(registry.names())
        doc.error(
            head["profile"], child(path, "profile"), f"unknown profile {profile_name!r} ({known})"
        )
        return None
    profile, profile_log = registry.get(profile_name)
    if profile_name not in used:
        used.add(profile_name)
        for issue in profile_log.issues:
            doc.log.add(issue)
    if profile is None:
        doc.error(head["profile"], child(path, "profile"), f"profile {profile_name!r} is broken")
        return None
    keys = [Key("name", lambda d, n, p: None), Key("profile", lambda d, n, p: None)]
    for pf in profile.fields.values():
        keys.append(Key(pf.name, _constrained(pf), REQUIRED if pf.required else pf.default))
    f = read_table(doc, node, path, keys, explain_unknown=_explainer(profile))
    if not f.ok or name is None or name is INVALID:
        return None
    values = {target: spec.default for target, spec in CONNECTION_FIELDS.items()}
    values.update(profile.settings)
    for pf in profile.fields.values():
        values[pf.target] = f[pf.name]
    if values["srtp"] and values["transport"] != "tls":
        # SDES (RFC 4568) puts the SRTP keys into the SDP: over UDP/TCP anyone on the
        # path can read them, so encrypted media would only look encrypted.
        given = [pf.name for pf in profile.fields.values() if pf.name in f.nodes]
        names = [_admin_name(profile, "srtp"), _admin_name(profile, "transport")]
        where = next((n for n in names if n in given), names[0])
        doc.error(
            f.node_of(where),
            child(path, where),
            f"srtp needs transport tls: the SRTP keys travel in the SDP (got transport "
            f"{values['transport']})",
        )
        return None
    if values["media_bypass"] and not _media_bypass_ok(doc, path, profile, values, f):
        return None
    return _build(doc, node, path, name, profile, values, model)


def _media_bypass_ok(
    doc: Doc, path: str, profile: Profile, values: dict[str, Any], f: Fields
) -> bool:
    """Media bypass is Teams Direct Routing's: Teams clients send SRTP (SDES) straight
    to the SBC, so it needs a Teams profile and srtp."""
    where = _admin_name(profile, "media_bypass")
    if profile.kind != "teams":
        doc.error(f.node_of(where), child(path, where), _not_teams(profile))
        return False
    if not values["srtp"]:
        doc.error(
            f.node_of(where),
            child(path, where),
            "media_bypass needs srtp true: Teams clients send their media encrypted (SRTP)",
        )
        return False
    return True


def _check_media_bypass(
    doc: Doc, conns: list[Connection], items: dict[str, Node], registry: ProfileRegistry
) -> bool:
    """Every Teams connection the same: Microsoft sees sbc.fqdn as one PSTN gateway with
    one MediaBypass setting (New-CsOnlinePSTNGateway), whatever the entries."""
    teams = [c for c in conns if c.kind == "teams"]
    differing = next((c for c in teams if c.media_bypass != teams[0].media_bypass), None)
    if differing is None:
        return True
    first = teams[0]
    item = items[differing.entry]
    profile = registry.get(differing.profile)[0]
    where = _admin_name(profile, "media_bypass") if profile else "media_bypass"
    given = [v for k, v in item.value if getattr(k, "value", None) == where] \
        if isinstance(item, yaml.MappingNode) else []
    state = {True: "on", False: "off"}
    doc.error(
        given[0] if given else item,
        child(differing.entry, where),
        f"media_bypass must be the same on every Teams connection ({differing.name} "
        f"{state[differing.media_bypass]}, {first.name} {state[first.media_bypass]}): Teams "
        "sees them as one PSTN gateway with one MediaBypass setting",
    )
    return False


def read_connections(
    doc: Doc, node: Node | None, registry: ProfileRegistry, model: str, used: set[str]
) -> tuple[Connection, ...] | None:
    """All connections in file order (expanded ones in their profile's order)."""
    if doc.is_null(node):
        return ()
    assert node is not None
    if not isinstance(node, yaml.SequenceNode):
        doc.error(node, "connections", f"must be a list (got {describe(node)})")
        return None
    out: list[Connection] = []
    owners: dict[str, tuple[str, Node]] = {}
    items: dict[str, Node] = {}
    ok = True
    for i, item in enumerate(node.value):
        path = child("connections", i)
        items[path] = item
        built = _entry(doc, item, path, registry, model, used)
        if built is None:
            ok = False
            continue
        for conn in built:
            key = conn.name.lower()
            if key in owners:
                ok = False
                first_path, first_node = owners[key]
                made = f" (made by profile {conn.profile})" if len(built) > 1 else ""
                doc.error(
                    item,
                    child(path, "name"),
                    f"connection name {conn.name!r}{made} is already used by {first_path} "
                    f"(line {line_of(first_node)})",
                )
                continue
            owners[key] = (path, item)
            out.append(conn)
    if not _check_media_bypass(doc, out, items, registry):
        ok = False
    return tuple(out) if ok else None
