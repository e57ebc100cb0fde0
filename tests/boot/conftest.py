"""Fixtures for the QEMU boot tests: the built ISO and a place for disks and logs."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from sbc import __version__

ROOT = Path(__file__).resolve().parents[2]
ISO = ROOT / "dist" / f"opensbc-{__version__}.iso"
WORK = ROOT / "build" / "boot-tests"
TIMES = WORK / "times.json"


@pytest.fixture(scope="session")
def iso() -> Path:
    if not ISO.exists():
        pytest.fail(f"{ISO} is missing: the boot tests need 'make iso' first", pytrace=False)
    return ISO


@pytest.fixture(scope="session")
def workdir() -> Path:
    WORK.mkdir(parents=True, exist_ok=True)
    return WORK


@pytest.fixture(scope="session")
def record():
    """Records a measured figure (seconds) for docs/benchmarks.md."""
    figures: dict[str, float] = json.loads(TIMES.read_text()) if TIMES.exists() else {}

    def _record(name: str, seconds: float) -> None:
        figures[name] = round(seconds, 1)
        figures["_recorded_at"] = time.time()
        TIMES.write_text(json.dumps(figures, indent=1, sort_keys=True))

    return _record
