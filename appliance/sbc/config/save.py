"""Write a new sbc.yaml only if it is valid, and atomically, so a crash or power loss
leaves either the old file or the new one, never half of each.

A writer killed between creating its temporary file and the rename leaves that file
behind (`.sbc.yaml.XXXXXXXX.tmp`, util.atomic's naming; the web console's VoIP page left
24 in 50 kills). The next save and the next `sbc run` remove such files once they are
older than any live write could be.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from ..util.atomic import atomic_write
from .loader import loads
from .model import Config

CONFIG_MODE = 0o600  # it holds trunk passwords
STALE_SECONDS = 30.0  # a write takes milliseconds; an older temporary file is left over


def save_config(path: str | Path, text: str, *, profiles_dir: Path | None = None) -> Config:
    """Validate `text` as the file at `path` would be read, then replace it atomically.

    Raises ConfigError (nothing written) when invalid; returns the new Config otherwise.
    """
    target = Path(path)
    config = loads(text, str(target), profiles_dir=profiles_dir)
    remove_stale_temps(target)
    atomic_write(target, text.encode("utf-8"), CONFIG_MODE)
    return config


def remove_stale_temps(
    target: Path, *, older_than: float = STALE_SECONDS, now: float | None = None
) -> list[Path]:
    """Remove util.atomic's temporary files for `target` left by a killed writer; a
    younger one may belong to a write under way and stays. Returns what was removed."""
    removed = []
    limit = (time.time() if now is None else now) - older_than
    for temp in target.parent.glob(f".{target.name}.*.tmp"):
        with contextlib.suppress(OSError):  # gone meanwhile, or not ours to remove
            if temp.is_file() and not temp.is_symlink() and temp.stat().st_mtime <= limit:
                temp.unlink()
                removed.append(temp)
    return removed
