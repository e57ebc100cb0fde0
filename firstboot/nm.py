"""NetworkManager through `nmcli -t`: what is active, and load/up/delete of profiles.

NetworkManager is the appliance's only network backend because Cockpit's network page
talks to it; the wizard therefore changes the network the same way, through a keyfile
NetworkManager loads, and asks it what is active instead of guessing from the kernel.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .model import Method
from .run import CommandError, run

UP_WAIT = 30  # seconds nmcli waits for an activation

_METHODS: dict[str, Method] = {"auto": "dhcp", "manual": "static"}


@dataclass(frozen=True)
class ActiveConnection:
    name: str
    uuid: str
    device: str


def split_terse(line: str) -> list[str]:
    """One line of `nmcli -t` output: fields separated by ':', with '\\:' and '\\\\'
    escaped inside values."""
    fields, current, escaped = [], [], False
    for ch in line:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ":":
            fields.append("".join(current))
            current = []
        else:
            current.append(ch)
    fields.append("".join(current))
    return fields


def parse_active(output: str) -> list[ActiveConnection]:
    """`nmcli -t -f NAME,UUID,DEVICE connection show --active` -> connections."""
    rows = [split_terse(line) for line in output.splitlines() if line.strip()]
    return [ActiveConnection(*row[:3]) for row in rows if len(row) >= 3]


def parse_method(output: str) -> Method:
    """`nmcli -t -f ipv4.method connection show ...` -> dhcp/static/other."""
    for line in output.splitlines():
        key, _, value = line.partition(":")
        if key == "ipv4.method":
            return _METHODS.get(value.strip(), "other")
    return "unknown"


class NetworkManager:
    def __init__(self, nmcli: str = "nmcli") -> None:
        self._nmcli = nmcli

    def _run(self, args: list[str], what: str) -> str:
        return run([self._nmcli, *args], what=what, timeout=UP_WAIT + 15).stdout

    def active(self) -> list[ActiveConnection]:
        out = self._run(["-t", "-f", "NAME,UUID,DEVICE", "connection", "show", "--active"],
                        "asking NetworkManager for the active connections")
        return parse_active(out)

    def active_on(self, device: str) -> ActiveConnection | None:
        return next((c for c in self.active() if c.device == device), None)

    def method(self, uuid: str) -> Method:
        out = self._run(["-t", "-f", "ipv4.method", "connection", "show", "uuid", uuid],
                        "asking NetworkManager for a connection's IPv4 method")
        return parse_method(out)

    def methods(self) -> dict[str, Method]:
        """Device name -> how its active connection gets IPv4; {} without NetworkManager."""
        try:
            return {c.device: self.method(c.uuid) for c in self.active()}
        except CommandError:
            return {}

    def device_states(self) -> dict[str, str]:
        """Device name -> NetworkManager's state for it ("unmanaged", "connected", ...)."""
        try:
            out = self._run(["-t", "-f", "DEVICE,STATE", "device", "status"],
                            "asking NetworkManager for its devices")
        except CommandError:
            return {}
        rows = [split_terse(line) for line in out.splitlines() if line.strip()]
        return {row[0]: row[1] for row in rows if len(row) >= 2}

    def load(self, keyfile: Path) -> None:
        self._run(["connection", "load", str(keyfile)], f"loading {keyfile.name}")

    def up(self, uuid: str) -> None:
        self._run(["--wait", str(UP_WAIT), "connection", "up", "uuid", uuid],
                  "activating the connection")

    def connect(self, device: str) -> None:
        """Let NetworkManager pick and activate the best profile for `device`."""
        self._run(["--wait", str(UP_WAIT), "device", "connect", device],
                  f"reconnecting {device}")

    def delete(self, uuid: str) -> None:
        self._run(["connection", "delete", "uuid", uuid], "removing the new connection")
