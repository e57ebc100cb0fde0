"""`sbc` under cProfile, switched on and off from outside.

    python -m benchmarks.sip_profile OUT.prof run --config F ...

The first SIGUSR1 starts profiling, the second stops it and writes OUT.prof (pstats).
cProfile's default clock (wall time, read cheaply) is used: a CPU-time clock costs a
system call per function call, which would swamp the ~1,700 calls of one OPTIONS. The
reader leaves out the time spent waiting in epoll. SIGUSR1 is not used by `sbc run`
(it uses TERM, INT, HUP and USR2).
"""

from __future__ import annotations

import cProfile
import signal
import sys
from types import FrameType


def main(argv: list[str]) -> int:
    out, args = argv[0], argv[1:]
    prof = cProfile.Profile()
    state = {"on": False, "done": False}

    def toggle(signum: int, frame: FrameType | None) -> None:
        if state["done"]:
            return
        if not state["on"]:
            state["on"] = True
            prof.enable()
        else:
            prof.disable()
            state["done"] = True
            prof.dump_stats(out)

    signal.signal(signal.SIGUSR1, toggle)
    from sbc.cli import main as sbc_main

    return sbc_main(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
