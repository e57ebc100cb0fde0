"""Keep the running configuration and swap it only for a valid new one (SIGHUP).

A reload with a broken file must never take the SBC down or half-apply: the old config
stays, and the caller logs the reasons from the returned `ReloadResult`. Whatever goes
wrong while reading (a limit, a bug in a reader) becomes such a result, never an
exception in the event loop. `reload_async` reads and checks the file in a worker
thread, so a large file does not hold up signalling; only the swap runs on the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .issues import ConfigError, ConfigIssue
from .loader import load_config
from .model import Config

log = logging.getLogger(__name__)


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


@contextlib.contextmanager
def _no_collection() -> Iterator[None]:
    """No cyclic garbage collection while a file is read. PyYAML makes several objects
    per value, and a collection pass over them (run in whichever thread allocates, holding
    the GIL) stalled the event loop for up to 0.6 s with a 1 MiB file; the node tree has
    no cycles, so reference counting frees it and collection may wait until the end."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class ConfigHolder:
    """Owns the current `Config`; the first load raises ConfigError like load_config."""

    def __init__(
        self, path: str | Path, *, profiles_dir: Path | None = None, require_files: bool = True
    ) -> None:
        self.path = Path(path)
        self._profiles_dir = profiles_dir
        self._require_files = require_files
        self._config = self._load()

    def _load(self) -> Config:
        return load_config(
            self.path, profiles_dir=self._profiles_dir, require_files=self._require_files
        )

    @property
    def config(self) -> Config:
        return self._config

    def read(self) -> Config | ReloadResult:
        """The new Config, or the failed result saying why (safe in a worker thread)."""
        try:
            with _no_collection():
                return self._load()
        except ConfigError as exc:
            return ReloadResult(False, self._config, False, errors=tuple(exc.errors))
        except Exception as exc:  # a reader's bug must not end the SBC or the loop
            log.exception("reading %s failed", self.path)
            issue = ConfigIssue(str(self.path), None, "", f"cannot be read: {exc!r}")
            return ReloadResult(False, self._config, False, errors=(issue,))

    def reload(self) -> ReloadResult:
        """Read the file and swap, in the caller's thread (tools and tests)."""
        return self.swap(self.read())

    async def reload_async(self) -> ReloadResult:
        """Read the file in a worker thread, then swap here, on the event loop."""
        return self.swap(await asyncio.to_thread(self.read))

    def swap(self, new: Config | ReloadResult) -> ReloadResult:
        """Make `new` the running config (a failure: keep the old). The app applies it
        (`SbcApp.on_reload`): there is one reload path."""
        if isinstance(new, ReloadResult):
            return new
        old = self._config
        changed = new != old
        self._config = new
        return ReloadResult(True, new, changed, warnings=new.warnings)
