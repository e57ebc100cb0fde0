from __future__ import annotations

import pytest

from installer.disks import GiB, InstallError
from installer.plan import BIOS_BOOT, ESP, make_plan


def test_plan_for_16_gib_disk() -> None:
    plan = make_plan(16 * GiB)
    labels = [p.label for p in plan.partitions]
    assert labels == ["opensbc-bios", "opensbc-esp", "opensbc-root", "opensbc-data"]
    bios, esp, root, data = plan.partitions
    assert (bios.start_mib, bios.size_mib, bios.type_guid) == (1, 1, BIOS_BOOT)
    assert (esp.start_mib, esp.size_mib, esp.type_guid) == (2, 256, ESP)
    assert (root.start_mib, root.size_mib) == (258, 4096)
    assert (data.start_mib, data.size_mib) == (4354, None)


def test_sfdisk_script_is_exact() -> None:
    assert make_plan(8 * GiB).sfdisk_script() == (
        "label: gpt\nunit: sectors\nfirst-lba: 2048\n\n"
        'start=2048, size=2048, type=21686148-6449-6E6F-744E-656564454649, name="opensbc-bios"\n'
        'start=4096, size=524288, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="opensbc-esp"\n'
        "start=528384, size=8388608, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, "
        'name="opensbc-root"\n'
        'start=8916992, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="opensbc-data"\n'
    )


def test_minimum_disk_leaves_room_for_data() -> None:
    plan = make_plan(8 * GiB)
    data = plan.by_label("opensbc-data")
    assert 8 * 1024 - 1 - data.start_mib >= 3 * 1024


def test_plan_refuses_a_disk_without_room_for_data() -> None:
    with pytest.raises(InstallError, match="too small"):
        make_plan(4 * GiB)
