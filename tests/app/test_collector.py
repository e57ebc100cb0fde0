"""sbc.app.collector: no automatic full pass, a full pass on the timer instead."""

from __future__ import annotations

import asyncio
import gc

from sbc.app import collector


def test_start_up_freezes_and_turns_the_automatic_full_pass_off() -> None:
    before = gc.get_threshold()
    try:
        collector.settle_start_up()
        young, middle, oldest = gc.get_threshold()
        assert (young, middle) == before[:2] and oldest == collector.NEVER
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_the_timer_frees_cycles() -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self

    async def main() -> int:
        gc.collect()
        gc.disable()
        try:
            for _ in range(100):
                Node()  # a cycle: only a collection frees it
            task = asyncio.create_task(collector.full_collections(interval=0.01))
            await asyncio.sleep(0.05)
            task.cancel()
            return sum(isinstance(o, Node) for o in gc.get_objects())
        finally:
            gc.enable()

    assert asyncio.run(main()) == 0
