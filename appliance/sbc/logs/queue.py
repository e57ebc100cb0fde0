"""A bounded FIFO that drops the oldest entry when full, and counts what it dropped.

When the remote syslog server is down the SBC keeps running; the newest lines are the
ones an admin wants once it is back, so the oldest make room.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")

DEFAULT_QUEUE_SIZE = 1024


class DropOldestQueue(Generic[T]):
    """Thread-safe: the SBC may log from worker threads while the sender runs in asyncio."""

    def __init__(self, maxlen: int = DEFAULT_QUEUE_SIZE) -> None:
        if maxlen < 1:
            raise ValueError("queue size must be at least 1")
        self._items: deque[T] = deque()
        self._maxlen = maxlen
        self._lock = threading.Lock()
        self.dropped = 0

    def push(self, item: T) -> None:
        with self._lock:
            if len(self._items) >= self._maxlen:
                self._items.popleft()
                self.dropped += 1
            self._items.append(item)

    def pop(self) -> T | None:
        """The oldest item, or None when empty."""
        with self._lock:
            return self._items.popleft() if self._items else None

    def __len__(self) -> int:
        return len(self._items)

    @property
    def maxlen(self) -> int:
        return self._maxlen
