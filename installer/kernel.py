"""The kernel and initramfs of the installed system, copied from the ISO.

The ISO carries them once, in live/ beside the squashfs (the squashfs leaves /boot's
copies out to keep the ISO small), so after unpacking the squashfs the installer puts
them back under the names Debian's linux-image package gives them; update-grub and
the next kernel upgrade then find what they expect.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .disks import InstallError


def kernel_version(target: Path) -> str:
    """The one kernel version whose modules the unpacked system has."""
    modules = target / "usr/lib/modules"
    versions = sorted(p.name for p in modules.iterdir() if p.is_dir()) if modules.is_dir() else []
    if len(versions) != 1:
        raise InstallError(f"expected the modules of one kernel in {modules}, found "
                           f"{len(versions)}: the ISO is damaged; download it again")
    return versions[0]


def place(live: Path, target: Path) -> list[Path]:
    """Copies live/vmlinuz and live/initrd.img to the target's /boot; returns the paths."""
    version = kernel_version(target)
    boot = target / "boot"
    boot.mkdir(exist_ok=True)
    placed = []
    for source in ("vmlinuz", "initrd.img"):
        name = f"{source}-{version}"
        src = live / source
        if not src.is_file():
            raise InstallError(f"{src} is missing: the ISO is damaged; download it again")
        dst = boot / name
        shutil.copyfile(src, dst)
        dst.chmod(0o644)
        placed.append(dst)
    return placed
