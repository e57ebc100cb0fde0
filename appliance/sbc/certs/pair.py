"""Install the SBC's key and certificate as one step: both or neither.

Written one after the other, a kill in between left a new key beside the old
certificate (13 of 50 tries) and the SBC would not start. So each pair goes whole into a
new folder, and one rename of a symbolic link makes it the current one:

    /data/sbc.crt -> tls/current/sbc.crt      (links made once; `sbc.tls.cert` and
    /data/sbc.key -> tls/current/sbc.key       `sbc.tls.key` keep their paths)
    /data/tls/current -> pair-<stamp>           swapped by rename(2), atomic
    /data/tls/pair-<stamp>/sbc.crt, sbc.key    complete before the swap

A kill before the rename leaves the old pair in use and a folder nobody points to, which
the next install removes (with util.atomic's temporary files for the two names).
Regular files from before (or from a backup restore) are first moved into a pair of
their own, without changing what a reader sees at any moment.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from pathlib import Path

from ..util.atomic import fsync_dir
from .paths import CertPaths

PAIRS = "tls"
CURRENT = "current"
KEY_MODE = 0o600
CERT_MODE = 0o644


def install_pair(paths: CertPaths, cert_pem: bytes, key_pem: bytes) -> Path:
    """Make (cert_pem, key_pem) the installed pair at once; returns its folder."""
    pairs = paths.data_dir / PAIRS
    pairs.mkdir(mode=0o755, parents=True, exist_ok=True)
    remove_leftovers(paths)
    _adopt(paths)
    folder = _write_pair(pairs, {"sbc.crt": cert_pem, "sbc.key": key_pem})
    _point(pairs, folder.name)
    remove_leftovers(paths)
    return folder


def _write_pair(pairs: Path, files: dict[str, bytes]) -> Path:
    """A complete, flushed pair folder (named `.new-*` until it is whole)."""
    work = Path(tempfile.mkdtemp(prefix=".new-", dir=pairs))
    try:
        os.chmod(work, 0o755)
        for name, data in files.items():
            _write(work / name, data, KEY_MODE if name.endswith(".key") else CERT_MODE)
        fsync_dir(work)
        final = pairs / f"pair-{time.time_ns()}"
        os.rename(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    fsync_dir(pairs)
    return final


def _write(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as file:
        os.fchmod(file.fileno(), mode)  # whatever the umask
        file.write(data)
        file.flush()
        os.fsync(file.fileno())


def _point(pairs: Path, name: str) -> None:
    """`tls/current` -> name, by renaming a new link over the old one."""
    link = pairs / f".{CURRENT}.{os.getpid()}.{time.time_ns()}"
    os.symlink(name, link)
    try:
        os.replace(link, pairs / CURRENT)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(link)
        raise
    fsync_dir(pairs)


def _adopt(paths: CertPaths) -> None:
    """Turn sbc.crt/sbc.key into links to tls/current, readers seeing the same bytes
    throughout: first a pair folder with copies of the files, then one link at a time."""
    pairs = paths.data_dir / PAIRS
    wanted = {paths.cert: f"{PAIRS}/{CURRENT}/sbc.crt", paths.key: f"{PAIRS}/{CURRENT}/sbc.key"}
    if all(p.is_symlink() and os.readlink(p) == t for p, t in wanted.items()):
        return
    if not (pairs / CURRENT).is_symlink() or not _same(paths, pairs / CURRENT):
        old = {p.name: p.read_bytes() for p in (paths.cert, paths.key) if p.exists()}
        _point(pairs, _write_pair(pairs, old).name)  # a missing file stays missing
    for path, target in wanted.items():
        if path.is_symlink() and os.readlink(path) == target:
            continue
        link = path.with_name(f".{path.name}.link.{os.getpid()}")
        with contextlib.suppress(FileNotFoundError):
            os.unlink(link)
        os.symlink(target, link)
        os.replace(link, path)
    fsync_dir(paths.data_dir)


def _same(paths: CertPaths, current: Path) -> bool:
    """Whether the installed files hold what `current` holds (an earlier adoption)."""
    try:
        return all(
            p.exists() == (current / p.name).exists()
            and (not p.exists() or p.read_bytes() == (current / p.name).read_bytes())
            for p in (paths.cert, paths.key))
    except OSError:
        return False


def remove_leftovers(paths: CertPaths) -> list[Path]:
    """Remove what killed installs left: pair folders `current` does not point to, the
    `.new-*` folders and link temporaries, util.atomic's temporaries of sbc.crt/sbc.key."""
    pairs = paths.data_dir / PAIRS
    removed: list[Path] = []
    current = os.readlink(pairs / CURRENT) if (pairs / CURRENT).is_symlink() else None
    if pairs.is_dir():
        for entry in pairs.iterdir():
            if entry.name in (CURRENT, current):
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    entry.unlink()
            removed.append(entry)
    for name in (paths.cert.name, paths.key.name):
        for temp in [*paths.data_dir.glob(f".{name}.*.tmp"),
                     *paths.data_dir.glob(f".{name}.link.*")]:
            with contextlib.suppress(OSError):
                temp.unlink()
                removed.append(temp)
    return removed


def same_pair(cert: str | os.PathLike[str], key: str | os.PathLike[str]) -> tuple[str, str]:
    """The two files to load, both from one installed pair.

    The links sbc.crt and sbc.key each go through `tls/current`; resolved one after the
    other, an install in between would give the new certificate with the old key. So the
    certificate's link is resolved, and the key is taken from the same pair folder: an
    install in between at worst removes that folder (the load then fails cleanly and the
    running TLS context stays), never mixes two pairs. Files outside pair folders are
    returned as given.
    """
    real_cert = Path(os.path.realpath(cert))
    real_key = Path(os.path.realpath(key))
    pairs = real_cert.parent.parent
    if pairs.name == PAIRS and real_key.parent.parent == pairs:
        return str(real_cert), str(real_cert.parent / real_key.name)
    return str(cert), str(key)
