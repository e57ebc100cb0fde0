"""The connection profiles as an admin chooses among them (`sbc config profiles`).

Everything comes from the profile registry (built-in profiles plus `profiles_dir`) and
the settings model: a field's type, default, help and whether it is secret are those of
`connections.<Name>.<field>` (`settings.connection_settings`), so the web page's form
and `sbc config show` describe a field alike.

    catalog(registry, taken=["Teams"])   # [{"name", "label", "kind", "fields", ...}]
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from .current import plain
from .fields import CONNECTION_FIELDS
from .profiles import Profile, ProfileRegistry
from .settings import connection_settings

# A stand-in entry name: the settings model names fields connections.<Name>.<field>.
_NAME = "NAME"


def default_name(profile: Profile, taken: Collection[str] = ()) -> str:
    """The entry name the page proposes: Teams for a Teams profile, else the profile
    name's first word (telekom-deutschlandlan: Telekom); a number is added when a
    connection of that name exists already (names compare ignoring case)."""
    base = "Teams" if profile.kind == "teams" else profile.name.split("-")[0].capitalize()
    used = {t.lower() for t in taken}
    name, n = base, 1
    while name.lower() in used:
        n += 1
        name = f"{base}{n}"
    return name


def fields(profile: Profile) -> list[dict[str, Any]]:
    """The fields the admin gives, in the profile's order."""
    out = []
    for setting, pf in zip(connection_settings(_NAME, 0, profile), profile.fields.values(),
                           strict=True):
        kind = setting.type
        default = None if setting.required else plain(setting.default, kind.kind)
        if kind.kind == "mapping" and default == []:
            default = {}  # no headers
        if pf.choices is not None:
            choices: list[Any] | None = [plain(c) for c in pf.choices]
        elif kind.options:
            choices = list(kind.options)  # the setting's own (transport: udp | tcp | tls)
        else:
            choices = None
        out.append({
            "name": pf.name,
            "label": pf.label or pf.name,
            "required": setting.required,
            "default": default,
            "type": str(kind),
            "kind": kind.kind,
            "help": CONNECTION_FIELDS[pf.target].help,
            "choices": choices,
            # the settings model goes by the admin's name (password); a profile may
            # call it otherwise (secret: {to: password}): a secret all the same
            "secret": setting.secret or pf.target == "password",
            "setting": pf.target,
        })
    return out


def entry(registry: ProfileRegistry, name: str, taken: Collection[str] = ()) -> dict[str, Any]:
    """One profile for the page and `sbc config profiles`; a broken one has
    `usable: false` and its errors (as `sbc check` prints them)."""
    profile, log = registry.get(name)
    overridden = registry.overridden().get(name)
    if profile is None:
        return {"name": name, "label": name, "title": name, "kind": None, "description": "",
                "usable": False, "errors": [str(i) for i in log.sorted() if i.is_error],
                "default_name": name.split("-")[0].capitalize(), "expands": False,
                "expand": [], "fixed": {}, "fields": [],
                "file": overridden[0] if overridden else None}
    return {
        "name": name,
        "label": profile.title,
        "title": profile.title,
        "kind": profile.kind,
        "description": profile.description,
        "usable": True,
        "errors": [],
        "default_name": default_name(profile, taken),
        "expands": bool(profile.expand),
        "expand": [{"suffix": t.suffix, "host": t.host,
                    "port": t.port or profile.settings.get("port"), "priority": t.priority}
                   for t in profile.expand],
        "fixed": {k: plain(v) for k, v in profile.settings.items()},
        "fields": fields(profile),
        "file": profile.file,
        "overrides": overridden[1] if overridden else None,
    }


def catalog(registry: ProfileRegistry, taken: Collection[str] = ()) -> list[dict[str, Any]]:
    """Every profile, by name; `taken`: the connection names the file has already."""
    return [entry(registry, name, taken) for name in registry.names()]
