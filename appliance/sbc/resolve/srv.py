"""RFC 2782 SRV ordering: by priority, then weighted random within a priority.

The random source is injected so tests can pin the choice and production can use
`random.randint`; the weighting itself is exactly the RFC's running-sum algorithm.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import accumulate

from .records import SrvRecord

RandInt = Callable[[int, int], int]  # like random.randint: a <= n <= b


def order_srv(records: Iterable[SrvRecord], randint: RandInt) -> list[SrvRecord]:
    """The order to try the targets in (RFC 2782, "Usage rules")."""
    pending = list(records)
    out: list[SrvRecord] = []
    for priority in sorted({r.priority for r in pending}):
        # "all those with weight 0 are placed at the beginning of the list"
        group = sorted((r for r in pending if r.priority == priority), key=lambda r: r.weight != 0)
        while group:
            total = sum(r.weight for r in group)
            chosen = randint(0, total)
            sums = accumulate(r.weight for r in group)
            index = next(i for i, running in enumerate(sums) if running >= chosen)
            out.append(group.pop(index))
    return out
