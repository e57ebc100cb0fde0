"""Crash-safe replacement of system files that keeps their owner and mode.

/etc/shadow is root:shadow 0640 and a keyfile must stay 0600: a plain rewrite could
leave half a file after a power cut, and a fresh temporary file would be root:root.
"""

from __future__ import annotations

import stat
from pathlib import Path

from sbc.util.atomic import atomic_write, fsync_dir


def replace_file(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write `path` atomically. Owner and mode are the old file's (or root's and 0644 for
    a new one) unless `mode` is given; both are set before any byte is written."""
    try:
        old = path.stat()
        owner: tuple[int, int] | None = (old.st_uid, old.st_gid)
        old_mode = stat.S_IMODE(old.st_mode)
    except FileNotFoundError:
        owner, old_mode = None, 0o644
    atomic_write(path, data, old_mode if mode is None else mode, owner=owner)


def remove_file(path: Path) -> bool:
    """Delete `path` durably; False if it was not there."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    fsync_dir(path.parent)
    return True
