from __future__ import annotations

from pathlib import Path

import pytest

from imagebuild import bootimg, iso
from imagebuild.run import BuildError, run

from .common import load as conf


def test_iso9660_names_are_unique_8_3() -> None:
    names = iso.NameMap()
    got = [names.name("/BOOT/GRUB/I386_PC", n, False)
           for n in ("search_fs_file.mod", "search_fs_uuid.mod", "search.mod", "part_gpt.mod")]
    assert got == ["SEARCH_F.MOD", "SEARCH_1.MOD", "SEARCH.MOD", "PART_GPT.MOD"]
    assert names.name("", ".disk", True) == "DISK"
    assert names.name("", "live", True) == "LIVE"
    assert names.name("/LIVE", "filesystem.squashfs", False) == "FILESYST.SQU"


def test_grub_menu_boots_installed_system_by_default() -> None:
    cfg = bootimg.grub_cfg(conf())
    assert "search --no-floppy --file --set=installed /etc/opensbc/installed" in cfg
    assert "set default=installed" in cfg
    assert "configfile /boot/grub/grub.cfg" in cfg
    assert "opensbc.mode=upgrade" in cfg and "--hotkey=u" in cfg
    assert "systemd.unit=rescue.target" in cfg
    assert "console=ttyS0,115200n8 console=tty0" in cfg
    assert "serial --unit=0 --speed=115200" in cfg


def test_pad_rounds_to_mib_with_room(tmp_path: Path) -> None:
    f = tmp_path / "x.iso"
    f.write_bytes(b"\1" * (3 * 1024 * 1024 - 100))
    iso.pad(f)
    assert f.stat().st_size == 4 * 1024 * 1024
    f.write_bytes(b"\1" * (4 * 1024 * 1024))
    iso.pad(f)
    assert f.stat().st_size == 5 * 1024 * 1024


def test_failed_command_names_command_line_and_hint() -> None:
    with pytest.raises(BuildError) as err:
        run(["sh", "-c", "echo boom >&2; exit 3"], hint="try harder")
    text = str(err.value)
    assert "exit code 3: sh -c 'echo boom >&2; exit 3'" in text
    assert "boom" in text and "hint: try harder" in text
