"""Crash-safe file replacement.

The appliance is switched off by pulling the Hyper-V plug; a config or certificate file
that is half written at that moment must never be what the next boot reads. So every write
goes to a temporary file in the same directory (same file system, so the rename is atomic),
is flushed to disk, renamed over the target, and the directory entry itself is flushed.
Readers see the old file or the new one, never a mix.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def atomic_write(
    path: str | os.PathLike[str], data: bytes, mode: int = 0o644,
    owner: tuple[int, int] | None = None, *, durable: bool = True,
) -> None:
    """Replace `path` with `data`, atomically and durably, with permissions `mode`
    (and `owner` as (uid, gid), e.g. root:shadow for /etc/shadow). `durable=False`
    skips the two fsyncs: for files that need not survive a crash (the status in /run,
    rewritten every few seconds), where they only cost time.

    Mode and owner are set on the temporary file before any byte is written, so a secret
    (a private key with 0o600) is never readable by others, not even for a moment.
    """
    target = Path(path)
    directory = target.parent
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as tmp:
            os.fchmod(tmp.fileno(), mode)
            if owner is not None and owner != (os.geteuid(), os.getegid()):
                os.fchown(tmp.fileno(), *owner)
            tmp.write(data)
            tmp.flush()
            if durable:
                os.fsync(tmp.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    if durable:
        fsync_dir(directory)


def fsync_dir(directory: str | os.PathLike[str]) -> None:
    """Flush a directory entry (a rename or unlink) to disk."""
    dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
