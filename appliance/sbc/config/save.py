"""Write a new sbc.yaml only if it is valid, and atomically, so a crash or power loss
leaves either the old file or the new one, never half of each."""

from __future__ import annotations

from pathlib import Path

from ..util.atomic import atomic_write
from .loader import loads
from .model import Config

CONFIG_MODE = 0o600  # it holds trunk passwords


def save_config(path: str | Path, text: str, *, profiles_dir: Path | None = None) -> Config:
    """Validate `text` as the file at `path` would be read, then replace it atomically.

    Raises ConfigError (nothing written) when invalid; returns the new Config otherwise.
    """
    target = Path(path)
    config = loads(text, str(target), profiles_dir=profiles_dir)
    atomic_write(target, text.encode("utf-8"), CONFIG_MODE)
    return config
