"""Helpers for the config tests: write a YAML text to a temporary sbc.yaml."""

from __future__ import annotations

import stat
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

MINIMAL = """\
sbc:
  fqdn: sbc.example.com
  public_ip: 203.0.113.10
"""

# Three connections, one per kind of profile; 7 lines (tests count lines after it).
THREE_CONNECTIONS = """\
sbc:
  fqdn: sbc.example.com
  public_ip: 203.0.113.10
connections:
  - {name: Telekom, profile: telekom-deutschlandlan, line_number: "+4930123456780", auth_user: "1", password: p}
  - {name: Teams, profile: teams-generic}
  - {name: Pbx, profile: generic, host: 192.0.2.20}
"""  # noqa: E501

WriteConfig = Callable[..., Path]


def make_box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> Path:
    """A config file holding `text`, OPENSBC_CONFIG pointing at it and a systemctl that
    records its arguments in systemctl.log: what `sbc config` commands act on."""
    config = tmp_path / "sbc.yaml"
    config.write_text(text)
    fake = tmp_path / "systemctl"
    fake.write_text(f'#!/bin/sh\necho "$*" >> {tmp_path}/systemctl.log\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("OPENSBC_CONFIG", str(config))
    monkeypatch.setenv("OPENSBC_SYSTEMCTL", str(fake))
    return config


@pytest.fixture
def write_config(tmp_path: Path) -> WriteConfig:
    def write(text: str, name: str = "sbc.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return path

    return write
