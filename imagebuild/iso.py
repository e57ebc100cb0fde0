"""Step 4: the ISO, assembled with pycdlib (Rock Ridge + Joliet, two El Torito entries).

ISO 9660 names are mangled to 8.3 upper case; Rock Ridge carries the real names,
which GRUB and Linux read. The image is padded at the end: GRUB's BIOS CD driver
reads the last blocks of an unpadded image as garbage.
"""

from __future__ import annotations

import re
from pathlib import Path

import pycdlib

from .reproducible import pinned_clock
from .settings import Settings

MiB = 1024 * 1024
PAD_AT_LEAST = 512 * 1024


def _clean(part: str, limit: int) -> str:
    return (re.sub(r"[^A-Z0-9_]", "_", part.upper()) or "_")[:limit]


class NameMap:
    """Unique 8.3 ISO 9660 names per directory, stable for a given input order."""

    def __init__(self) -> None:
        self._used: dict[str, set[str]] = {}

    def name(self, parent: str, real: str, is_dir: bool) -> str:
        used = self._used.setdefault(parent, set())
        stem, dot, ext = real.lstrip(".").rpartition(".")
        if not dot or is_dir:
            stem, ext = real.lstrip("."), ""
        base, ext = _clean(stem, 8), _clean(ext, 3) if ext else ""
        n = 0
        candidate = base
        while (candidate, ext) in {(u.split(".")[0], u.partition(".")[2]) for u in used}:
            n += 1
            suffix = f"~{n}"
            candidate = base[: 8 - len(suffix)] + suffix
        full = f"{candidate}.{ext}" if ext else candidate
        used.add(full)
        return full.replace("~", "_")


def build(settings: Settings, iso_tree: Path, out: Path) -> Path:
    """Writes the ISO; every date in it is SOURCE_DATE_EPOCH, every listing sorted."""
    with pinned_clock(settings.source_date_epoch):
        return _build(settings, iso_tree, out)


def _build(settings: Settings, iso_tree: Path, out: Path) -> Path:
    iso = pycdlib.PyCdlib()
    volume = _clean(f"OPENSBC_{settings.version}", 32)
    iso.new(interchange_level=3, rock_ridge="1.09", joliet=3, vol_ident=volume)
    names = NameMap()
    iso_paths: dict[Path, str] = {iso_tree: ""}
    for path in sorted(iso_tree.rglob("*")):
        rel = path.relative_to(iso_tree)
        parent_iso = iso_paths[path.parent]
        mangled = names.name(parent_iso, path.name, path.is_dir())
        iso_path = f"{parent_iso}/{mangled}"
        joliet = "/" + str(rel)
        if path.is_dir():
            iso.add_directory(iso_path, rr_name=path.name, joliet_path=joliet)
            iso_paths[path] = iso_path
        else:
            iso.add_file(str(path), f"{iso_path};1", rr_name=path.name, joliet_path=joliet)
            iso_paths[path] = f"{iso_path};1"
    grub = iso_tree / "boot" / "grub"
    iso.add_eltorito(iso_paths[grub / "bios.img"], bootcatfile=f"{iso_paths[grub]}/BOOT.CAT;1",
                     boot_load_size=4, boot_info_table=True)
    iso.add_eltorito(iso_paths[grub / "efi.img"], efi=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".iso.part")
    iso.write(str(tmp))
    iso.close()
    pad(tmp)
    tmp.rename(out)
    return out


def pad(path: Path) -> None:
    """Pads to a whole MiB with at least PAD_AT_LEAST bytes of zeros at the end."""
    size = path.stat().st_size
    target = -(-(size + PAD_AT_LEAST) // MiB) * MiB
    with path.open("r+b") as f:
        f.truncate(target)
