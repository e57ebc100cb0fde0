"""Fixtures for the media tests: a real rtpengine per test (it starts in ~40 ms)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .rtpengine import Rtpengine


@pytest.fixture
def rtpengine(tmp_path: Path) -> Iterator[Rtpengine]:
    engine = Rtpengine(tmp_path).start()
    try:
        yield engine
    finally:
        engine.stop()
