from __future__ import annotations

import io
from pathlib import Path

import pytest

from installer import system
from installer.console import Console
from installer.disks import InstallError


def test_unreadable_disk_is_an_io_error_before_any_write(tmp_path: Path) -> None:
    with pytest.raises(InstallError) as err:
        system.read_probe(str(tmp_path / "missing-disk"), 8 << 30)
    assert "cannot be read (I/O error" in str(err.value)
    assert "Nothing was written" in str(err.value)


def test_read_probe_reads_both_ends(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    disk.write_bytes(b"\0" * (3 << 20))
    system.read_probe(str(disk), 3 << 20)


def test_failed_command_names_step_and_command() -> None:
    with pytest.raises(InstallError) as err:
        system.run(["sh", "-c", "echo no space >&2; exit 4"], what="formatting root")
    assert "formatting root failed (exit code 4): sh -c" in str(err.value)
    assert "no space" in str(err.value)


def test_console_writes_everywhere_it_can(tmp_path: Path) -> None:
    tty = tmp_path / "tty"
    tty.write_text("")
    out = io.StringIO()
    console = Console(ttys=[str(tty), str(tmp_path / "no-such-dir" / "ttyS0")], stream=out)
    console.banner("OpenSBC INSTALL FAILED", "The disk is too small.")
    assert "INSTALL FAILED" in out.getvalue()
    assert b"  The disk is too small.\r\n" in tty.read_bytes()
