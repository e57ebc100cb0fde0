"""Crash-safe replacement of system files that keeps their owner and mode.

/etc/shadow is root:shadow 0640 and a keyfile must stay 0600: a plain rewrite could
leave half a file after a power cut, and a fresh temporary file would be root:root.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from sbc.util.atomic import fsync_dir


def replace_file(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write `data` to `path` atomically. Owner and mode are the old file's (or root's
    and 0644 for a new one) unless `mode` is given; set before any byte is written."""
    try:
        old = path.stat()
        uid, gid, old_mode = old.st_uid, old.st_gid, stat.S_IMODE(old.st_mode)
    except FileNotFoundError:
        uid, gid, old_mode = -1, -1, 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), old_mode if mode is None else mode)
            if uid != -1 and (uid, gid) != (os.geteuid(), os.getegid()):
                os.fchown(out.fileno(), uid, gid)
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def remove_file(path: Path) -> bool:
    """Delete `path` durably; False if it was not there."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    fsync_dir(path.parent)
    return True
