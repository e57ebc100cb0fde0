"""The GPT partition plan: BIOS boot, EFI system partition, root, /data.

One layout serves Hyper-V Generation 1 (BIOS: GRUB's core image sits in the BIOS
boot partition) and Generation 2 (UEFI: shim and GRUB on the ESP). /data is its own
partition so an upgrade can replace root and keep configuration and certificates.
"""

from __future__ import annotations

from dataclasses import dataclass

from .disks import DATA_LABEL, ROOT_LABEL, InstallError

MiB = 1024**2
SECTOR = 512
# GPT partition type GUIDs (UEFI spec and the Discoverable Partitions Specification).
BIOS_BOOT = "21686148-6449-6E6F-744E-656564454649"
ESP = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
LINUX_ROOT_X86_64 = "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709"
LINUX_DATA = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"

ESP_LABEL = "opensbc-esp"
BIOS_LABEL = "opensbc-bios"


@dataclass(frozen=True)
class Partition:
    number: int
    label: str
    type_guid: str
    start_mib: int
    size_mib: int | None  # None: to the end of the disk (GPT backup header excluded)


@dataclass(frozen=True)
class Plan:
    partitions: tuple[Partition, ...]

    def by_label(self, label: str) -> Partition:
        return next(p for p in self.partitions if p.label == label)

    def sfdisk_script(self) -> str:
        """Input for `sfdisk` (sector units, 1 MiB aligned)."""
        lines = ["label: gpt", "unit: sectors", "first-lba: 2048", ""]
        per_mib = MiB // SECTOR
        for p in self.partitions:
            fields = [f"start={p.start_mib * per_mib}"]
            if p.size_mib is not None:
                fields.append(f"size={p.size_mib * per_mib}")
            fields += [f"type={p.type_guid}", f'name="{p.label}"']
            lines.append(", ".join(fields))
        return "\n".join(lines) + "\n"


def make_plan(disk_bytes: int, *, esp_mib: int = 256, root_mib: int = 4096,
              min_data_mib: int = 1024) -> Plan:
    """Root gets a fixed size (upgrades rewrite it whole); /data gets the rest."""
    bios = Partition(1, BIOS_LABEL, BIOS_BOOT, 1, 1)
    esp = Partition(2, ESP_LABEL, ESP, 2, esp_mib)
    root = Partition(3, ROOT_LABEL, LINUX_ROOT_X86_64, esp.start_mib + esp_mib, root_mib)
    data_start = root.start_mib + root_mib
    # 1 MiB at the end holds the GPT backup header and the alignment slack.
    usable_mib = disk_bytes // MiB - 1
    if usable_mib - data_start < min_data_mib:
        raise InstallError(
            f"The disk has {disk_bytes / 1024**3:.1f} GiB: too small for the system "
            f"({data_start} MiB) and /data ({min_data_mib} MiB)."
        )
    data = Partition(4, DATA_LABEL, LINUX_DATA, data_start, None)
    return Plan((bios, esp, root, data))
