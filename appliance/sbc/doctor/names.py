"""Loader field paths as `sbc config` setting names, for advice the admin can paste.

The loader says `connections[0].password` (the file's structure); `sbc config set` takes
`connections.Telekom.password` (the admin's name for the entry).
"""

from __future__ import annotations

import re

from ..config import Config

_ENTRY = re.compile(r"\bconnections\[(\d+)\]")


def setting_names(config: Config | None, text: str) -> str:
    """`text` with every `connections[N]` replaced by `connections.NAME`."""
    if config is None:
        return text
    groups = {c.entry: c.group for c in config.connections if c.entry}

    def name(match: re.Match[str]) -> str:
        group = groups.get(match.group(0))
        return f"connections.{group}" if group else match.group(0)

    return _ENTRY.sub(name, text)


def entry_setting(config: Config | None, connection: str) -> str:
    """`connections.NAME` of the admin's entry behind a connection (Teams1 -> Teams)."""
    if config is not None:
        for conn in config.connections:
            if conn.name == connection:
                return f"connections.{conn.group}"
    return f"connections.{connection}"
