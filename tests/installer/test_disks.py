"""Disk choice, fed with udev properties recorded on QEMU and modelled on Hyper-V."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from installer.disks import (
    Disk,
    GiB,
    InstallError,
    choose_install_target,
    choose_upgrade_target,
    partition_node,
)
from installer.system import dump_disks, load_disks, medium_disks

DATA = Path(__file__).resolve().parents[1] / "data" / "disks"


def disks(name: str) -> dict[str, Disk]:
    return {d.node: d for d in load_disks((DATA / name).read_text())}


QEMU = disks("qemu-gen1.json")
HYPERV = disks("hyperv-gen2.json")


def blank(disk: Disk) -> Disk:
    drop = ("ID_PART_TABLE", "ID_FS")
    props = {k: v for k, v in disk.properties.items() if not k.startswith(drop)}
    return replace(disk, properties=props, partitions=())


def resized(disk: Disk, gib: float) -> Disk:
    return replace(disk, attributes={**disk.attributes, "size": str(int(gib * GiB) // 512)})


def test_recorded_qemu_kinds() -> None:
    assert QEMU["/dev/sda"].properties["ID_BUS"] == "ata"  # IDE, as Hyper-V Gen 1
    assert QEMU["/dev/sda"].holds_appliance and not QEMU["/dev/sda"].is_empty
    assert QEMU["/dev/sdb"].properties["ID_BUS"] == "scsi" and QEMU["/dev/sdb"].is_empty
    assert QEMU["/dev/vda"].is_empty and QEMU["/dev/vda"].size == 16 * GiB
    assert QEMU["/dev/sr0"].is_cdrom


def test_largest_empty_disk_wins_and_cd_and_loops_are_skipped() -> None:
    choice = choose_install_target(QEMU.values(), medium=["/dev/sr0"])
    assert choice.disk.node == "/dev/vda"
    assert choice.reason == "the largest of 2 empty disks"
    assert choice.disk.describe() == "/dev/vda (16.0 GiB, disk, virtio)"


def test_the_install_medium_is_never_chosen() -> None:
    choice = choose_install_target(QEMU.values(), medium=["/dev/vda"])
    assert choice.disk.node == "/dev/sdb"
    assert choice.reason == "the only empty disk"


@pytest.mark.parametrize("node", ["/dev/sda", "/dev/sdb", "/dev/vda"])
def test_each_recorded_bus_alone_is_a_target(node: str) -> None:
    only = [blank(QEMU[node]), QEMU["/dev/sr0"], QEMU["/dev/loop0"]]
    assert choose_install_target(only, medium=["/dev/sr0"]).disk.node == node


def test_hyperv_storvsc_disk() -> None:
    choice = choose_install_target(HYPERV.values(), medium=["/dev/sr0"])
    assert choice.disk.node == "/dev/sda"
    assert choice.disk.describe() == "/dev/sda (16.0 GiB, Virtual Disk, scsi)"


def test_too_small_disk_names_both_sizes() -> None:
    small = [resized(blank(QEMU["/dev/vda"]), 2), QEMU["/dev/sr0"]]
    with pytest.raises(InstallError) as err:
        choose_install_target(small)
    assert "too small: it has 2.0 GiB, OpenSBC needs at least 8.0 GiB" in str(err.value)
    assert "Nothing was written" in str(err.value)


def test_exactly_8_gib_is_enough() -> None:
    assert choose_install_target([resized(blank(QEMU["/dev/vda"]), 8)]).disk.node == "/dev/vda"


def test_no_disk_at_all() -> None:
    with pytest.raises(InstallError, match="No disk found"):
        choose_install_target([QEMU["/dev/sr0"], QEMU["/dev/loop0"]])


def test_a_disk_with_data_is_not_erased_unless_asked() -> None:
    with pytest.raises(InstallError, match="No empty disk: /dev/sda already hold"):
        choose_install_target([QEMU["/dev/sda"], QEMU["/dev/sr0"]])
    forced = choose_install_target([QEMU["/dev/sda"], QEMU["/dev/sr0"]], force=True)
    assert forced.disk.node == "/dev/sda"


def test_read_only_and_removable_disks_are_skipped() -> None:
    ro = replace(blank(QEMU["/dev/vda"]), attributes={**QEMU["/dev/vda"].attributes, "ro": "1"})
    usb = replace(QEMU["/dev/sdb"], attributes={**QEMU["/dev/sdb"].attributes, "removable": "1"})
    with pytest.raises(InstallError, match="No disk found"):
        choose_install_target([ro, usb])


def test_upgrade_finds_the_installed_disk() -> None:
    assert choose_upgrade_target(QEMU.values(), medium=["/dev/sr0"]).disk.node == "/dev/sda"
    with pytest.raises(InstallError, match="No installed OpenSBC found"):
        choose_upgrade_target(HYPERV.values())


def test_dump_and_load_round_trip() -> None:
    again = load_disks(dump_disks(list(QEMU.values())))
    assert [d.node for d in again] == list(QEMU)


def test_medium_from_mounts() -> None:
    mounts = "/dev/sr0 /run/live/medium iso9660 ro,noatime 0 0\nproc /proc proc rw 0 0\n"
    assert medium_disks(mounts) == {"/dev/sr0"}


def test_partition_nodes() -> None:
    assert partition_node("/dev/sda", 3) == "/dev/sda3"
    assert partition_node("/dev/vda", 1) == "/dev/vda1"
    assert partition_node("/dev/nvme0n1", 4) == "/dev/nvme0n1p4"
