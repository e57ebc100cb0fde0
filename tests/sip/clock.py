"""Drive a transaction (or the layer) through test time, one millisecond at a time."""

from __future__ import annotations

from typing import Protocol

from sbc.sip.transaction import Action


class Timed(Protocol):
    def next_timer(self) -> float | None: ...

    def handle_timer(self, now: float) -> list[Action]: ...


def run(machine: Timed, start_ms: int, end_ms: int) -> list[tuple[int, Action]]:
    """Move the clock from ``start_ms`` to ``end_ms`` (inclusive) in 1 ms steps and
    return every action with the millisecond it happened at."""
    out: list[tuple[int, Action]] = []
    for ms in range(start_ms, end_ms + 1):
        now = ms / 1000
        due = machine.next_timer()
        if due is not None and due <= now + 1e-9:
            out += [(ms, action) for action in machine.handle_timer(now)]
    return out


def kinds(events: list[tuple[int, Action]]) -> list[tuple[int, str]]:
    """``(ms, action class name)`` pairs, for compact assertions."""
    return [(ms, type(action).__name__) for ms, action in events]
