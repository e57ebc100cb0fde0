"""`python -m benchmarks hotpath` runs and counts (small numbers: a smoke test)."""

from __future__ import annotations

import asyncio

import pytest

from benchmarks import hotpath


def test_hotpath_counts_calls_per_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hotpath, "WARMUP", 20)
    monkeypatch.setattr(hotpath, "MEASURED", 50)
    result = asyncio.run(hotpath.measure())
    assert 100 < result["calls"] < 5000 and result["top"]
    text = hotpath.body(result)
    assert "| function calls per OPTIONS (Python and built-in) |" in text
