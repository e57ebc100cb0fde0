"""Reconnect delays: exponential with jitter, so many SBCs do not reconnect in step."""

from __future__ import annotations

import random
from collections.abc import Callable


class Backoff:
    """initial, initial*factor, ... capped at maximum; each spread by +/- jitter."""

    def __init__(
        self,
        initial: float = 0.5,
        maximum: float = 30.0,
        factor: float = 2.0,
        jitter: float = 0.2,
        rand: Callable[[], float] = random.random,
    ) -> None:
        if not 0 < initial <= maximum or factor < 1 or not 0 <= jitter < 1:
            raise ValueError("need 0 < initial <= maximum, factor >= 1, 0 <= jitter < 1")
        self._initial = initial
        self._maximum = maximum
        self._factor = factor
        self._jitter = jitter
        self._rand = rand
        self._next = initial

    def next_delay(self) -> float:
        """The delay before the next attempt; each call grows the one after."""
        base = self._next
        self._next = min(self._next * self._factor, self._maximum)
        return base * (1 + self._jitter * (2 * self._rand() - 1))

    def reset(self) -> None:
        """Call after a success: the next failure starts small again."""
        self._next = self._initial
