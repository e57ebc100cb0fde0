"""Change sbc.yaml by setting name: `sbc.fqdn=...`, a connection added or removed.

An `Editor` turns requests into new text (yamltext keeps comments and layout) and notes
which settings changed and what applying them needs. It never writes: `commit` validates
the new text with the loader (the code `sbc check` runs) and saves it atomically only
when there is no error, so a refused change leaves the file byte for byte as it was.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .current import current
from .issues import ConfigIssue
from .loader import parse
from .model import Config
from .ports import busy_listeners
from .profiles import ProfileRegistry
from .save import save_config
from .sections import default_listeners
from .settings import (
    CONNECTIONS,
    SECTIONS,
    TLS_PORT,
    Setting,
    Settings,
    connection_settings,
    fixed_settings,
    settings_for,
)
from .table import Effect
from .values import ValueType
from .yamltext import (
    EditError,
    append_item,
    find,
    one_line,
    plain_scalar,
    remove,
    set_value,
    yaml_scalar,
)

# Kinds whose value is written as the admin typed it when it is one plain scalar; text-like
# kinds are quoted when needed (a password `yes` stays text); structured ones are flow YAML.
_AS_TYPED = frozenset({"integer", "boolean"})
_STRUCTURED = frozenset({"list", "mapping", "yaml"})


def render(raw: str, kind: ValueType) -> str:
    """The YAML text for a value given on the command line or in a form."""
    if kind.kind in _STRUCTURED:
        if not one_line(raw):
            raise EditError("must be one line of YAML such as [a, b] or {k: v}")
        try:
            yaml.compose(raw, Loader=yaml.SafeLoader)
        except yaml.YAMLError as exc:
            raise EditError(f"is not YAML: {str(exc).splitlines()[0]}") from None
        return raw
    if kind.options and plain_scalar(raw) and raw.lower() in ("true", "false"):
        return raw  # a profile's choices of a boolean (srtp: [false, true])
    if kind.kind in _AS_TYPED and plain_scalar(raw):
        return raw
    return yaml_scalar(raw)


@dataclass
class Editor:
    """Edits of one file's text; `errors` name the setting each request failed for."""

    file: str
    text: str
    profiles: ProfileRegistry = field(default_factory=ProfileRegistry)
    changed: list[str] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    errors: list[ConfigIssue] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.original = self.text

    def settings(self) -> Settings:
        return settings_for(self.text, self.profiles)

    def refuse(self, key: str, message: str) -> None:
        self.errors.append(ConfigIssue(self.file, None, key, message))

    def _done(self, key: str, new: str, effect: Effect) -> None:
        if new != self.text:
            self.text = new
            if key not in self.changed:
                self.changed.append(key)
            if effect not in self.effects:
                self.effects.append(effect)

    def _setting(self, key: str) -> Setting | None:
        settings = self.settings()
        if key not in settings:
            self.refuse(key, settings.unknown(key))
            return None
        return settings[key]

    def set(self, key: str, raw: str) -> None:
        """Set one setting; an empty value removes it (its default applies again)."""
        raw = raw.strip()
        if not raw:
            self.remove(key)
            return
        setting = self._setting(key)
        if setting is None:
            return
        now = current(self.text, self.file, setting)
        if not now.given and not setting.required and raw == _as_text(now.value):
            return  # the default already: a form sending every field adds no lines
        try:
            value = render(raw, setting.type)
            if setting.path == TLS_PORT:
                new = _set_tls_port(self.text, value)
            else:
                assert setting.where is not None
                new = set_value(self.text, setting.where, value)
        except EditError as exc:
            self.refuse(key, str(exc))
            return
        self._done(key, new, setting.effect)

    def remove(self, key: str) -> None:
        """Remove one setting, or a whole optional section (`syslog`, `trace`, `media`,
        `calls`, `sbc.tls`, `sbc.limits`: its defaults apply again, no `syslog` is no
        remote syslog)."""
        if key in REMOVABLE_SECTIONS:
            self._remove_section(key)
            return
        setting = self._setting(key)
        if setting is None:
            return
        if setting.where is None:
            self.refuse(key, "cannot be removed, only set (edit sbc.listen to drop TLS)")
            return
        try:
            new = remove(self.text, setting.where)
        except EditError as exc:
            self.refuse(key, str(exc))
            return
        self._done(key, new, setting.effect)

    def _remove_section(self, key: str) -> None:
        try:
            new = remove(self.text, tuple(key.split(".")))
        except EditError as exc:
            self.refuse(key, str(exc))
            return
        inside: list[Effect] = [s.effect for s in fixed_settings()
                                if s.path.startswith(key + ".")]
        strongest: Effect = max(inside, key=_EFFECT_ORDER.index, default="reload")
        self._done(key, new, strongest)

    def add_connection(self, name: str, profile: str, values: Sequence[tuple[str, str]]) -> None:
        """Append a `connections:` entry; `values` use the profile's field names."""
        key = f"{CONNECTIONS}.{name}"
        settings = self.settings()
        if settings.entry(name) is not None:
            self.refuse(key, f"there is a connection {name!r} already")
            return
        if profile not in self.profiles.names():
            known = ", ".join(self.profiles.names())
            self.refuse(f"{key}.profile", f"unknown profile {profile!r} ({known})")
            return
        spec, _ = self.profiles.get(profile)
        if spec is None:
            self.refuse(f"{key}.profile", f"profile {profile!r} is broken (sbc check says why)")
            return
        fields = {s.path.rsplit(".", 1)[1]: s for s in connection_settings(name, 0, spec)}
        item = [("name", yaml_scalar(name)), ("profile", yaml_scalar(profile))]
        for field_name, raw in values:
            if field_name not in fields:
                known = ", ".join(fields) or "nothing"
                self.refuse(f"{key}.{field_name}", f"not a field of profile {profile} ({known})")
                continue
            try:
                if raw.strip():
                    item.append((field_name, render(raw.strip(), fields[field_name].type)))
            except EditError as exc:
                self.refuse(f"{key}.{field_name}", str(exc))
        if self.errors:
            return
        try:
            new = append_item(self.text, (CONNECTIONS,), item)
        except EditError as exc:
            self.refuse(key, str(exc))
            return
        self._done(key, new, "reload")

    def remove_connection(self, name: str) -> None:
        key = f"{CONNECTIONS}.{name}"
        entry = self.settings().entry(name)
        if entry is None:
            names = ", ".join(e.name for e in self.settings().entries) or "none"
            self.refuse(key, f"no such connection (there are: {names})")
            return
        self._done(key, remove(self.text, (CONNECTIONS, entry.index)), "reload")


# Sections that may go as a whole: every fixed one but `sbc` itself (required).
REMOVABLE_SECTIONS = frozenset(name for name in SECTIONS if name not in ("", "sbc"))
_EFFECT_ORDER: tuple[Effect, ...] = ("reload", "restart-media", "restart")


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    return str(value).lower() if isinstance(value, bool) else str(value)


def _set_tls_port(text: str, port: str) -> str:
    """The port of sbc.listen's TLS entry; one is added (with the default listeners
    written out when sbc.listen is absent)."""
    listen = find(text, ("sbc", "listen"))
    tls = f"{{transport: tls, port: {port}}}"
    if listen is None or getattr(listen, "tag", "").endswith(":null"):
        items = [f"{{transport: {li.transport}, port: {li.port}}}"
                 for li in default_listeners() if li.transport != "tls"]
        return set_value(text, ("sbc", "listen"), "[" + ", ".join([*items, tls]) + "]")
    count = len(listen.value) if isinstance(listen, yaml.SequenceNode) else 0
    for i in range(count):
        transport = find(text, ("sbc", "listen", i, "transport"))
        if getattr(transport, "value", None) == "tls":
            return set_value(text, ("sbc", "listen", i, "port"), port)
    return append_item(text, ("sbc", "listen"), [("transport", "tls"), ("port", port)])


@dataclass(frozen=True)
class Outcome:
    """The loader's verdict on the new text; `config` None when it has errors."""

    config: Config | None
    errors: list[ConfigIssue]
    warnings: list[ConfigIssue]
    saved: bool


def commit(editor: Editor, path: str | Path, *, profiles_dir: Path | None = None,
           dry_run: bool = False) -> Outcome:
    """Validate the editor's text as the file at `path`; save it atomically when valid,
    changed and not `dry_run`. Any error (the editor's or the loader's, both reported)
    saves nothing."""
    config, log = parse(str(path), editor.text, profiles_dir=profiles_dir)
    issues = log.sorted()
    errors = [*editor.errors, *(i for i in issues if i.is_error)]
    warnings = [i for i in issues if not i.is_error]
    if config is None or errors:
        return Outcome(None, errors, warnings, False)
    if editor.text == editor.original:
        return Outcome(config, [], warnings, False)
    busy = _busy_ports(editor, path, config, profiles_dir)
    if busy:
        return Outcome(None, busy, warnings, False)
    if dry_run:
        return Outcome(config, [], warnings, False)
    save_config(path, editor.text, profiles_dir=profiles_dir)
    return Outcome(config, [], warnings, True)


def _busy_ports(editor: Editor, path: str | Path, config: Config,
                profiles_dir: Path | None) -> list[ConfigIssue]:
    """Listeners the change adds on ports another program holds (`config.ports`); none
    when the file before did not load (the running SBC's ports are unknown then)."""
    before, _ = parse(str(path), editor.original, profiles_dir=profiles_dir)
    return busy_listeners(before, config) if before is not None else []


_ENTRY = re.compile(r"^connections\[(\d+)\](?:\.(.*))?$")


def setting_name(field_path: str, settings: Settings) -> str:
    """A loader field path as a setting name: `connections[0].password` becomes
    `connections.Telekom.password`, so a form can mark the field."""
    match = _ENTRY.match(field_path)
    if not match:
        return field_path
    entry = next((e for e in settings.entries if e.index == int(match[1])), None)
    if entry is None:
        return field_path
    rest = match[2]
    return f"{CONNECTIONS}.{entry.name}" + (f".{rest}" if rest else "")

