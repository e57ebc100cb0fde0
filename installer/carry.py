"""What an upgrade carries from the old system into the new one.

/data survives by being its own partition. A few files on the root filesystem are the
admin's too (root's password, network, hostname, SSH host keys, the web console's
certificate, whether the first-boot wizard has run); an upgrade reads them before
replacing root and writes them back afterwards.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

# Paths (relative to the root) and globs carried as they are.
CARRIED = (
    "etc/hostname",
    "etc/hosts",
    "etc/machine-id",
    "etc/NetworkManager/system-connections/*",
    "etc/ssh/ssh_host_*",
    "etc/cockpit/ws-certs.d/*",
    "etc/cockpit/disallowed-users",
    "etc/opensbc/firstboot-done",
)
FIRSTBOOT_PENDING = "etc/opensbc/firstboot-pending"


@dataclass(frozen=True)
class CarriedFile:
    path: str  # relative to the root
    data: bytes
    mode: int
    uid: int
    gid: int


@dataclass(frozen=True)
class Carried:
    files: tuple[CarriedFile, ...]
    root_hash: str | None
    firstboot_pending: bool


def collect(old_root: Path) -> Carried:
    files = []
    for pattern in CARRIED:
        for path in sorted(old_root.glob(pattern)):
            if path.is_file() and not path.is_symlink():
                st = path.stat()
                files.append(
                    CarriedFile(
                        str(path.relative_to(old_root)), path.read_bytes(),
                        stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid,
                    )
                )
    return Carried(
        tuple(files),
        root_hash_of((old_root / "etc/shadow").read_text()) if (old_root / "etc/shadow").exists()
        else None,
        (old_root / FIRSTBOOT_PENDING).exists(),
    )


def restore(carried: Carried, new_root: Path) -> int:
    """Writes the carried files into the new root; returns how many."""
    for f in carried.files:
        target = new_root / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(f.data)
        os.chown(target, f.uid, f.gid)
        os.chmod(target, f.mode)
    if carried.root_hash:
        shadow = new_root / "etc/shadow"
        shadow.write_text(with_root_hash(shadow.read_text(), carried.root_hash))
    return len(carried.files)


def firstboot_pending(carried: Carried | None) -> bool:
    """Whether the new system starts the first-boot wizard: always after a fresh install;
    after an upgrade only if the old system had not finished it."""
    return carried is None or carried.firstboot_pending


def root_hash_of(shadow: str) -> str | None:
    for line in shadow.splitlines():
        fields = line.split(":")
        if fields[0] == "root" and len(fields) > 1:
            return fields[1]
    return None


def with_root_hash(shadow: str, root_hash: str) -> str:
    """The shadow file with root's hash replaced: only root's line changes, so
    system users the new image adds stay intact."""
    out = []
    for line in shadow.splitlines():
        fields = line.split(":")
        if fields[0] == "root" and len(fields) > 1:
            fields[1] = root_hash
            line = ":".join(fields)
        out.append(line)
    return "\n".join(out) + "\n"
