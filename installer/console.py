"""Progress and errors on every console a person may be watching.

The installer runs as a service without a terminal; it writes each line to the
journal (stdout), the screen (tty1: what Hyper-V's viewer shows) and the first serial
port (ttyS0), skipping any that does not exist on this machine.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import TextIO

DEFAULT_TTYS = ("/dev/tty1", "/dev/ttyS0")


class Console:
    def __init__(self, ttys: Sequence[str] = DEFAULT_TTYS, stream: TextIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stdout
        self._ttys: list[TextIO] = []
        for path in ttys:
            try:
                self._ttys.append(open(path, "w", buffering=1, encoding="utf-8"))  # noqa: SIM115
            except OSError:
                continue  # no such port on this VM (Hyper-V Gen 2 without COM1, say)
        self._start = time.monotonic()

    def say(self, text: str) -> None:
        stamp = f"[{time.monotonic() - self._start:6.1f}s] "
        for line in text.splitlines() or [""]:
            self._write(stamp + line)

    def banner(self, title: str, body: str) -> None:
        rule = "=" * 72
        self._write(rule)
        self._write(title)
        for line in body.splitlines():
            self._write("  " + line)
        self._write(rule)

    def _write(self, line: str) -> None:
        self._stream.write(line + "\n")
        self._stream.flush()
        for tty in self._ttys:
            try:
                tty.write(line + "\r\n")
            except OSError:
                pass
