"""Keep the running configuration and swap it only for a valid new one (SIGHUP).

A reload with a broken file must never take the SBC down or half-apply: the old config
stays, and the caller logs the reasons from the returned `ReloadResult`.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .issues import ConfigError, ConfigIssue
from .loader import load_config
from .model import Config

Listener = Callable[[Config, Config], None]


@dataclass(frozen=True)
class ReloadResult:
    """`ok` False: `errors` say why and `config` is still the old one."""

    ok: bool
    config: Config
    changed: bool
    errors: tuple[ConfigIssue, ...] = ()
    warnings: tuple[ConfigIssue, ...] = ()

    def summary(self) -> str:
        if not self.ok:
            return f"config reload failed, keeping the running config: {len(self.errors)} error(s)"
        return "config reloaded" if self.changed else "config reloaded (no change)"


class ConfigHolder:
    """Owns the current `Config`; the first load raises ConfigError like load_config."""

    def __init__(
        self, path: str | Path, *, profiles_dir: Path | None = None, require_files: bool = True
    ) -> None:
        self.path = Path(path)
        self._profiles_dir = profiles_dir
        self._require_files = require_files
        self._config = self._load()
        self._listeners: list[Listener] = []

    def _load(self) -> Config:
        return load_config(
            self.path, profiles_dir=self._profiles_dir, require_files=self._require_files
        )

    @property
    def config(self) -> Config:
        return self._config

    def subscribe(self, listener: Listener) -> None:
        """Call listener(old, new) after each successful swap that changed something."""
        self._listeners.append(listener)

    def reload(self) -> ReloadResult:
        old = self._config
        try:
            new = self._load()
        except ConfigError as exc:
            return ReloadResult(False, old, False, errors=tuple(exc.errors))
        changed = new != old
        self._config = new
        if changed:
            for listener in list(self._listeners):
                listener(old, new)
        return ReloadResult(True, new, changed, warnings=new.warnings)

    def install_sighup(
        self, loop: asyncio.AbstractEventLoop, report: Callable[[ReloadResult], None]
    ) -> None:
        """Reload on SIGHUP inside the event loop and hand the result to `report`."""
        loop.add_signal_handler(signal.SIGHUP, lambda: report(self.reload()))
