"""Failover between a route's targets: which answers move on, and who is backing off.

Sans-IO like the SIP core: nothing here reads a clock, the caller passes `now` (seconds,
any monotonic origin), so tests move time by hand.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Sequence

from ..config import Connection
from ..sip import Response

# A Retry-After longer than this is taken as this: a peer must not switch a target off
# for days with one answer; OPTIONS notice a recovered peer sooner anyway.
MAX_RETRY_AFTER = 3600.0
# RFC 3261 §20.33: Retry-After = delta-seconds [ comment ] *( SEMI retry-param )
_RETRY_AFTER = re.compile(r"\s*([0-9]{1,10})\s*(?:\(|;|\Z)")

# Final answers that say "this hop failed", not "the callee decided":
#   408 no answer from the hop (also what a transaction timeout counts as),
#   500 the hop broke on this request: another proxy or trunk may well not,
#   503 the hop is overloaded or down (RFC 3263 §4.3: try the next),
#   504 the hop timed out on the next one.
RETRY_STATUSES = frozenset({408, 500, 503, 504})


class Verdict(enum.Enum):
    NEXT = "next"  # try the next target
    FINAL = "final"  # relay this answer to the caller


def verdict(status: int, *, rang: bool = False) -> Verdict:
    """What to do with a final answer from a target.

    603 Decline (like every other 4xx-6xx) is final: retrying it would ring the callee's
    Teams clients again and leave duplicate missed calls. Once a target sent a 180/183
    (`rang`), every answer is final for the same reason. 2xx and 1xx are not failures;
    they are FINAL too, so the caller never moves on from them.
    """
    if not rang and status in RETRY_STATUSES:
        return Verdict.NEXT
    return Verdict.FINAL


def retry_after(response: Response) -> float | None:
    """Retry-After in seconds ('120 (maintenance);duration=60' -> 120.0), capped at
    MAX_RETRY_AFTER; None when absent or unreadable."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    match = _RETRY_AFTER.match(value)
    if match is None:
        return None
    return min(float(match.group(1)), MAX_RETRY_AFTER)


class Backoff:
    """Targets that answered 503 with Retry-After, skipped until that time has passed."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}

    def note(self, name: str, retry_after: float | None, now: float) -> None:
        """Record a 503's Retry-After for connection `name` (None: nothing to wait for)."""
        if retry_after is None or retry_after <= 0:
            return
        until = now + min(retry_after, MAX_RETRY_AFTER)
        self._until[name] = max(until, self._until.get(name, until))

    def backing_off(self, name: str, now: float) -> bool:
        until = self._until.get(name)
        if until is None:
            return False
        if now >= until:
            del self._until[name]
            return False
        return True

    def usable(
        self, targets: Sequence[Connection], now: float, healthy: Callable[[str], bool]
    ) -> tuple[Connection, ...]:
        """Targets in order, without those backing off and those whose OPTIONS are
        failing (`healthy(name)` False); if that leaves none, the list is empty (the
        caller answers 503: 'carrier unreachable')."""
        return tuple(t for t in targets if not self.backing_off(t.name, now) and healthy(t.name))
