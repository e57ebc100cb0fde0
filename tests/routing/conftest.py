"""Shared fixtures for the routing tests: a config with Telekom, Teams and a PBX, and
INVITEs built from a few header lines."""

from __future__ import annotations

import textwrap

import pytest
from sbc.config import Config, Connection, loads
from sbc.sip import Headers, Request, parse_uri

BASE = """\
sbc:
  fqdn: sbc.example.com
  public_ip: 203.0.113.10
connections:
  - name: Telekom
    profile: telekom-deutschlandlan
    line_number: "+4930123456780"
    auth_user: "555123456789"
    password: secret
  - name: Teams
    profile: teams-generic
  - name: Pbx
    profile: generic
    host: 192.0.2.20
    country_code: "49"
    number_format: national
"""


def config_of(extra: str = "", base: str = BASE) -> Config:
    return loads(base + textwrap.dedent(extra), "sbc.yaml")


@pytest.fixture(scope="session")
def config() -> Config:
    return config_of()


def conn(config: Config, name: str) -> Connection:
    return config.connection(name)


def invite(
    ruri: str = "sip:+4930123456789@sbc.example.com",
    from_: str = "<sip:+4940111222@sip-trunk.telekom.de;user=phone>;tag=1",
    to: str | None = None,
    *extra: tuple[str, str],
) -> Request:
    headers = Headers(
        [
            ("Via", "SIP/2.0/TCP 192.0.2.1;branch=z9hG4bKx"),
            ("From", from_),
            ("To", to or f"<{ruri}>"),
            ("Call-ID", "c1"),
            ("CSeq", "1 INVITE"),
            *extra,
        ]
    )
    return Request("INVITE", parse_uri(ruri), headers)
