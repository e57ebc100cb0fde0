"""Write a new sbc.yaml only if it is valid, and atomically, so a crash or power loss
leaves either the old file or the new one, never half of each."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .loader import loads
from .model import Config

CONFIG_MODE = 0o600  # it holds trunk passwords


def _atomic_write(path: Path, data: bytes, mode: int) -> None:
    """Temp file in the same folder, fsync, rename over, fsync the folder.

    TODO: switch to sbc.util.atomic.atomic_write once it exists in the tree.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), mode)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def save_config(path: str | Path, text: str, *, profiles_dir: Path | None = None) -> Config:
    """Validate `text` as the file at `path` would be read, then replace it atomically.

    Raises ConfigError (nothing written) when invalid; returns the new Config otherwise.
    """
    target = Path(path)
    config = loads(text, str(target), profiles_dir=profiles_dir)
    _atomic_write(target, text.encode("utf-8"), CONFIG_MODE)
    return config
