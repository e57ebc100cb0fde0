"""Fixtures for the wizard's tests: a pretend appliance in network namespaces."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fbtest_env  # noqa: E402


@pytest.fixture
def appliance(tmp_path: Path) -> Iterator[fbtest_env.Appliance]:
    reason = fbtest_env.can_run()
    if reason:
        pytest.skip(reason)
    app = fbtest_env.create(tmp_path)
    try:
        yield app
    finally:
        fbtest_env.destroy(app)
