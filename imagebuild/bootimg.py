"""Step 3: what the firmware loads from the ISO.

BIOS: a GRUB El Torito image made with the rootfs's own grub-mkimage (no GRUB on the
build host needed). UEFI: a FAT image with Debian's signed shim as BOOTX64.EFI and
Debian's signed CD GRUB (gcdx64) beside it, so Secure Boot with the Microsoft UEFI CA
(Hyper-V's "Microsoft UEFI Certificate Authority" template) accepts it. Both GRUBs
find the ISO by /.disk/info and read one /boot/grub/grub.cfg. The host kernel cannot
mount vfat here, so the FAT image is filled with mtools.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sbc.util.templates import Templates

from .run import die, run
from .settings import Settings

CONSOLES = "console=ttyS0,115200n8 console=tty0"
BIOS_MODULES = (
    "biosdisk iso9660 part_msdos part_gpt ext2 normal search search_fs_file search_fs_uuid "
    "search_label configfile linux echo test ls cat serial terminal gzio sleep halt reboot"
).split()
EMBED_CFG = (
    "search --no-floppy --file --set=root /.disk/info\n"
    "set prefix=($root)/boot/grub\n"
)
EFI_FILES = {
    "usr/lib/shim/shimx64.efi.signed": "EFI/BOOT/BOOTX64.EFI",
    "usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed": "EFI/BOOT/grubx64.efi",
    "usr/lib/shim/mmx64.efi.signed": "EFI/BOOT/mmx64.efi",
}
EFI_IMG_KIB = 8192  # the signed GRUB alone is 3.8 MB; 4 MiB is too small

_templates = Templates.beside(__file__)


def grub_cfg(settings: Settings, timeout: int = 5, extra_args: str = "") -> str:
    return _templates.render(
        "grub.cfg.j2", product="OpenSBC", version=settings.version, timeout=timeout,
        consoles=CONSOLES, extra_args=extra_args,
    )


def build(settings: Settings, tree: Path, iso_tree: Path) -> tuple[Path, Path]:
    grub_dir = iso_tree / "boot" / "grub"
    grub_dir.mkdir(parents=True, exist_ok=True)
    (grub_dir / "grub.cfg").write_text(grub_cfg(settings))
    disk = iso_tree / ".disk"
    disk.mkdir(exist_ok=True)
    (disk / "info").write_text(f"OpenSBC {settings.version} installer\n")
    # BIOS GRUB loads further modules (those the installed grub.cfg asks for) from here.
    mods = grub_dir / "i386-pc"
    shutil.rmtree(mods, ignore_errors=True)
    shutil.copytree(tree / "usr/lib/grub/i386-pc", mods,
                    ignore=shutil.ignore_patterns("*.img", "*.image", "*.exec", "*.module"))
    return bios_image(settings, tree, grub_dir), efi_image(settings, tree, grub_dir)


def bios_image(settings: Settings, tree: Path, grub_dir: Path) -> Path:
    tmp = tree / "tmp"
    (tmp / "embed.cfg").write_text(EMBED_CFG)
    run(
        ["chroot", tree, "grub-mkimage", "-O", "i386-pc-eltorito", "-o", "/tmp/bios.img",
         "-c", "/tmp/embed.cfg", "-p", "/boot/grub", *BIOS_MODULES],
        env=settings.tool_env(),
        hint="grub-pc-bin must be in the image (package-installs.yaml); chroot needs root",
    )
    out = grub_dir / "bios.img"
    shutil.move(tmp / "bios.img", out)
    (tmp / "embed.cfg").unlink()
    return out


def efi_image(settings: Settings, tree: Path, grub_dir: Path) -> Path:
    out = grub_dir / "efi.img"
    out.unlink(missing_ok=True)
    hint = "mtools and dosfstools build the UEFI boot image: tools/host-deps build"
    env = settings.tool_env()
    # --invariant: a fixed volume ID and times; mtools stamps SOURCE_DATE_EPOCH.
    run(["mkfs.vfat", "--invariant", "-C", "-n", "OPENSBC", out, str(EFI_IMG_KIB)],
        env=env, hint=hint)
    run(["mmd", "-i", out, "::/EFI", "::/EFI/BOOT"], env=env, hint=hint)
    for src, dst in EFI_FILES.items():
        path = tree / src
        if not path.exists():
            raise die(f"{src} is missing from the image",
                      "shim-signed and grub-efi-amd64-signed must be in package-installs.yaml")
        run(["mcopy", "-i", out, path, f"::/{dst}"], env=env, hint=hint)
    return out
