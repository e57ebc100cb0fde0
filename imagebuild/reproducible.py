"""Same inputs, same bytes: the build's fixed clock and the clean-up of what a build
leaves behind that differs from run to run.

The conventions are the reproducible-builds project's: SOURCE_DATE_EPOCH is the time of
the last commit, and every tool that stamps a time is given it (mksquashfs, mtools,
mkfs.vfat, pip). diskimage-builder, the package scripts and mkinitramfs it runs get the
time of the last commit that touched the OS layer's inputs (settings.OS_INPUTS), so the
cached layer outlives commits that change only Python sources. pycdlib, which has no
such setting (upstream issue clalancette/pycdlib#113), runs on a pinned clock.
Anything that must differ between two appliances (machine ID, SSH host keys, the web
console certificate, random seeds) is removed here and made at first boot.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time as _time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from .run import die

# Files a build leaves that differ from run to run or between build hosts, and that
# nothing on the appliance needs: logs with times, caches with inode numbers, backups.
VOLATILE = (
    "etc/dib-manifests",  # diskimage-builder's record of the build host's environment
    "var/cache/ldconfig/aux-cache",  # inode numbers and times of the build host
    "var/cache/fontconfig/*",  # directory times; nothing here renders text
    "var/cache/debconf/*-old", "var/lib/dpkg/*-old",
    "var/cache/apt/*.bin", "var/cache/apt/archives/*.deb", "var/lib/apt/lists/*",
    "var/lib/systemd/random-seed", "var/lib/systemd/credential.secret",
    "etc/ssh/ssh_host_*",  # made at first boot (opensbc-ssh-hostkeys.service)
    "root/.bash_history", "root/.cache", "root/.lesshst", "root/.wget-hsts",
    "tmp/*", "var/tmp/*",
)
# Every file under these goes (apt, dpkg, bootstrap and journal logs with build times);
# the folders packages made stay.
LOG_DIRS = ("var/log",)
# A machine ID baked into the image would be every appliance's: systemd makes one at
# first boot when the file says "uninitialized" (debootstrap leaves it so).
MACHINE_ID = "etc/machine-id"


def source_date_epoch(root: Path, env: Mapping[str, str] | None = None,
                      paths: tuple[str, ...] = ()) -> int:
    """SOURCE_DATE_EPOCH from the environment, else the time of the last commit (the
    last one that touched `paths`, when given)."""
    env = os.environ if env is None else env
    given = env.get("SOURCE_DATE_EPOCH", "").strip()
    if given:
        if not given.isdigit():
            raise die(f"SOURCE_DATE_EPOCH={given!r} is not a number of seconds",
                      "unset it to use the last commit's time")
        return int(given)
    try:
        out = subprocess.run(["git", "-C", str(root), "log", "-1", "--format=%ct", "--", *paths],
                             capture_output=True, text=True, check=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise die("cannot read the last commit's time for SOURCE_DATE_EPOCH",
                  "build from a git checkout, or set SOURCE_DATE_EPOCH=<seconds>") from exc
    if not out.strip().isdigit():
        raise die(f"no commit touches {' '.join(paths) or root}",
                  "build from a git checkout, or set SOURCE_DATE_EPOCH=<seconds>")
    return int(out.strip())


def tool_env(epoch: int, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment every build tool runs with: the fixed clock, UTC, the C locale."""
    env = dict(os.environ if base is None else base)
    env.update(SOURCE_DATE_EPOCH=str(epoch), TZ="UTC", LC_ALL="C.UTF-8")
    return env


def normalize(tree: Path) -> list[str]:
    """Removes VOLATILE and the files under LOG_DIRS, and resets a machine ID, in an
    unpacked root filesystem; returns what it changed (relative paths, sorted)."""
    removed = []
    for pattern in VOLATILE:
        for path in sorted(tree.glob(pattern)):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(str(path.relative_to(tree)))
    for rel in LOG_DIRS:
        for path in sorted((tree / rel).rglob("*")):
            if path.is_symlink() or path.is_file():
                path.unlink()
                removed.append(str(path.relative_to(tree)))
    machine_id = tree / MACHINE_ID
    if machine_id.is_file() and machine_id.read_text().strip() not in ("", "uninitialized"):
        machine_id.write_text("uninitialized\n")
        removed.append(f"{MACHINE_ID} (reset)")
    return sorted(removed)


def set_times(folder: Path, epoch: int) -> None:
    """Gives every file and folder under `folder` the time `epoch`: staged inputs (the
    overlay, the built web page) carry the times of the checkout or of the last page
    build, which mksquashfs would keep when they are older than the epoch."""
    for path in [folder, *folder.rglob("*")]:
        os.utime(path, (epoch, epoch), follow_symlinks=False)


class _PinnedTime:
    """Stands in for the `time` module inside pycdlib: now is `epoch`, local is UTC."""

    def __init__(self, epoch: int) -> None:
        self._epoch = float(epoch)

    def time(self) -> float:
        return self._epoch

    def localtime(self, secs: float | None = None) -> _time.struct_time:
        return _time.gmtime(self._epoch if secs is None else secs)

    def __getattr__(self, name: str) -> object:
        return getattr(_time, name)


@contextmanager
def pinned_clock(epoch: int, package: str = "pycdlib") -> Iterator[None]:
    """Runs `package`'s modules on a clock that reads `epoch`, for as long as the block."""
    swapped: list[ModuleType] = []
    pinned = _PinnedTime(epoch)
    for name, module in list(sys.modules.items()):
        if (name == package or name.startswith(package + ".")) and \
                getattr(module, "time", None) is _time:
            module.time = pinned  # type: ignore[attr-defined]
            swapped.append(module)
    try:
        yield
    finally:
        for module in swapped:
            module.time = _time  # type: ignore[attr-defined]
