"""The installer's contact with the machine: udev, mounts and commands."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from sbc.util import proc

from .disks import Disk, InstallError

LIVE_MEDIUM = Path("/run/live/medium")
TAIL_LINES = 5  # of a failed command's output, under the message on the screen
MISSING_HINT = ("the live image lacks this program: add its package to "
                "appliance/rootfs/elements/opensbc/package-installs.yaml and build the ISO again")


class InstallCommandError(proc.CommandError, InstallError):
    """A command the installer ran failed; main() catches it as an InstallError."""


def list_disks() -> list[Disk]:
    """Every block disk udev knows, with its partitions' properties."""
    import pyudev  # Debian's python3-pyudev; imported here so tests need no udev

    context = pyudev.Context()
    disks = []
    for dev in context.list_devices(subsystem="block", DEVTYPE="disk"):
        attrs = {}
        for key in ("size", "removable", "ro"):
            try:
                attrs[key] = dev.attributes.asstring(key)
            except KeyError:
                continue
        parts = [
            dict(child.properties)
            for child in dev.children
            if child.properties.get("DEVTYPE") == "partition"
        ]
        disks.append(Disk(dict(dev.properties), attrs, tuple(parts)))
    return disks


def dump_disks(disks: Sequence[Disk]) -> str:
    """The JSON form the unit tests' fixtures use (recorded with --list-disks --json)."""
    rows = [
        {"properties": dict(d.properties), "attributes": dict(d.attributes),
         "partitions": [dict(p) for p in d.partitions]}
        for d in disks
    ]
    return json.dumps(rows, indent=1, sort_keys=True)


def load_disks(text: str) -> list[Disk]:
    return [
        Disk(row["properties"], row["attributes"], tuple(row.get("partitions", ())))
        for row in json.loads(text)
    ]


def medium_disks(mounts: str | None = None) -> set[str]:
    """Disk nodes that carry the live medium (the ISO, or a USB copy of it)."""
    if mounts is None:
        mounts = Path("/proc/mounts").read_text()
    found = set()
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[1] == str(LIVE_MEDIUM) and fields[0].startswith("/dev/"):
            node = os.path.realpath(fields[0])
            found.add(node)
            parent = _parent_disk(node)
            if parent:
                found.add(parent)
    return found


def _parent_disk(node: str) -> str | None:
    sys_block = Path("/sys/class/block") / Path(node).name
    try:
        if (sys_block / "partition").exists():
            return "/dev/" + sys_block.resolve().parent.name
    except OSError:
        return None
    return None


def run(cmd: Sequence[str], *, what: str, input: str | None = None) -> str:
    """Runs a command; a failure becomes an InstallError naming the step and command."""
    return proc.run(cmd, what=what, input=input, missing_hint=MISSING_HINT,
                    tail_lines=TAIL_LINES, error=InstallCommandError).stdout


def read_probe(node: str, size: int, chunk: int = 1024 * 1024) -> None:
    """Reads the first and last MiB so a broken disk fails before anything is written."""
    try:
        with open(node, "rb", buffering=0) as dev:
            dev.read(chunk)
            dev.seek(max(0, size - chunk))
            dev.read(chunk)
    except OSError as exc:
        raise InstallError(
            f"The disk {node} cannot be read (I/O error: {exc.strerror}). "
            "Nothing was written. Check the virtual disk and start the VM again."
        ) from exc


def fs_uuid(node: str) -> str:
    out = run(["blkid", "-s", "UUID", "-o", "value", node], what=f"reading the UUID of {node}")
    uuid = out.strip()
    if not uuid:
        raise InstallError(f"{node} has no filesystem UUID after formatting")
    return uuid
