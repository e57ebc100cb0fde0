"""Checks that the live initramfs can find the ISO on every VM it is meant for.

Without hv_vmbus + hv_storvsc a Hyper-V Gen 2 VM cannot see its DVD; without ata_piix
a Gen 1 VM cannot; the virtio drivers serve the QEMU stand-ins. A module built into
the kernel counts as present.
"""

from __future__ import annotations

from pathlib import Path

from .run import die, run

REQUIRED = (
    "hv_vmbus", "hv_storvsc", "hv_netvsc", "ata_piix", "ahci", "virtio_blk", "virtio_scsi",
    "virtio_net", "virtio_pci", "sr_mod", "isofs", "squashfs", "overlay",
)


def missing_modules(listing: str, builtin: str, required: tuple[str, ...] = REQUIRED) -> list[str]:
    """Names in `required` neither in the initramfs listing nor built into the kernel."""

    def names(text: str) -> set[str]:
        found = set()
        for line in text.splitlines():
            base = line.rsplit("/", 1)[-1]
            for suffix in (".ko", ".ko.xz", ".ko.zst", ".ko.gz"):
                if base.endswith(suffix):
                    found.add(base[: -len(suffix)].replace("-", "_"))
        return found

    present = names(listing) | names(builtin)
    return [m for m in required if m.replace("-", "_") not in present]


def check(tree: Path, initrd: Path, version: str) -> None:
    listing = run(["chroot", tree, "lsinitramfs", f"/boot/{initrd.name}"], capture=True,
                  hint="lsinitramfs comes with initramfs-tools in the image").stdout
    builtin_file = tree / "usr/lib/modules" / version / "modules.builtin"
    builtin = builtin_file.read_text() if builtin_file.exists() else ""
    missing = missing_modules(listing, builtin)
    if missing:
        raise die(
            f"the initramfs {initrd.name} lacks drivers: {', '.join(missing)}",
            "keep them out of finalise.d/90-opensbc-trim, or add them to "
            "/etc/initramfs-tools/modules in the element",
        )
