"""sbc.util.atomic: the file is replaced whole, with its mode, and nothing is left over."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from sbc.util import atomic
from sbc.util.atomic import atomic_write


def test_writes_new_file_with_mode(tmp_path: Path) -> None:
    target = tmp_path / "sbc.key"
    atomic_write(target, b"secret", mode=0o600)
    assert target.read_bytes() == b"secret"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_default_mode_is_0644(tmp_path: Path) -> None:
    target = tmp_path / "ca.pem"
    atomic_write(target, b"x")
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_replaces_existing_and_changes_mode(tmp_path: Path) -> None:
    target = tmp_path / "sbc.yaml"
    target.write_bytes(b"old contents that are longer")
    target.chmod(0o666)
    atomic_write(target, b"new", mode=0o640)
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sbc.yaml"]


def test_accepts_str_path(tmp_path: Path) -> None:
    atomic_write(str(tmp_path / "a"), b"1")
    assert (tmp_path / "a").read_bytes() == b"1"


def test_replaces_symlink_not_its_target(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.write_bytes(b"keep")
    link = tmp_path / "link"
    link.symlink_to(real)
    atomic_write(link, b"new")
    assert real.read_bytes() == b"keep"
    assert not link.is_symlink() and link.read_bytes() == b"new"


def test_failure_keeps_old_file_and_leaves_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "sbc.crt"
    target.write_bytes(b"old")

    def broken_fsync(fd: int) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(atomic.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk gone"):
        atomic_write(target, b"new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sbc.crt"]


def test_missing_directory_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        atomic_write(tmp_path / "nope" / "file", b"x")


def test_directory_is_fsynced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[bool] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        synced.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        real_fsync(fd)

    monkeypatch.setattr(atomic.os, "fsync", spy)
    atomic_write(tmp_path / "f", b"x")
    assert synced == [False, True]
