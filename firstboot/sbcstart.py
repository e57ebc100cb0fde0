"""The wizard's last act: give the SBC its first configuration and start it.

After the wizard the admin opens the web console expecting a running SBC, so the
answers the wizard already has (FQDN, address) seed /data/sbc.yaml (sbc.config.seed:
Teams waits for a certificate, the carrier is added later) and the services start.
An existing file is the admin's and is left alone.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from sbc.config import ConfigError
from sbc.config.seed import seed

from .run import CommandError, run
from .settings import Settings

SERVICES = ("opensbc-media.service", "opensbc.service")


@dataclass(frozen=True)
class SbcStart:
    """What the summary says about the SBC."""

    seeded: bool
    running: bool
    problem: str | None = None


def start_sbc(settings: Settings, fqdn: str, address: ipaddress.IPv4Address | None) -> SbcStart:
    """Seed the configuration if there is none, then start the SBC's services (a no-op
    for those running: an existing file is not changed here, so nothing needs a restart)."""
    paths = settings.paths
    seeded = False
    try:
        result = seed(paths.sbc_config, fqdn, str(address or "127.0.0.1"),
                      system_store=paths.system_store)
        seeded = result.written
    except (ValueError, ConfigError, OSError) as exc:
        return SbcStart(False, False, f"{paths.sbc_config} not written: {exc}")
    try:
        run([settings.commands.systemctl, "start", *SERVICES], what="starting the SBC",
            timeout=120)
    except CommandError as exc:
        return SbcStart(seeded, False, str(exc))
    return SbcStart(seeded, True)
