"""The local socket format: what glibc's syslog(3) writes to /dev/log.

journald and rsyslog's imuxsock both parse this form and take the identifier and
PID from it (SYSLOG_IDENTIFIER, SYSLOG_PID); an RFC 5424 line would be stored with
its header as part of the text. So the local sink gets the human line in this form
and the remote sinks get full RFC 5424 with structured data.

    <PRI>Mmm dd hh:mm:ss APP[PROCID]: MSG
"""

from __future__ import annotations

from datetime import datetime

from .priority import prival
from .rfc5424 import APP_NAME, SyslogRecord, header_field, truncate_utf8

#: journald accepts up to LINE_MAX-ish datagrams happily; keep lines readable.
LOCAL_MAX_SIZE = 8192

# Fixed English month names: syslog(3) timestamps are not localised.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_bsd_timestamp(ts: datetime) -> str:
    """RFC 3164 TIMESTAMP: "Mmm dd hh:mm:ss", day padded with a space."""
    return f"{_MONTHS[ts.month - 1]} {ts.day:2d} {ts:%H:%M:%S}"


def format_local(record: SyslogRecord, now: datetime, max_size: int = LOCAL_MAX_SIZE) -> bytes:
    """One datagram for /dev/log. `now` is used when the record has no timestamp."""
    ts = record.timestamp or now
    if ts.tzinfo is not None:
        ts = ts.astimezone()  # the local socket speaks local time, like syslog(3)
    tag = header_field(record.app_name or APP_NAME, 48)
    if record.procid:
        tag += f"[{header_field(record.procid, 128)}]"
    head = f"<{prival(record.facility, record.severity)}>{format_bsd_timestamp(ts)} {tag}: "
    data = head.encode("ascii")
    return data + truncate_utf8(record.msg.encode("utf-8", "replace"), max_size - len(data))
