"""`python -m benchmarks hotpath` runs and counts (small numbers: a smoke test). Both
parts are called directly, never `main()`, so docs/benchmarks.md is left alone."""

from __future__ import annotations

import asyncio

import pytest

from benchmarks import hotpath, hotpath_call


def test_hotpath_counts_calls_per_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hotpath, "WARMUP", 20)
    monkeypatch.setattr(hotpath, "MEASURED", 50)
    result = asyncio.run(hotpath.measure())
    assert 100 < result["calls"] < 5000 and result["top"]
    text = hotpath.body(result)
    assert "| function calls per OPTIONS (Python and built-in) |" in text


def test_hotpath_counts_calls_per_whole_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hotpath_call, "WARMUP", 2)
    monkeypatch.setattr(hotpath_call, "MEASURED", 5)
    result = hotpath.measure_call()  # raises CallFailed unless every call went through
    assert 1000 < result["calls"] < 100_000 and result["top"] and result["slow"]
    assert result["received"] == result["sent"] == 7
    assert result["parsed"] == 7 and result["serialized"] == 7
    assert result["parts"]["sbc"] > result["parts"]["stand-ins"]
    assert result["media"]["offer"] == result["media"]["answer"] == 1
    assert result["media"]["delete"] >= 1
    text = hotpath.call_body(result)
    assert "| function calls per call (Python and built-in) |" in text


def test_a_call_that_does_not_complete_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hotpath_call, "WARMUP", 0)
    monkeypatch.setattr(hotpath_call, "MEASURED", 1)
    monkeypatch.setattr(hotpath_call._Peers, "_teams_answers", lambda self: None)  # no 200
    with pytest.raises(hotpath_call.CallFailed):
        hotpath_call.measure()
