"""The ISO `make iso` built: within 250 MB, and the same bytes when built again.

The second build runs `build.py --cached-rootfs`: from the root filesystem that
diskimage-builder made for this commit (build/cache/rootfs-<key>.tar, kept by the first
build), it unpacks, cleans, makes the squashfs, the boot images and the ISO again. It
covers every step after the package download, without the network. Two full builds,
diskimage-builder included, are compared by `python -m benchmarks reproducible`
(docs/benchmarks.md, "Same ISO from the same inputs").
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, WORK

pytestmark = pytest.mark.boot

LIMIT = 250 * 1000 * 1000  # bytes; what admins download over office links


def test_iso_is_within_250_mb(iso: Path) -> None:
    size = iso.stat().st_size
    assert size <= LIMIT, (
        f"{iso.name} is {size / 1e6:.1f} MB, over 250 MB: see what the image leaves out "
        "(appliance/rootfs/elements/opensbc/left-out.yaml) and the manifest next to the ISO")


def test_second_build_from_the_cached_rootfs_is_the_same_iso(iso: Path) -> None:
    expected = iso.with_name(iso.name + ".sha256").read_text().split()[0]
    dist = WORK / "rebuild-dist"
    env = dict(os.environ, OPENSBC_DIST_DIR=str(dist))
    result = subprocess.run([sys.executable, "build.py", "--cached-rootfs"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=1200, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    printed = result.stdout.strip().splitlines()[-1]
    rebuilt = (dist / f"{iso.name}.sha256").read_text().split()[0]
    assert printed.split()[0] == rebuilt, "build.py did not print the ISO's sha256 last"
    assert rebuilt == expected, (
        f"the rebuild differs: {rebuilt} != {expected}; compare build/iso with a copy from "
        "the first build (diffoscope or cmp on live/filesystem.squashfs, boot/grub/efi.img)")
