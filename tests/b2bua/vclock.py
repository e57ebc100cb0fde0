"""An event loop on a virtual clock: when nothing is ready to run, its time jumps to the
next timer instead of waiting for it. Call-flow tests then run the protocol's own timers
(T1 = 0.5 s, Timer L, failover, session refreshes) in no wall time, and deterministically.

    with asyncio.Runner(loop_factory=VirtualClockLoop) as runner:
        runner.run(main())

Only for code without sockets of its own (the rigs here use a fake wire): real I/O would
still wait in real time, and a thread's work would not hold the clock back.
"""

from __future__ import annotations

import asyncio
import selectors
from typing import Any


class _JumpingSelector(selectors.DefaultSelector):
    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0

    def select(self, timeout: float | None = None) -> list[tuple[Any, int]]:
        events = super().select(0)  # the loop's own self-pipe wake-ups still count
        if events or timeout == 0:
            return events
        if timeout is None:  # nothing scheduled at all: a real short wait, never a jump
            return super().select(0.01)
        self.now += timeout
        return []


class VirtualClockLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        self._jumping = _JumpingSelector()
        super().__init__(self._jumping)

    def time(self) -> float:
        return self._jumping.now
