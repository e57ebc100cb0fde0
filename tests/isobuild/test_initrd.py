from __future__ import annotations

from imagebuild.initrd import REQUIRED, missing_modules

LISTING = "\n".join(
    f"usr/lib/modules/6.1.0-56-amd64/kernel/drivers/x/{m}.ko" for m in REQUIRED if m != "ahci"
)


def test_all_present() -> None:
    builtin = "kernel/drivers/ata/ahci.ko\n"
    assert missing_modules(LISTING, builtin) == []


def test_missing_named() -> None:
    assert missing_modules(LISTING, "") == ["ahci"]
    assert missing_modules("", "") == list(REQUIRED)
