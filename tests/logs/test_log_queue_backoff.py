"""The drop-oldest queue and the reconnect backoff."""

from __future__ import annotations

import threading

import pytest
from sbc.logs.backoff import Backoff
from sbc.logs.queue import DropOldestQueue


def test_queue_drops_oldest_and_counts() -> None:
    queue: DropOldestQueue[int] = DropOldestQueue(3)
    for i in range(5):
        queue.push(i)
    assert queue.dropped == 2
    assert len(queue) == 3
    assert [queue.pop() for _ in range(4)] == [2, 3, 4, None]


def test_queue_size_must_be_positive() -> None:
    with pytest.raises(ValueError):
        DropOldestQueue(0)


def test_queue_from_threads_stays_bounded() -> None:
    queue: DropOldestQueue[int] = DropOldestQueue(100)

    def producer() -> None:
        for i in range(1000):
            queue.push(i)

    threads = [threading.Thread(target=producer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert len(queue) == 100
    assert queue.dropped == 3900


def test_backoff_grows_caps_and_resets() -> None:
    backoff = Backoff(initial=0.5, maximum=4.0, rand=lambda: 0.5)  # 0.5 = no jitter
    assert [backoff.next_delay() for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    backoff.reset()
    assert backoff.next_delay() == 0.5


@pytest.mark.parametrize(("r", "expected"), [(0.0, 0.8), (1.0, 1.2)])
def test_backoff_jitter_bounds(r: float, expected: float) -> None:
    assert Backoff(initial=1.0, jitter=0.2, rand=lambda: r).next_delay() == pytest.approx(expected)


def test_backoff_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        Backoff(initial=5, maximum=1)
