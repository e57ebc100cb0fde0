"""Which event loop `sbc run` runs on.

uvloop (libuv, Debian's python3-uvloop in the image) does the loop's own work and the
UDP and TLS transports in C: the share of each message that asyncio's pure-Python loop
spends in `_read_ready`, `sendto` and its handles. The SBC's code is the same on both
loops; asyncio's remains the fallback when uvloop is missing or broken, and the choice
can be forced (`sbc run --event-loop asyncio`) to tell a loop problem from an SBC one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

CHOICES = ("auto", "uvloop", "asyncio")


class LoopError(Exception):
    """The loop asked for cannot be had (uvloop asked for explicitly but missing)."""


@dataclass(frozen=True)
class LoopChoice:
    name: str  # "uvloop 0.17.0" or "asyncio": what the start-up log line and status say
    factory: Callable[[], asyncio.AbstractEventLoop]


def choose_loop(wanted: str = "auto") -> LoopChoice:
    """The loop for `wanted` (one of CHOICES). "auto" takes uvloop when it imports."""
    if wanted not in CHOICES:
        raise LoopError(f"unknown event loop {wanted!r}; choose one of {', '.join(CHOICES)}")
    if wanted != "asyncio":
        try:
            import uvloop
        except ImportError as exc:
            if wanted == "uvloop":
                raise LoopError(f"uvloop is not installed ({exc}); install python3-uvloop "
                                "or run with --event-loop asyncio") from exc
        else:
            return LoopChoice(f"uvloop {uvloop.__version__}", uvloop.new_event_loop)
    return LoopChoice("asyncio", asyncio.new_event_loop)
