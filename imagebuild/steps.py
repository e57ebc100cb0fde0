"""Named build steps that log their start, end and duration."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

log = logging.getLogger("build")


@dataclass
class StepTimes:
    """Durations of the steps run so far, in order, for the final summary."""

    times: list[tuple[str, float]] = field(default_factory=list)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        log.info("step %s: start", name)
        start = time.monotonic()
        try:
            yield
        except BaseException:
            log.error("step %s: FAILED after %.1f s", name, time.monotonic() - start)
            raise
        took = time.monotonic() - start
        self.times.append((name, took))
        log.info("step %s: done in %.1f s", name, took)

    def summary(self) -> str:
        rows = [f"  {name:<12} {secs:7.1f} s" for name, secs in self.times]
        total = sum(secs for _, secs in self.times)
        return "\n".join(["Build steps:", *rows, f"  {'total':<12} {total:7.1f} s"])
