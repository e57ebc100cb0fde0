"""Which disk to install to, decided from udev properties alone.

The decision is a pure function over `Disk` records so it can be tested with udev
properties recorded on QEMU (virtio, virtio-scsi, IDE) and Hyper-V (storvsc) disks.
Names are never trusted (sda/vda/nvme0n1 vary by controller and can swap between
boots on Hyper-V); properties are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

GiB = 1024**3
MIN_DISK_BYTES = 8 * GiB
ROOT_LABEL = "opensbc-root"
DATA_LABEL = "opensbc-data"
# Device names that are never install targets, whatever udev says about them.
VIRTUAL_PREFIXES = ("loop", "ram", "zram", "sr", "fd", "md", "dm-", "nbd")


class InstallError(Exception):
    """A plain message for the admin; the installer shows it and stops."""


@dataclass(frozen=True)
class Disk:
    """A whole disk as udev describes it (properties) plus its sysfs attributes."""

    properties: Mapping[str, str]
    attributes: Mapping[str, str]
    partitions: Sequence[Mapping[str, str]] = field(default_factory=tuple)

    @property
    def node(self) -> str:
        return self.properties.get("DEVNAME", "?")

    @property
    def name(self) -> str:
        return self.node.rsplit("/", 1)[-1]

    @property
    def size(self) -> int:
        # sysfs `size` counts 512-byte sectors whatever the logical block size.
        return int(self.attributes.get("size", "0")) * 512

    @property
    def removable(self) -> bool:
        return self.attributes.get("removable", "0") == "1"

    @property
    def read_only(self) -> bool:
        return self.attributes.get("ro", "0") == "1"

    @property
    def is_cdrom(self) -> bool:
        p = self.properties
        return p.get("ID_CDROM") == "1" or p.get("ID_TYPE") == "cd"

    @property
    def is_empty(self) -> bool:
        """No partition table, no filesystem or RAID signature, no partitions."""
        p = self.properties
        return not (p.get("ID_PART_TABLE_TYPE") or p.get("ID_FS_TYPE") or self.partitions)

    @property
    def partition_labels(self) -> set[str]:
        return {part.get("ID_PART_ENTRY_NAME", "") for part in self.partitions}

    @property
    def holds_appliance(self) -> bool:
        return {ROOT_LABEL, DATA_LABEL} <= self.partition_labels

    def describe(self) -> str:
        model = self.properties.get("ID_MODEL", "").replace("_", " ") or "disk"
        bus = self.properties.get("ID_BUS") or ("virtio" if self.name.startswith("vd") else "")
        return f"{self.node} ({gib(self.size)}, {model}{', ' + bus if bus else ''})"


@dataclass(frozen=True)
class Choice:
    disk: Disk
    reason: str


def gib(size: int) -> str:
    return f"{size / GiB:.1f} GiB"


def is_candidate(disk: Disk, medium: Iterable[str]) -> bool:
    """A whole, writable, fixed disk that is not the install medium."""
    return (
        disk.properties.get("DEVTYPE", "disk") == "disk"
        and not disk.name.startswith(VIRTUAL_PREFIXES)
        and not disk.is_cdrom
        and not disk.removable
        and not disk.read_only
        and disk.size > 0
        and disk.node not in set(medium)
    )


def choose_install_target(
    disks: Iterable[Disk], medium: Iterable[str] = (), *, force: bool = False,
    min_bytes: int = MIN_DISK_BYTES,
) -> Choice:
    """The largest empty disk of at least `min_bytes` (any disk with force=True)."""
    medium = list(medium)
    candidates = [d for d in disks if is_candidate(d, medium)]
    if not candidates:
        raise InstallError(
            "No disk found to install to. Attach a virtual hard disk of at least "
            f"{gib(min_bytes)} to this VM and start it again."
        )
    big = [d for d in candidates if d.size >= min_bytes]
    if not big:
        largest = max(candidates, key=lambda d: d.size)
        raise InstallError(
            f"The disk {largest.node} is too small: it has {gib(largest.size)}, "
            f"OpenSBC needs at least {gib(min_bytes)}. Nothing was written. "
            "Give the VM a larger virtual disk and start it again."
        )
    empty = [d for d in big if d.is_empty]
    if force:
        pick = _largest(big)
        return Choice(pick, "the largest disk (reinstall requested: its contents are erased)")
    if not empty:
        busy = ", ".join(d.node for d in big)
        raise InstallError(
            f"No empty disk: {busy} already hold data, and the installer never erases "
            "data on its own. Choose 'Upgrade' in the boot menu to update an installed "
            "OpenSBC, or 'Reinstall, erasing the disk' to start from scratch. "
            "Nothing was written."
        )
    pick = _largest(empty)
    reason = (
        "the only empty disk" if len(empty) == 1 else f"the largest of {len(empty)} empty disks"
    )
    return Choice(pick, reason)


def choose_upgrade_target(disks: Iterable[Disk], medium: Iterable[str] = ()) -> Choice:
    """The one disk that holds an installed OpenSBC (by its partition labels)."""
    found = [d for d in disks if is_candidate(d, medium) and d.holds_appliance]
    if not found:
        raise InstallError(
            "No installed OpenSBC found to upgrade (no disk has the partitions "
            f"'{ROOT_LABEL}' and '{DATA_LABEL}'). Nothing was written."
        )
    if len(found) > 1:
        raise InstallError(
            "More than one disk holds an OpenSBC installation: "
            + ", ".join(d.node for d in found)
            + ". Detach the ones you do not want upgraded. Nothing was written."
        )
    return Choice(found[0], "it holds the installed OpenSBC")


def _largest(disks: list[Disk]) -> Disk:
    # Largest first; on a tie the first by name, so the choice is stable.
    return sorted(disks, key=lambda d: (-d.size, d.node))[0]


def partition_node(disk_node: str, number: int) -> str:
    """/dev/sda + 3 -> /dev/sda3; /dev/nvme0n1 + 3 -> /dev/nvme0n1p3."""
    sep = "p" if disk_node[-1:].isdigit() else ""
    return f"{disk_node}{sep}{number}"
