"""When the SBC's garbage collector runs its full passes.

Python's automatic full collection walks every live object, and a busy SBC keeps tens of
thousands alive for 32 s (each finished transaction waits for retransmissions, RFC 3261
Timers D, J, K). Under 100 calls/s those passes grew to 90 ms every few seconds: the
calls that arrived meanwhile waited. The SBC makes almost no reference cycles (a call's
objects are freed by reference counting; the rtpengine client, which made one per
request, is checked by tests/media/test_relay.py), so the young generations keep their
automatic passes (cheap: only new objects), and the full pass runs on a timer instead:
one pause a minute, not one every few seconds, and what few cycles there are still
freed.
"""

from __future__ import annotations

import asyncio
import gc
import logging

log = logging.getLogger(__name__)

FULL_INTERVAL = 60.0  # seconds between full collections
NEVER = 1_000_000  # the oldest generation's threshold: no automatic full pass


def settle_start_up() -> None:
    """What start-up made lives as long as the process: out of the collector's sight
    (a full pass in the first seconds otherwise walked it all: 137 ms seen)."""
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, NEVER)


async def full_collections(interval: float = FULL_INTERVAL) -> None:
    """Runs the full pass every `interval` seconds, for as long as the SBC runs."""
    while True:
        await asyncio.sleep(interval)
        found = gc.collect()
        if found:
            log.debug("garbage collector: %d objects in reference cycles freed", found)
