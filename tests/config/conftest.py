"""Helpers for the config tests: write a YAML text to a temporary sbc.yaml."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

MINIMAL = """\
sbc:
  fqdn: sbc.example.com
  public_ip: 203.0.113.10
"""

WriteConfig = Callable[..., Path]


@pytest.fixture
def write_config(tmp_path: Path) -> WriteConfig:
    def write(text: str, name: str = "sbc.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return path

    return write
