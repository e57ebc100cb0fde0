"""RFC 2782 ordering with an injected random source."""

from __future__ import annotations

import random
from collections import Counter

from sbc.resolve import SrvRecord, order_srv


def rec(priority: int, weight: int, target: str) -> SrvRecord:
    return SrvRecord(priority, weight, 5060, target)


def test_priority_first() -> None:
    records = [rec(20, 0, "c"), rec(10, 0, "a"), rec(10, 0, "b")]
    assert [r.target for r in order_srv(records, lambda lo, hi: lo)] == ["a", "b", "c"]


def test_weight_zero_first_and_running_sum() -> None:
    records = [rec(10, 60, "heavy"), rec(10, 0, "zero"), rec(10, 40, "light")]
    # randint returns the upper bound: the last candidate in running-sum order wins.
    assert [r.target for r in order_srv(records, lambda lo, hi: hi)] == ["light", "heavy", "zero"]
    # randint returns 0: the zero-weight record (placed first) wins, then the first.
    assert [r.target for r in order_srv(records, lambda lo, hi: lo)] == ["zero", "heavy", "light"]


def test_weights_share_the_first_pick() -> None:
    records = [rec(10, 90, "a"), rec(10, 10, "b")]
    rng = random.Random(7)
    firsts = Counter(order_srv(records, rng.randint)[0].target for _ in range(2000))
    assert 1650 < firsts["a"] < 1950


def test_empty() -> None:
    assert order_srv([], random.randint) == []
