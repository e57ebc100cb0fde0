"""`opensbc-install`: installs or upgrades OpenSBC on this machine's disk, unattended.

The ISO's boot menu starts it with `opensbc.mode=install` (the default on a machine
with no installed system) or `opensbc.mode=upgrade`. On success the machine powers
off; on failure the message stays on the screen and the serial line and nothing more
is written.
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from . import carry, kernel, render, system
from .console import Console
from .disks import (
    DATA_LABEL,
    ROOT_LABEL,
    Choice,
    InstallError,
    choose_install_target,
    choose_upgrade_target,
    partition_node,
)
from .plan import ESP_LABEL, make_plan

TARGET = Path("/mnt/target")
OLD_ROOT = Path("/mnt/old-root")
SQUASHFS = system.LIVE_MEDIUM / "live" / "filesystem.squashfs"
PRODUCT = "OpenSBC"


def parse_cmdline(text: str) -> dict[str, str]:
    """`opensbc.*` options from the kernel command line."""
    opts = {}
    for word in text.split():
        if word.startswith("opensbc."):
            key, _, value = word[len("opensbc."):].partition("=")
            opts[key] = value or "1"
    return opts


class Installer:
    def __init__(self, console: Console) -> None:
        self.say = console.say
        self.console = console

    # --- the two flows -------------------------------------------------------------
    def install(self, force: bool) -> None:
        self.say(f"{PRODUCT} installer: looking for the target disk")
        choice = choose_install_target(system.list_disks(), system.medium_disks(), force=force)
        self._announce(choice)
        system.read_probe(choice.disk.node, choice.disk.size)
        plan = make_plan(choice.disk.size)
        node = choice.disk.node
        self.say("Partitioning (GPT: BIOS boot, EFI system, root, /data)")
        system.run(["wipefs", "--all", "--force", node], what="clearing old signatures")
        system.run(["sfdisk", "--wipe", "always", "--no-reread", node],
                   what="partitioning", input=plan.sfdisk_script())
        self._settle(node)
        esp, root, data = (partition_node(node, plan.by_label(lbl).number)
                           for lbl in (ESP_LABEL, ROOT_LABEL, DATA_LABEL))
        self.say("Creating filesystems")
        system.run(["mkfs.vfat", "-F", "32", "-n", "EFI", esp], what="formatting the ESP")
        system.run(["mkfs.ext4", "-q", "-F", "-L", ROOT_LABEL, root], what="formatting root")
        system.run(["mkfs.ext4", "-q", "-F", "-L", DATA_LABEL, data], what="formatting /data")
        self._write_system(node, esp, root, data, carried=None)
        self.console.banner(
            f"{PRODUCT} is installed on {node}.",
            "The machine powers off now. Start it again to boot the installed system\n"
            "and log in as root (password: omc). On Hyper-V, remove the ISO or make the\n"
            "disk the first boot device; if the ISO stays, its menu boots the disk.",
        )

    def upgrade(self) -> None:
        self.say(f"{PRODUCT} upgrade: looking for the installed system")
        choice = choose_upgrade_target(system.list_disks(), system.medium_disks())
        self._announce(choice)
        node = choice.disk.node
        labels = {p.get("ID_PART_ENTRY_NAME"): p.get("DEVNAME", "") for p in choice.disk.partitions}
        root, data, esp = labels[ROOT_LABEL], labels[DATA_LABEL], labels.get(ESP_LABEL, "")
        if not esp:
            raise InstallError(f"{node} has no EFI system partition labelled {ESP_LABEL}")
        system.read_probe(node, choice.disk.size)
        self.say("Reading the settings to keep from the installed system")
        with self._mounted(root, OLD_ROOT, readonly=True):
            carried = carry.collect(OLD_ROOT)
        self.say(f"Keeping /data ({data}) and {len(carried.files)} settings files; "
                 "replacing the system")
        system.run(["mkfs.ext4", "-q", "-F", "-L", ROOT_LABEL, root], what="formatting root")
        self._write_system(node, esp, root, data, carried=carried)
        self.console.banner(
            f"{PRODUCT} on {node} is upgraded; /data was kept.",
            "The machine powers off now. Start it again to boot the upgraded system.",
        )

    # --- shared steps ----------------------------------------------------------------
    def _announce(self, choice: Choice) -> None:
        self.say(f"Target disk: {choice.disk.describe()}: {choice.reason}")

    def _write_system(self, disk: str, esp: str, root: str, data: str,
                      carried: carry.Carried | None) -> None:
        TARGET.mkdir(parents=True, exist_ok=True)
        with self._mounted(root, TARGET):
            size = SQUASHFS.stat().st_size
            self.say(f"Copying the system ({size // 2**20} MiB compressed); this takes a while")
            start = time.monotonic()
            system.run(["unsquashfs", "-f", "-n", "-d", str(TARGET), str(SQUASHFS)],
                       what="copying the system")
            kernel.place(SQUASHFS.parent, TARGET)
            self.say(f"System copied in {time.monotonic() - start:.0f} s")
            (TARGET / "boot/efi").mkdir(parents=True, exist_ok=True)
            (TARGET / "data").mkdir(exist_ok=True)
            with self._mounted(esp, TARGET / "boot/efi"), self._mounted(data, TARGET / "data"):
                uuids = render.FsUuids(system.fs_uuid(root), system.fs_uuid(esp),
                                       system.fs_uuid(data))
                (TARGET / "etc/fstab").write_text(render.fstab(uuids))
                (TARGET / "etc/default").mkdir(exist_ok=True)
                (TARGET / "etc/default/grub").write_text(render.grub_default(PRODUCT))
                self._mark(carried)
                if carried is not None:
                    count = carry.restore(carried, TARGET)
                    self.say(f"Restored {count} settings files and root's password")
                for sub in ("certs", "trace"):
                    (TARGET / "data" / sub).mkdir(exist_ok=True)
                self._install_grub(disk)
        system.run(["sync"], what="flushing the disk")

    def _mark(self, carried: carry.Carried | None) -> None:
        etc = TARGET / "etc/opensbc"
        etc.mkdir(parents=True, exist_ok=True)
        release = (etc / "release").read_text() if (etc / "release").exists() else ""
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        # The ISO's boot menu looks for this file to offer "boot the installed system".
        (etc / "installed").write_text(f"{release}INSTALLED={stamp}\n")
        pending = TARGET / carry.FIRSTBOOT_PENDING
        if carry.firstboot_pending(carried):
            pending.write_text(f"{stamp}\n")
        else:
            pending.unlink(missing_ok=True)
        # A fresh machine-id and SSH host keys on first boot unless carried over.
        (TARGET / "etc/machine-id").write_text("")
        for key in (TARGET / "etc/ssh").glob("ssh_host_*"):
            key.unlink()

    def _install_grub(self, disk: str) -> None:
        self.say("Installing GRUB for BIOS and UEFI (shim -> signed GRUB -> signed kernel)")
        with self._chroot_mounts():
            chroot = ["chroot", str(TARGET)]
            system.run(chroot + ["grub-install", "--target=i386-pc", disk],
                       what="installing GRUB for BIOS")
            efi = ["grub-install", "--target=x86_64-efi", "--efi-directory=/boot/efi",
                   "--uefi-secure-boot", "--no-nvram"]
            system.run(chroot + efi + ["--bootloader-id=debian"],
                       what="installing GRUB for UEFI")
            # The removable path EFI/BOOT/BOOTX64.EFI: NVRAM entries do not travel with
            # a VHDX, and Hyper-V Gen 2 boots it without one.
            system.run(chroot + efi + ["--removable"], what="installing GRUB (removable path)")
            system.run(chroot + ["update-grub"], what="writing grub.cfg")

    # --- mounts ----------------------------------------------------------------------
    @contextlib.contextmanager
    def _mounted(self, node: str, where: Path, readonly: bool = False) -> Iterator[None]:
        where.mkdir(parents=True, exist_ok=True)
        opts = ["-o", "ro"] if readonly else []
        system.run(["mount", *opts, node, str(where)], what=f"mounting {node}")
        try:
            yield
        finally:
            subprocess.run(["umount", "-l", str(where)], check=False)

    @contextlib.contextmanager
    def _chroot_mounts(self) -> Iterator[None]:
        binds = ["dev", "proc", "sys", "run"]
        done = []
        try:
            for sub in binds:
                system.run(["mount", "--rbind", f"/{sub}", str(TARGET / sub)],
                           what=f"binding /{sub} for GRUB")
                done.append(sub)
            yield
        finally:
            for sub in reversed(done):
                subprocess.run(["umount", "-R", "-l", str(TARGET / sub)], check=False)

    def _settle(self, disk: str) -> None:
        subprocess.run(["partx", "-u", disk], check=False)
        subprocess.run(["udevadm", "settle", "--timeout=30"], check=False)
        plan_nodes = [partition_node(disk, n) for n in (1, 2, 3, 4)]
        deadline = time.monotonic() + 30
        while not all(Path(p).exists() for p in plan_nodes):
            if time.monotonic() > deadline:
                raise InstallError(f"the new partitions on {disk} did not appear: {plan_nodes}")
            time.sleep(0.5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="opensbc-install", description=__doc__)
    parser.add_argument("--mode", choices=["install", "upgrade"], help="what to do")
    parser.add_argument("--force", action="store_true", help="install over a non-empty disk")
    parser.add_argument("--from-cmdline", action="store_true",
                        help="take mode and force from the kernel command line (the ISO)")
    parser.add_argument("--list-disks", action="store_true",
                        help="print the disks as udev describes them (JSON) and exit")
    parser.add_argument("--no-poweroff", action="store_true", help="stay on when done")
    args = parser.parse_args(argv)
    if args.list_disks:
        print(system.dump_disks(system.list_disks()))
        return 0
    mode, force = args.mode, args.force
    if args.from_cmdline:
        opts = parse_cmdline(Path("/proc/cmdline").read_text())
        mode = opts.get("mode", mode)
        force = force or opts.get("force") == "1"
    if mode not in ("install", "upgrade"):
        parser.error("say --mode install|upgrade (or boot with opensbc.mode=...)")
    console = Console()
    installer = Installer(console)
    try:
        installer.install(force) if mode == "install" else installer.upgrade()
    except InstallError as exc:
        console.banner(f"{PRODUCT} {mode.upper()} FAILED", str(exc))
        console.say("The VM stays on so this message can be read. Power it off when done.")
        return 1
    except Exception as exc:  # the admin still needs a message, not a silent stop
        console.banner(f"{PRODUCT} {mode.upper()} FAILED (internal error)", repr(exc))
        raise
    if not args.no_poweroff:
        console.say("Powering off")
        subprocess.run(["systemctl", "poweroff"], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
