"""Where the wizard reads and writes, and which programs it calls.

All of it is injectable (`--root`, `--nmcli`, ...) so the tests run the real wizard
against a temporary directory and a network namespace instead of this machine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

ROLLBACK_TIMEOUT = 60.0  # seconds before unanswered bad settings are undone
PING_WAIT = 5  # seconds the gateway has to answer one ping


@dataclass(frozen=True)
class Paths:
    """Files under `root` (/ on the appliance)."""

    root: Path = Path("/")

    def _at(self, relative: str) -> Path:
        return self.root / relative

    @property
    def etc_opensbc(self) -> Path:
        return self._at("etc/opensbc")

    @property
    def pending(self) -> Path:
        """Left by the installer; its presence starts the wizard at the console login."""
        return self.etc_opensbc / "firstboot-pending"

    @property
    def done(self) -> Path:
        return self.etc_opensbc / "firstboot-done"

    @property
    def default_hash(self) -> Path:
        """The image's root hash (optional): a build may choose another default."""
        return self.etc_opensbc / "default-root.hash"

    @property
    def nm_connections(self) -> Path:
        return self._at("etc/NetworkManager/system-connections")

    @property
    def shadow(self) -> Path:
        return self._at("etc/shadow")

    @property
    def hostname(self) -> Path:
        return self._at("etc/hostname")

    @property
    def hosts(self) -> Path:
        return self._at("etc/hosts")

    @property
    def resolv_conf(self) -> Path:
        return self._at("etc/resolv.conf")

    @property
    def cockpit_disallowed(self) -> Path:
        return self._at("etc/cockpit/disallowed-users")

    @property
    def cockpit_certs(self) -> Path:
        return self._at("etc/cockpit/ws-certs.d")

    @property
    def sbc_config(self) -> Path:
        """The SBC's configuration, seeded by the wizard when missing."""
        return self._at("data/sbc.yaml")

    @property
    def system_store(self) -> Path:
        """Debian's CA roots, the base of the SBC's CA bundle."""
        return self._at("etc/ssl/certs/ca-certificates.crt")


@dataclass(frozen=True)
class Commands:
    """Program names or paths; looked up on PATH like a shell would."""

    nmcli: str = "nmcli"
    ping: str = "ping"
    hostnamectl: str = "hostnamectl"
    systemctl: str = "systemctl"


@dataclass(frozen=True)
class Settings:
    paths: Paths = field(default_factory=Paths)
    commands: Commands = field(default_factory=Commands)
    rollback_timeout: float = ROLLBACK_TIMEOUT
    ping_wait: int = PING_WAIT
    auto: bool = False  # started by the login profile rather than by the admin
