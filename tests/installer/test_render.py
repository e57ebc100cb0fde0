from __future__ import annotations

from installer.main import parse_cmdline
from installer.render import FsUuids, fstab, grub_default


def test_fstab_by_uuid() -> None:
    text = fstab(FsUuids(root="r-1", esp="E-2", data="d-3"))
    rows = [line.split() for line in text.splitlines() if line and not line.startswith("#")]
    assert rows == [
        ["UUID=r-1", "/", "ext4", "errors=remount-ro", "0", "1"],
        ["UUID=E-2", "/boot/efi", "vfat", "umask=0077,nofail", "0", "2"],
        ["UUID=d-3", "/data", "ext4", "defaults,nodev,nosuid", "0", "2"],
    ]


def test_grub_default_has_both_consoles() -> None:
    text = grub_default("OpenSBC", timeout=2)
    assert 'GRUB_CMDLINE_LINUX="console=ttyS0,115200n8 console=tty0"' in text
    assert 'GRUB_TERMINAL="console serial"' in text
    assert 'GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"' in text
    assert "GRUB_TIMEOUT=2" in text
    assert "GRUB_DISABLE_OS_PROBER=true" in text


def test_cmdline_options() -> None:
    line = "BOOT_IMAGE=/live/vmlinuz boot=live opensbc.mode=upgrade opensbc.force quiet"
    assert parse_cmdline(line) == {"mode": "upgrade", "force": "1"}
    assert parse_cmdline("boot=live") == {}
