"""The NetworkManager keyfile for one Ethernet interface (static IPv4 or DHCP).

The file goes where NetworkManager keeps its own profiles (system-connections, mode
0600), so Cockpit's network page shows the very connection the wizard made. Its UUID
is derived from the interface name: running the wizard again replaces the profile
instead of piling up new ones.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from sbc.util.templates import Templates

from .model import NetworkPlan, StaticIPv4

KEYFILE_MODE = 0o600  # NetworkManager ignores keyfiles others can read
_NAMESPACE = uuid.UUID("5b0f1e0e-7d4c-4c1e-9a55-0b5bc0f1a7e1")  # OpenSBC first boot

_templates = Templates.beside(__file__)


@dataclass(frozen=True)
class Keyfile:
    id: str
    uuid: str
    interface: str
    static: StaticIPv4 | None  # None: DHCP
    dns_search: str  # the FQDN's domain, so short names resolve in it; "" for none

    @property
    def filename(self) -> str:
        return f"{self.id}.nmconnection"


def connection_uuid(interface: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, interface))


def keyfile_for(plan: NetworkPlan) -> Keyfile:
    return Keyfile(plan.interface, connection_uuid(plan.interface), plan.interface,
                   plan.static, plan.identity.domain)


def render(keyfile: Keyfile) -> str:
    return _templates.render("ethernet.nmconnection.j2", keyfile=keyfile)


def path_in(directory: Path, interface: str) -> Path:
    """Where the wizard's keyfile for `interface` lives (also before it exists)."""
    return directory / f"{interface}.nmconnection"
