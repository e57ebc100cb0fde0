"""Changing the network as one undoable step: snapshot, apply, check, restore.

Before anything is written the wizard records what it may touch (its own keyfile for
the interface, if any, and the connection active there). A gateway that does not
answer, an error or Ctrl-C then puts exactly that back.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from . import keyfile as kf
from .files import remove_file, replace_file
from .model import NetworkPlan
from .nm import ActiveConnection, NetworkManager
from .run import CommandError, run


@dataclass(frozen=True)
class Snapshot:
    interface: str
    keyfile: Path
    keyfile_data: bytes | None  # the wizard's earlier keyfile; None if there was none
    previous: ActiveConnection | None  # what was active on the interface


class NetworkChange:
    def __init__(self, nm: NetworkManager, connections_dir: Path, ping: str = "ping",
                 ping_wait: int = 5) -> None:
        self._nm = nm
        self._dir = connections_dir
        self._ping = ping
        self._ping_wait = ping_wait

    def snapshot(self, interface: str) -> Snapshot:
        path = kf.path_in(self._dir, interface)
        try:
            data: bytes | None = path.read_bytes()
        except FileNotFoundError:
            data = None
        try:
            previous = self._nm.active_on(interface)
        except CommandError:
            previous = None
        return Snapshot(interface, path, data, previous)

    def apply(self, plan: NetworkPlan) -> Path:
        """Write the keyfile (0600), have NetworkManager load it and bring it up."""
        keyfile = kf.keyfile_for(plan)
        path = self._dir / keyfile.filename
        self._dir.mkdir(parents=True, exist_ok=True)
        replace_file(path, kf.render(keyfile).encode(), kf.KEYFILE_MODE)
        self._nm.load(path)
        self._nm.up(keyfile.uuid)
        return path

    def restore(self, snap: Snapshot) -> list[str]:
        """Put the snapshot back; returns the problems met (best effort, never raises)."""
        problems = []
        try:
            if snap.keyfile_data is None:
                if snap.keyfile.exists():
                    self._drop(snap)
            else:
                replace_file(snap.keyfile, snap.keyfile_data, kf.KEYFILE_MODE)
                self._nm.load(snap.keyfile)
        except (CommandError, OSError) as exc:
            problems.append(str(exc))
        try:
            if snap.previous is not None:
                self._nm.up(snap.previous.uuid)
            else:
                self._nm.connect(snap.interface)
        except CommandError as exc:
            problems.append(str(exc))
        return problems

    def _drop(self, snap: Snapshot) -> None:
        """Remove the new profile; if nmcli cannot, delete the file and have
        NetworkManager load the now missing file, which forgets the profile."""
        try:
            self._nm.delete(kf.connection_uuid(snap.interface))
        finally:
            if remove_file(snap.keyfile):
                self._nm.load(snap.keyfile)

    def gateway_answers(self, gateway: ipaddress.IPv4Address, interface: str) -> bool:
        """One echo reply within `ping_wait` seconds (ping retries every second)."""
        argv = [self._ping, "-n", "-q", "-c", "1", "-w", str(self._ping_wait),
                "-I", interface, str(gateway)]
        try:
            proc = run(argv, what="pinging the gateway", check=False,
                       timeout=self._ping_wait + 5)
        except CommandError:
            return False
        return proc.returncode == 0
