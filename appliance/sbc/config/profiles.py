"""Connection profiles: YAML data files that say what a kind of peer needs.

A profile (e.g. `sbc/profiles/telekom-deutschlandlan.yaml`) names the connection settings
the admin must or may give (`fields`, possibly under the provider's own names such as
`line_number`), the ones it fixes (`settings`), headers to add, and optionally several
targets one admin entry expands into (`expand`: Teams -> Teams1..3). Built-in profiles ship
as package data; files in an extra folder (/data/profiles) add more or replace one.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .fields import CONNECTION_FIELDS, FORMATS
from .issues import ConfigIssue, IssueLog
from .nodes import INVALID, Doc, Node, child, describe
from .table import REQUIRED, Fields, Key, read_table
from .values import Parser, boolean, choice, host, integer, list_of, port, text

PROFILE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
KINDS = ("carrier", "teams", "peer")
HEADER_VARIABLES = frozenset({"product", "model", "version"})


@dataclass(frozen=True)
class ProfileField:
    """A setting the admin writes under a connection, as this profile names it."""

    name: str
    target: str
    required: bool
    default: Any
    choices: tuple[Any, ...] | None
    format: str | None
    label: str

    @property
    def parser(self) -> Parser:
        return FORMATS[self.format] if self.format else CONNECTION_FIELDS[self.target].parse


@dataclass(frozen=True)
class ExpandTarget:
    """One of several connections made from one admin entry (name = entry name + suffix)."""

    suffix: str
    host: str
    port: int | None
    priority: int


@dataclass(frozen=True)
class Profile:
    name: str
    file: str
    title: str
    kind: str
    fields: dict[str, ProfileField]
    settings: dict[str, Any]
    headers: tuple[tuple[str, str], ...]
    expand: tuple[ExpandTarget, ...] = field(default=())
    description: str = ""  # what the profile is for, as the web console lists it

    def field_for(self, target: str) -> ProfileField | None:
        return next((f for f in self.fields.values() if f.target == target), None)


def _identity(doc: Doc, node: Node, path: str) -> Any:
    return node


def _field(doc: Doc, name: str, node: Node, path: str) -> ProfileField | None:
    f = read_table(
        doc,
        node,
        path,
        (
            Key("to", text(max_len=64), name),
            Key("required", boolean, False),
            Key("default", _identity, None),
            Key("choices", _identity, None),
            Key("format", choice(tuple(FORMATS)), None),
            Key("label", text(max_len=128), ""),
        ),
    )
    if not f.ok:
        return None
    target = f["to"]
    if target not in CONNECTION_FIELDS:
        doc.error(f.node_of("to"), child(path, "to"), f"unknown connection setting {target!r}")
        return None
    parser = FORMATS[f["format"]] if f["format"] else CONNECTION_FIELDS[target].parse
    default = CONNECTION_FIELDS[target].default
    if f["default"] is not None and not doc.is_null(f["default"]):
        default = parser(doc, f["default"], child(path, "default"))
        if f["required"]:
            doc.error(f.node_of("default"), child(path, "default"), "a required field has none")
    choices = None
    if f["choices"] is not None:
        parsed = list_of(parser, allow_empty=False)(doc, f["choices"], child(path, "choices"))
        choices = None if parsed is INVALID else tuple(parsed)
        if choices is not None and default is not None and default not in choices:
            default = doc.error(
                f.node_of("default"), child(path, "default"), "is not one of the choices"
            )
    if default is INVALID or (f["choices"] is not None and choices is None):
        return None
    return ProfileField(name, target, f["required"], default, choices, f["format"], f["label"])


def _fields(doc: Doc, node: Node | None) -> dict[str, ProfileField] | None:
    if doc.is_null(node):
        return {}
    assert node is not None
    if not isinstance(node, yaml.MappingNode):
        doc.error(node, "fields", f"must be a mapping (got {describe(node)})")
        return None
    out: dict[str, ProfileField] = {}
    targets: dict[str, str] = {}
    ok = True
    for key, key_node, value_node in doc.mapping_items(node, "fields"):
        if key in ("name", "profile"):
            doc.error(key_node, child("fields", key), "is reserved for every connection")
            ok = False
            continue
        pf = _field(doc, key, value_node, child("fields", key))
        if pf is None:
            ok = False
        elif pf.target in targets:
            ok = False
            doc.error(
                key_node,
                child("fields", key),
                f"sets {pf.target!r} like field {targets[pf.target]!r}",
            )
        else:
            targets[pf.target] = key
            out[key] = pf
    return out if ok else None


def _settings(doc: Doc, node: Node | None) -> dict[str, Any] | None:
    keys = [Key(name, spec.parse, None) for name, spec in CONNECTION_FIELDS.items()]
    f = read_table(doc, node, "settings", keys)
    if not f.ok:
        return None
    return {name: f[name] for name in f.nodes}


def _header_templates(doc: Doc, node: Node | None) -> tuple[tuple[str, str], ...] | None:
    if doc.is_null(node):
        return ()
    assert node is not None
    parsed = CONNECTION_FIELDS["headers"].parse(doc, node, "headers")
    if parsed is INVALID:
        return None
    ok = True
    for (name, template), (_, value_node) in zip(parsed, node.value, strict=True):
        try:
            names = {v for _, v, _, _ in string.Formatter().parse(template) if v is not None}
        except ValueError as exc:
            names, ok = set(), False
            doc.error(value_node, child("headers", name), f"bad template: {exc}")
        unknown = names - HEADER_VARIABLES
        if unknown:
            ok = False
            doc.error(
                value_node,
                child("headers", name),
                f"unknown variable {sorted(unknown)[0]!r}; use {{product}}, {{model}}, {{version}}",
            )
    return parsed if ok else None


_EXPAND_KEYS = (
    Key("suffix", text(max_len=16), REQUIRED),
    Key("host", host, REQUIRED),
    Key("port", port, None),
    Key("priority", integer(1, 1000), REQUIRED),
)


def _expand_target(doc: Doc, node: Node, path: str) -> Any:
    f = read_table(doc, node, path, _EXPAND_KEYS)
    return ExpandTarget(**f.values) if f.ok else INVALID


_PROFILE_KEYS = (
    Key("title", text(max_len=128), REQUIRED),
    Key("kind", choice(KINDS), "peer"),
    Key("description", text(max_len=4096, multiline=True), ""),
    Key("fields", _identity, None),
    Key("settings", _identity, None),
    Key("headers", _identity, None),
    Key("expand", list_of(_expand_target, allow_empty=False), ()),
)


def _cross_check(doc: Doc, top: Fields, fields: dict[str, ProfileField], settings: dict) -> bool:
    ok = True
    for pf in fields.values():
        if pf.target in settings:
            ok = False
            doc.error(
                top.node_of("fields"),
                child("fields", pf.name),
                f"{pf.target!r} is also fixed under settings",
            )
    if top["expand"] and ("host" in settings or any(f.target == "host" for f in fields.values())):
        ok = False
        doc.error(top.node_of("expand"), "expand", "hosts come from expand; do not set host too")
    if (
        not top["expand"]
        and "host" not in settings
        and not any(f.target == "host" and (f.required or f.default) for f in fields.values())
    ):
        ok = False
        doc.error(top.node, "fields", "no host: add a required 'host' field, a default, or expand")
    return ok


def parse_profile(
    name: str, file: str, text_: str, base_dir: Path
) -> tuple[Profile | None, IssueLog]:
    """Read one profile file; problems go to the returned log, named by its file and line."""
    log = IssueLog()
    doc = Doc(file, log, base_dir)
    if not PROFILE_NAME.match(name):
        doc.error(None, "", f"profile files are named like my-provider.yaml (got {name!r})")
        return None, log
    root = doc.compose(text_)
    if root is None:
        if not log.errors:
            doc.error(None, "", "is empty")
        return None, log
    top = read_table(doc, root, "", _PROFILE_KEYS)
    fields = _fields(doc, top.get("fields"))
    settings = _settings(doc, top.get("settings"))
    headers = _header_templates(doc, top.get("headers"))
    if not top.ok or fields is None or settings is None or headers is None:
        return None, log
    if not _cross_check(doc, top, fields, settings):
        return None, log
    profile = Profile(
        name=name,
        file=file,
        title=top["title"],
        kind=top["kind"],
        fields=fields,
        settings=settings,
        headers=headers,
        expand=top["expand"],
        description=" ".join(top["description"].split()),
    )
    return profile, log


@dataclass
class _Entry:
    name: str
    file: str
    text: str
    base_dir: Path
    overrides: str | None = None


def _builtin_entries() -> Iterator[_Entry]:
    folder = resources.files("sbc.profiles")
    for item in sorted(folder.iterdir(), key=lambda t: t.name):
        if item.name.endswith(".yaml") and item.is_file():
            yield _Entry(item.name[:-5], str(item), item.read_text("utf-8"), Path("."))


class ProfileRegistry:
    """Built-in profiles plus those in `extra_dir`, parsed on first use.

    A profile file with an error only fails the config when a connection uses it; the
    loader reports unused broken profiles as warnings (`unused_issues`).
    """

    def __init__(self, extra_dir: Path | None = None) -> None:
        self._entries: dict[str, _Entry] = {e.name: e for e in _builtin_entries()}
        self.load_issues: list[ConfigIssue] = []
        if extra_dir is not None and extra_dir.is_dir():
            for path in sorted(extra_dir.glob("*.yaml")):
                try:
                    content = path.read_text("utf-8")
                except (OSError, UnicodeError) as exc:
                    self.load_issues.append(ConfigIssue(str(path), None, "", f"unreadable: {exc}"))
                    continue
                old = self._entries.get(path.stem)
                self._entries[path.stem] = _Entry(
                    path.stem, str(path), content, path.parent, old.file if old else None
                )
        self._parsed: dict[str, tuple[Profile | None, IssueLog]] = {}

    def names(self) -> list[str]:
        return sorted(self._entries)

    def overridden(self) -> dict[str, tuple[str, str]]:
        """Profiles an extra file replaced: name -> (extra file, built-in file)."""
        return {n: (e.file, e.overrides) for n, e in self._entries.items() if e.overrides}

    def get(self, name: str) -> tuple[Profile | None, IssueLog]:
        if name not in self._entries:
            raise KeyError(name)
        if name not in self._parsed:
            e = self._entries[name]
            self._parsed[name] = parse_profile(name, e.file, e.text, e.base_dir)
        return self._parsed[name]

    def all_issues(self) -> dict[str, IssueLog]:
        return {name: self.get(name)[1] for name in self.names()}
