"""Step 2: the live payload: the root filesystem as squashfs, kernel and initrd beside it."""

from __future__ import annotations

import shutil
from pathlib import Path

from . import initrd as initrd_check
from .run import die, run
from .settings import Settings

COMPRESSION_ARGS = {
    # xz with the x86 BCJ filter: the smallest ISO (about 20 % smaller), ~2.5 min here.
    "xz": ["-comp", "xz", "-Xbcj", "x86", "-b", "1M"],
    # zstd (the default): a few seconds. 1 MiB blocks (like xz's) save ~20 MB over the
    # 128 KiB default at no cost in time; higher levels gain little (19: -20 MB, 80 s).
    "zstd": ["-comp", "zstd", "-Xcompression-level", "9", "-b", "1M"],
}


def kernel_files(tree: Path) -> tuple[Path, Path]:
    """The one kernel and its initrd in the rootfs's /boot."""
    kernels = sorted((tree / "boot").glob("vmlinuz-*"))
    if len(kernels) != 1:
        raise die(f"expected one kernel in {tree / 'boot'}, found {len(kernels)}",
                  "the element must install exactly one linux-image")
    version = kernels[0].name.removeprefix("vmlinuz-")
    initrd = tree / "boot" / f"initrd.img-{version}"
    if not initrd.exists():
        raise die(f"no initrd for kernel {version}", "is initramfs-tools in the image?")
    return kernels[0], initrd


# Pseudo filesystems are mounted at boot; their contents never belong in the image. The
# kernel and initramfs are on the ISO once, beside the squashfs, and the installer copies
# them into the installed /boot (installer/kernel.py): inside the squashfs they would be
# 24 MB of already compressed data a second time.
EXCLUDED = ("proc/*", "sys/*", "dev/*", "run/*", "tmp/*", "boot/vmlinuz-*", "boot/initrd.img-*")


def squashfs(settings: Settings, tree: Path, out: Path) -> Path:
    """The root filesystem as squashfs. SOURCE_DATE_EPOCH (in tool_env) sets its creation
    time and clamps every later file time to it; mksquashfs sorts directories itself."""
    out.unlink(missing_ok=True)
    run(
        ["mksquashfs", tree, out, "-noappend", "-no-progress", "-wildcards",
         *COMPRESSION_ARGS[settings.compression], "-e", *EXCLUDED],
        env=settings.tool_env(), hint="mksquashfs comes from the squashfs-tools package",
    )
    return out


def build(settings: Settings, tree: Path, iso_tree: Path) -> Path:
    live = iso_tree / "live"
    live.mkdir(parents=True, exist_ok=True)
    out = squashfs(settings, tree, live / "filesystem.squashfs")
    vmlinuz, initrd = kernel_files(tree)
    initrd_check.check(tree, initrd, vmlinuz.name.removeprefix("vmlinuz-"))
    shutil.copy2(vmlinuz, live / "vmlinuz")
    shutil.copy2(initrd, live / "initrd.img")
    return out
