"""Same inputs, same bytes: each image part is built twice, with the wall clock or the
file times changed in between, and compared; and what a build leaves behind is removed."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest

from imagebuild import bootimg, iso, reproducible, settings
from imagebuild.run import BuildError

from .common import EPOCH, load


def conf(tmp_path: Path, epoch: int = EPOCH) -> settings.Settings:
    return replace(load(epoch), build_dir=tmp_path / "build", dist_dir=tmp_path / "dist")


def test_epoch_from_the_environment_or_the_last_commit() -> None:
    assert reproducible.source_date_epoch(Path("/nonexistent"), {"SOURCE_DATE_EPOCH": "42"}) == 42
    commit = subprocess.run(["git", "-C", str(settings.ROOT), "log", "-1", "--format=%ct"],
                            capture_output=True, text=True, check=True).stdout.strip()
    assert reproducible.source_date_epoch(settings.ROOT, {}) == int(commit)
    element = subprocess.run(["git", "-C", str(settings.ROOT), "log", "-1", "--format=%ct", "--",
                              *settings.OS_INPUTS], capture_output=True, text=True,
                             check=True).stdout.strip()
    assert reproducible.source_date_epoch(settings.ROOT, {}, settings.OS_INPUTS) == int(element)
    with pytest.raises(BuildError, match="no commit touches nothing/here"):
        reproducible.source_date_epoch(settings.ROOT, {}, ("nothing/here",))


def test_bad_epoch_is_named() -> None:
    with pytest.raises(BuildError, match="SOURCE_DATE_EPOCH='yesterday' is not a number"):
        reproducible.source_date_epoch(settings.ROOT, {"SOURCE_DATE_EPOCH": "yesterday"})


def test_no_git_and_no_epoch_says_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(BuildError) as err:
        reproducible.source_date_epoch(tmp_path, {})
    assert "set SOURCE_DATE_EPOCH" in str(err.value)


def test_tools_run_on_the_fixed_clock_in_utc() -> None:
    env = reproducible.tool_env(EPOCH, {"PATH": "/bin", "TZ": "Europe/Berlin"})
    assert env == {"PATH": "/bin", "SOURCE_DATE_EPOCH": str(EPOCH), "TZ": "UTC",
                   "LC_ALL": "C.UTF-8"}


def test_normalize_removes_what_differs_between_builds(tmp_path: Path) -> None:
    tree = tmp_path / "rootfs"
    for rel, text in {
        "etc/machine-id": "0123456789abcdef0123456789abcdef\n",
        "etc/dib-manifests/dib_environment": "TMPDIR=/tmp/clone1\n",
        "etc/ssh/ssh_host_ed25519_key": "secret",
        "etc/ssh/sshd_config": "kept",
        "var/log/dpkg.log": "2026-12-06 12:00:00 install ...",
        "var/log/apt/history.log": "Start-Date: ...",
        "var/cache/ldconfig/aux-cache": "inodes",
        "var/cache/fontconfig/x-le64.cache-8": "times",
        "var/lib/dpkg/status-old": "old",
        "var/lib/dpkg/status": "kept",
        "var/lib/systemd/random-seed": "seed",
        "tmp/build-leftover": "x",
    }.items():
        path = tree / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    removed = reproducible.normalize(tree)
    assert "etc/dib-manifests" in removed and "var/log/dpkg.log" in removed
    assert "etc/machine-id (reset)" in removed
    assert (tree / "etc/machine-id").read_text() == "uninitialized\n"
    left = sorted(str(p.relative_to(tree)) for p in tree.rglob("*") if p.is_file())
    assert left == ["etc/machine-id", "etc/ssh/sshd_config", "var/lib/dpkg/status"]
    # Log folders that packages made stay, empty.
    assert (tree / "var/log/apt").is_dir()
    assert reproducible.normalize(tree) == []


def _iso_tree(root: Path) -> Path:
    grub = root / "boot" / "grub"
    grub.mkdir(parents=True)
    (grub / "bios.img").write_bytes(b"\xeb" * 4096)
    (grub / "efi.img").write_bytes(b"\0" * 8192)
    (grub / "grub.cfg").write_text("menuentry x {}\n")
    (root / "live").mkdir()
    (root / "live" / "filesystem.squashfs").write_bytes(os.urandom(1) * 5000)
    (root / ".disk").mkdir()
    (root / ".disk" / "info").write_text("OpenSBC test\n")
    return root


def test_iso_is_the_same_at_another_time_and_time_zone(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    c = conf(tmp_path)
    tree = _iso_tree(tmp_path / "iso")
    first = iso.build(c, tree, tmp_path / "a.iso").read_bytes()
    monkeypatch.setattr(time, "time", lambda: EPOCH + 86_400 * 400 + 0.5)
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        second = iso.build(c, tree, tmp_path / "b.iso").read_bytes()
        # Without the pinned clock pycdlib stamps the wall clock: the test would see it.
        unpinned = iso._build(c, tree, tmp_path / "c.iso").read_bytes()
    finally:
        monkeypatch.undo()
        time.tzset()
    assert first == second
    assert unpinned != first


def test_efi_image_dates_come_from_the_epoch(tmp_path: Path) -> None:
    tree = tmp_path / "rootfs"
    for rel in bootimg.EFI_FILES:
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_bytes(rel.encode() * 100)
    grub = tmp_path / "grub"
    grub.mkdir()
    first = bootimg.efi_image(conf(tmp_path), tree, grub).read_bytes()
    for rel in bootimg.EFI_FILES:  # new file times change nothing
        os.utime(tree / rel, (EPOCH + 5000, EPOCH + 5000))
    again = bootimg.efi_image(conf(tmp_path), tree, grub).read_bytes()
    later = bootimg.efi_image(conf(tmp_path, EPOCH + 86_400), tree, grub).read_bytes()
    assert first == again
    assert later != first, "the FAT image's dates do not follow SOURCE_DATE_EPOCH"


def test_squashfs_clamps_times_to_the_epoch(tmp_path: Path) -> None:
    from imagebuild import squash

    tree = tmp_path / "rootfs"
    (tree / "boot").mkdir(parents=True)
    (tree / "etc").mkdir()
    (tree / "etc" / "hostname").write_text("opensbc\n")
    (tree / "boot" / "vmlinuz-6.1.0-1-amd64").write_bytes(b"k" * 1000)
    (tree / "boot" / "initrd.img-6.1.0-1-amd64").write_bytes(b"i" * 1000)
    c = conf(tmp_path)
    first = squash.squashfs(c, tree, tmp_path / "one.squashfs")
    os.utime(tree / "etc" / "hostname", (EPOCH + 999, EPOCH + 999))
    os.utime(tree / "etc", (EPOCH + 999, EPOCH + 999))
    second = squash.squashfs(c, tree, tmp_path / "two.squashfs")
    assert first.read_bytes() == second.read_bytes()
    listing = subprocess.run(["unsquashfs", "-l", str(first)], capture_output=True,
                             text=True, check=True).stdout
    assert "hostname" in listing and "vmlinuz" not in listing and "initrd" not in listing


def test_staged_inputs_take_the_epoch_as_their_time(tmp_path: Path) -> None:
    stage = tmp_path / "stage"
    (stage / "cockpit" / "opensbc").mkdir(parents=True)
    page = stage / "cockpit" / "opensbc" / "index.js"
    page.write_text("x")
    os.utime(page, (1_000_000_000, 1_000_000_000))  # built long before the last commit
    (stage / "link").symlink_to("cockpit")
    reproducible.set_times(stage, EPOCH)
    assert {int(p.lstat().st_mtime) for p in [stage, *stage.rglob("*")]} == {EPOCH}
