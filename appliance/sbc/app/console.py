"""A syslog sink that prints to stderr, for `sbc run -v` in a terminal or a test log."""

from __future__ import annotations

import sys
from typing import TextIO

from ..logs import SinkStats, SyslogRecord


class ConsoleSink:
    name = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._sent = 0

    async def start(self) -> None:
        return None

    def submit(self, record: SyslogRecord) -> None:
        stream = self._stream or sys.stderr
        stamp = record.timestamp.strftime("%H:%M:%S.%f")[:-3] if record.timestamp else "-"
        kind = record.msgid or "-"
        try:
            stream.write(f"{stamp} {record.severity.name:<7} {kind:<8} {record.msg}\n")
            stream.flush()
        except (OSError, ValueError):
            return
        self._sent += 1

    async def close(self) -> None:
        return None

    def stats(self) -> SinkStats:
        return SinkStats(self.name, self._sent, 0)
