"""Who may talk to the SBC: explicit allowlists, else the peer's own addresses."""

from __future__ import annotations

import ipaddress

from sbc.config import Allowlist, load_config

from .conftest import MINIMAL, WriteConfig

CONFIG = (
    MINIMAL
    + """\
connections:
  - {name: Teams, profile: teams-generic}
  - name: Telekom
    profile: telekom-deutschlandlan
    line_number: "+4930123456780"
    auth_user: u
    password: p
  - {name: PBX, profile: generic, host: 192.0.2.20}
hosts:
  reg.sip-trunk.telekom.de: 198.51.100.7:5080
"""
)


def test_allowlist_semantics(write_config: WriteConfig) -> None:
    config = load_config(write_config(CONFIG))
    allow = Allowlist(config, {"Telekom": ["198.51.100.99"]})

    def first(source: str) -> str | None:
        conn = allow.match(source)
        return None if conn is None else conn.name

    assert first("52.113.1.1") == "Teams1"
    assert [c.name for c in allow.matches("52.121.0.9")] == ["Teams1", "Teams2", "Teams3"]
    assert first("198.51.100.7") == "Telekom"
    assert allow.allowed("198.51.100.99")  # resolved now
    assert first("192.0.2.20") == "PBX"
    assert first("::ffff:52.112.0.1") == "Teams1"
    assert allow.match(ipaddress.ip_address("203.0.113.5")) is None
    assert not allow.allowed("52.116.0.1")
    assert not allow.allowed("2001:db8::1")
    # Without the resolver's answer only the host map address counts.
    assert not Allowlist(config).allowed("198.51.100.99")
