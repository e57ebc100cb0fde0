"""The installed /boot gets the ISO's kernel and initramfs under Debian's names."""

from __future__ import annotations

from pathlib import Path

import pytest

from installer import kernel
from installer.disks import InstallError


def medium(tmp_path: Path) -> Path:
    live = tmp_path / "medium" / "live"
    live.mkdir(parents=True)
    (live / "vmlinuz").write_bytes(b"signed kernel")
    (live / "initrd.img").write_bytes(b"initramfs")
    return live


def test_kernel_and_initramfs_named_after_the_modules(tmp_path: Path) -> None:
    live, target = medium(tmp_path), tmp_path / "target"
    (target / "usr/lib/modules/6.1.0-57-amd64").mkdir(parents=True)
    placed = kernel.place(live, target)
    assert [p.name for p in placed] == ["vmlinuz-6.1.0-57-amd64", "initrd.img-6.1.0-57-amd64"]
    assert (target / "boot/vmlinuz-6.1.0-57-amd64").read_bytes() == b"signed kernel"
    assert (target / "boot/initrd.img-6.1.0-57-amd64").read_bytes() == b"initramfs"
    assert (target / "boot/vmlinuz-6.1.0-57-amd64").stat().st_mode & 0o777 == 0o644


def test_two_kernels_or_none_is_a_damaged_iso(tmp_path: Path) -> None:
    live, target = medium(tmp_path), tmp_path / "target"
    with pytest.raises(InstallError, match="found 0"):
        kernel.place(live, target)
    (target / "usr/lib/modules/6.1.0-1-amd64").mkdir(parents=True)
    (target / "usr/lib/modules/6.1.0-2-amd64").mkdir(parents=True)
    with pytest.raises(InstallError, match="found 2: the ISO is damaged"):
        kernel.place(live, target)


def test_missing_initramfs_is_named(tmp_path: Path) -> None:
    live, target = medium(tmp_path), tmp_path / "target"
    (target / "usr/lib/modules/6.1.0-57-amd64").mkdir(parents=True)
    (live / "initrd.img").unlink()
    with pytest.raises(InstallError, match="initrd.img is missing"):
        kernel.place(live, target)
