"""Python `logging` into the same syslog sinks as the SBC's events.

Ordinary `log.warning(...)` calls anywhere in `sbc` reach the journal and the remote
server. A record may carry `extra={"syslog_msgid": "TLS", "syslog_params": {...}}` to
set the MSGID and structured data.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

from .events import EventLog, MsgId
from .priority import Severity

_reentry = threading.local()


def severity_for(levelno: int) -> Severity:
    """logging levels to RFC 5424 severities; custom levels fall to the next lower one."""
    if levelno >= logging.CRITICAL:
        return Severity.CRIT
    if levelno >= logging.ERROR:
        return Severity.ERR
    if levelno >= logging.WARNING:
        return Severity.WARNING
    if levelno >= logging.INFO:
        return Severity.INFO
    return Severity.DEBUG


class SyslogBridgeHandler(logging.Handler):
    """A logging.Handler that emits through an EventLog."""

    def __init__(self, events: EventLog, level: int = logging.INFO) -> None:
        super().__init__(level)
        self.events = events

    def emit(self, record: logging.LogRecord) -> None:
        # A sink that logs while submitting would otherwise come straight back here.
        if getattr(_reentry, "active", False):
            return
        _reentry.active = True
        try:
            msgid = getattr(record, "syslog_msgid", MsgId.LOG)
            params: dict[str, object] = {"logger": record.name}
            extra = getattr(record, "syslog_params", None)
            if isinstance(extra, Mapping):
                params.update(extra)
            self.events.emit(severity_for(record.levelno), msgid, self.format(record), params)
        except Exception:
            self.handleError(record)
        finally:
            _reentry.active = False


def install_bridge(
    events: EventLog, logger: logging.Logger | None = None, level: int = logging.INFO
) -> SyslogBridgeHandler:
    """Attach a bridge to `logger` (the `sbc` logger by default) and return it."""
    handler = SyslogBridgeHandler(events, level)
    target = logger if logger is not None else logging.getLogger("sbc")
    target.addHandler(handler)
    if target.level == logging.NOTSET or target.level > level:
        target.setLevel(level)
    return handler
