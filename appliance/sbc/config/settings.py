"""Every setting of sbc.yaml by dotted name, built from the loader's own key tables.

    settings = settings_for(text)            # fixed sections + this file's connections
    s = settings["sbc.public_ip"]            # Setting(path, parse, default, help, effect, ...)
    s.type, s.required, s.effect             # "IPv4 address", True, "restart-media"

The CLI (`sbc config`), the first-boot wizard and the web page read names, types,
defaults, help and apply effects from here, so a setting is defined once: in the table
the loader parses it with. Connection fields come from the entry's profile and are named
`connections.<Name>.<field>` (the profile's own field names, e.g. `line_number`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from .calls import _CALLS_KEYS, _MEDIA_KEYS
from .connections import _constrained
from .fields import CONNECTION_FIELDS
from .loader import _TOP_KEYS
from .model import DEFAULT_PORTS
from .profiles import Profile, ProfileRegistry
from .sections import (
    _ACME_KEYS,
    _LIMIT_KEYS,
    _SBC_KEYS,
    _SYSLOG_KEYS,
    _TLS_KEYS,
    _TRACE_KEYS,
)
from .table import REQUIRED, Effect, Key
from .values import Parser, ValueType, port, value_type

# Which table reads which mapping; "" is the top level. A key naming a section here (or
# `connections`) is a section, not a setting.
SECTIONS: Mapping[str, Sequence[Key]] = {
    "sbc": _SBC_KEYS,
    "sbc.tls": _TLS_KEYS,
    "sbc.limits": _LIMIT_KEYS,
    "syslog": _SYSLOG_KEYS,
    "trace": _TRACE_KEYS,
    "media": _MEDIA_KEYS,
    "calls": _CALLS_KEYS,
    "acme": _ACME_KEYS,
    "": _TOP_KEYS,
}
CONNECTIONS = "connections"
# The admin's "SIP TLS port" is the port of the `transport: tls` entry of sbc.listen.
TLS_PORT = "sbc.tls_port"
BYPASS = "media_bypass"  # a Teams setting: other profiles do not offer it
Where = tuple[str | int, ...]


@dataclass(frozen=True)
class Setting:
    """One setting: where it lives in the file (`where`, None for derived ones), how it
    is parsed, its default (REQUIRED if none), help and what a change needs."""

    path: str
    parse: Parser
    default: Any
    help: str
    effect: Effect
    where: Where | None
    type: ValueType
    target: str = ""  # the connection field a profile field fills (its name may differ)
    masked: bool = False  # its Key says secret (acme.eab_hmac)

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def secret(self) -> bool:
        """Masked in output: a password, whatever name the profile gives the field."""
        return self.masked or "password" in (self.target, self.path.rsplit(".", 1)[-1])


def _join(section: str, name: str) -> str:
    return f"{section}.{name}" if section else name


@cache
def fixed_settings() -> tuple[Setting, ...]:
    """The settings of every fixed section, in table order, plus sbc.tls_port."""
    out: list[Setting] = []
    for section, keys in SECTIONS.items():
        for key in keys:
            path = _join(section, key.name)
            if path in SECTIONS or path == CONNECTIONS:
                continue
            where = tuple(path.split("."))
            out.append(
                Setting(path, key.parse, key.default, key.help, key.effect, where,
                        value_type(key.parse), masked=key.secret)
            )
            if path == "sbc.listen":
                out.append(
                    Setting(TLS_PORT, port, DEFAULT_PORTS["tls"],
                            "port of the TLS entry in sbc.listen (Teams connects here)",
                            "reload", None, value_type(port))
                )
    return tuple(out)


def fixed(path: str) -> Setting:
    """One fixed setting by path (KeyError if there is none)."""
    found = next((s for s in fixed_settings() if s.path == path), None)
    if found is None:
        raise KeyError(path)
    return found


def connection_settings(name: str, index: int, profile: Profile) -> tuple[Setting, ...]:
    """The fields an entry with `profile` takes, as `connections.<name>.<field>`."""
    out = []
    for pf in profile.fields.values():
        kind = value_type(pf.parser)
        if pf.choices is not None:  # the profile narrows the field's own type
            kind = replace(kind, options=tuple(str(c).lower() for c in pf.choices))
        out.append(
            Setting(
                f"{CONNECTIONS}.{name}.{pf.name}",
                _constrained(pf),
                REQUIRED if pf.required else pf.default,
                pf.label or CONNECTION_FIELDS[pf.target].help,
                "reload",
                (CONNECTIONS, index, pf.name),
                kind,
                pf.target,
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class Entry:
    """A `connections:` item as written: its name, profile name and list index."""

    name: str
    profile: str
    index: int


def entries(text: str) -> list[Entry]:
    """The connection entries of a file that have a name and a profile (others are left
    to the loader to report)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []
    items = _child(root, CONNECTIONS)
    if not isinstance(items, yaml.SequenceNode):
        return []
    out = []
    for i, item in enumerate(items.value):
        name, profile = _child(item, "name"), _child(item, "profile")
        if isinstance(name, yaml.ScalarNode) and isinstance(profile, yaml.ScalarNode):
            out.append(Entry(str(name.value), str(profile.value), i))
    return out


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    return next((v for k, v in node.value if getattr(k, "value", None) == key), None)


def profiles_dir_of(text: str, file: str | Path) -> Path | None:
    """The file's own `profiles_dir` (relative to its folder), as the loader reads it."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    value = doc.get("profiles_dir") if isinstance(doc, dict) else None
    if not isinstance(value, str) or not value:
        return None
    path = Path(value)
    return path if path.is_absolute() else Path(file).resolve().parent / path


class Settings(Mapping[str, Setting]):
    """The settings of one file: fixed ones and those of its connections, by path."""

    def __init__(self, items: Sequence[Setting], entries_: Sequence[Entry],
                 profiles: ProfileRegistry) -> None:
        self._items = {s.path: s for s in items}
        self.entries = list(entries_)
        self.profiles = profiles

    def __getitem__(self, path: str) -> Setting:
        return self._items[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def entry(self, name: str) -> Entry | None:
        return next((e for e in self.entries if e.name == name), None)

    def unknown(self, path: str) -> str:
        """Why `path` is not a setting, with the closest names."""
        bypass = f".{BYPASS}"
        if path.startswith(f"{CONNECTIONS}.") and path.endswith(bypass):
            entry = self.entry(path[len(CONNECTIONS) + 1 : -len(bypass)])
            if entry is not None and entry.profile in self.profiles.names():
                profile = self.profiles.get(entry.profile)[0]
                if profile is not None and profile.kind != "teams":
                    return (f"{BYPASS} applies to Teams connections only (profile "
                            f"{profile.name} is kind {profile.kind})")
        close = difflib.get_close_matches(path, list(self._items), n=1, cutoff=0.6)
        if close:
            return f"unknown setting (did you mean {close[0]!r}?)"
        head, _, rest = path.partition(".")
        if head == CONNECTIONS and rest:
            names = ", ".join(e.name for e in self.entries) or "none"
            return f"unknown setting (connections: {names}; their fields: `sbc config show`)"
        return "unknown setting (`sbc config show` lists them)"


def settings_for(text: str, profiles: ProfileRegistry | None = None) -> Settings:
    """All settings of a file. Entries whose profile is unknown or broken add none."""
    registry = profiles or ProfileRegistry()
    items = list(fixed_settings())
    found = entries(text)
    for entry in found:
        if entry.profile not in registry.names():
            continue
        profile = registry.get(entry.profile)[0]
        if profile is not None:
            items.extend(connection_settings(entry.name, entry.index, profile))
    return Settings(items, found, registry)
