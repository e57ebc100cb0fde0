"""What the ACME tests share: the names, stand-ins for systemctl and nft that log their
calls, and trusting a Pebble (its HTTPS for the client, its root for the import)."""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path

import pytest
from acme_pebble import Pebble
from sbc.certs.bundle import add_ca, build_bundle
from sbc.certs.paths import CertPaths

FQDN = "sbc.example.org"
EAB_KID = "kid-1"
EAB_HMAC = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"

# The stand-ins log one line per call (argv); `nft -f -` also keeps the ruleset and a
# marker file while the table is loaded.
FAKE = """#!/bin/sh
echo "$*" >> {log}
if [ "$1" = "-f" ]; then cat > {log}.last-ruleset; touch {log}.open; fi
if [ "$1" = "delete" ]; then rm -f {log}.open; fi
exit 0
"""


@dataclass
class Tools:
    systemctl_log: Path
    nft_log: Path

    def calls(self, log: Path) -> list[str]:
        return log.read_text().splitlines() if log.exists() else []

    @property
    def port_open(self) -> bool:
        return Path(f"{self.nft_log}.open").exists()


def script(path: Path, log: Path) -> None:
    path.write_text(FAKE.format(log=log))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def trust(paths: CertPaths, server: Pebble, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ACME client trusts Pebble's HTTPS; the import trusts Pebble's issuing root."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_file))
    build_bundle(paths, system_store=None)
    add_ca(server.root_pem(), paths, source="pebble", system_store=None)
