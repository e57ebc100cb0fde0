"""RFC 5424 syslog messages: a record in, the exact bytes out (no I/O, no clock).

ABNF (RFC 5424 §6), quoted where each piece is built:

    SYSLOG-MSG      = HEADER SP STRUCTURED-DATA [SP MSG]
    HEADER          = PRI VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID
    PRI             = "<" PRIVAL ">"
    VERSION         = NONZERO-DIGIT 0*2DIGIT
    HOSTNAME        = NILVALUE / 1*255PRINTUSASCII
    APP-NAME        = NILVALUE / 1*48PRINTUSASCII
    PROCID          = NILVALUE / 1*128PRINTUSASCII
    MSGID           = NILVALUE / 1*32PRINTUSASCII
    STRUCTURED-DATA = NILVALUE / 1*SD-ELEMENT
    SD-ELEMENT      = "[" SD-ID *(SP SD-PARAM) "]"
    SD-PARAM        = PARAM-NAME "=" %d34 PARAM-VALUE %d34
    SD-NAME         = 1*32PRINTUSASCII ; except '=', SP, ']', %d34 (")
    PARAM-VALUE     = UTF-8-STRING ; characters '"', '\' and ']' MUST be escaped.
    MSG             = MSG-ANY / MSG-UTF8
    MSG-UTF8        = BOM UTF-8-STRING
    NILVALUE        = "-"
    PRINTUSASCII    = %d33-126
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .priority import Facility, Severity, prival

#: Our SD-ID is "sbc@ENTERPRISE_ID". 32473 is the Private Enterprise Number that
#: RFC 5612 reserves for documentation and examples; OpenSBC has no PEN of its own yet.
#: Registering one at IANA is free; when it exists, change it here and nowhere else.
ENTERPRISE_ID = 32473
SD_ID = f"sbc@{ENTERPRISE_ID}"

APP_NAME = "opensbc"
NILVALUE = "-"
BOM = b"\xef\xbb\xbf"

#: RFC 5424 §6.1: receivers SHOULD accept 2048 octets; RFC 5426 §3.2 lets UDP
#: receivers stop at 480 (IPv4). We default to 2048 and refuse to go below 480.
DEFAULT_MAX_SIZE = 2048
MIN_MAX_SIZE = 480

_HOSTNAME_MAX = 255
_APP_NAME_MAX = 48
_PROCID_MAX = 128
_MSGID_MAX = 32

# SD-NAME = 1*32PRINTUSASCII ; except '=', SP, ']', %d34 (")
_SD_NAME = re.compile(r'[!#-<>-\\^-~]{1,32}')
# PRINTUSASCII = %d33-126
_NOT_PRINTUSASCII = re.compile(r"[^!-~]")
# PARAM-VALUE: '"', '\' and ']' MUST be escaped (RFC 5424 §6.3.3)
_SD_ESCAPE = re.compile(r'(["\\\]])')


@dataclass(frozen=True)
class SDElement:
    """One SD-ELEMENT: an SD-ID and its parameters, in order."""

    sd_id: str
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, sd_id: str, params: Mapping[str, object]) -> SDElement:
        """Build from a mapping; None values are left out, others become str."""
        return cls(sd_id, tuple((k, _param_str(v)) for k, v in params.items() if v is not None))


@dataclass(frozen=True)
class SyslogRecord:
    """Everything one syslog message says; transports decide how it is framed."""

    severity: Severity
    msg: str
    msgid: str | None = None
    structured_data: tuple[SDElement, ...] = ()
    timestamp: datetime | None = None
    hostname: str | None = None
    app_name: str | None = APP_NAME
    procid: str | None = None
    facility: Facility = Facility.LOCAL0


def _param_str(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def format_timestamp(ts: datetime | None) -> str:
    """RFC 3339 as RFC 5424 §6.2.3 restricts it: microseconds at most, a numeric offset or Z."""
    if ts is None:
        return NILVALUE
    offset = ts.utcoffset()
    if offset is None:
        raise ValueError("syslog timestamps must carry a UTC offset (naive datetime given)")
    if offset % timedelta(minutes=1):
        # RFC 3339 offsets have no seconds; such zones only exist in old history.
        ts, offset = ts.astimezone(UTC), timedelta(0)
    text = ts.strftime("%Y-%m-%dT%H:%M:%S") + f".{ts.microsecond:06d}"
    if not offset:
        return text + "Z"
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(offset) // timedelta(minutes=1)
    return f"{text}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def header_field(value: str | None, limit: int) -> str:
    """A HOSTNAME/APP-NAME/PROCID/MSGID: printable US-ASCII, capped, "-" when empty.

    These come from configuration (host names) as well as from code, so bad characters
    are replaced rather than refused: a log line must never be lost to a typo.
    """
    if not value:
        return NILVALUE
    return _NOT_PRINTUSASCII.sub("_", value)[:limit]


def check_sd_name(name: str) -> str:
    """Return an SD-ID or PARAM-NAME unchanged, or raise: these are ours, not input."""
    if not _SD_NAME.fullmatch(name):
        raise ValueError(f"invalid RFC 5424 SD-NAME {name!r}")
    return name


def escape_param_value(value: str) -> str:
    """Backslash-escape '"', '\\' and ']' (RFC 5424 §6.3.3)."""
    return _SD_ESCAPE.sub(r"\\\1", value)


def format_structured_data(elements: tuple[SDElement, ...]) -> bytes:
    """STRUCTURED-DATA: the elements side by side, or "-" when there are none."""
    if not elements:
        return NILVALUE.encode()
    out = []
    for element in elements:
        parts = [check_sd_name(element.sd_id)]
        for name, value in element.params:
            parts.append(f'{check_sd_name(name)}="{escape_param_value(value)}"')
        out.append("[" + " ".join(parts) + "]")
    return "".join(out).encode("utf-8", "replace")


def format_header(record: SyslogRecord) -> bytes:
    """HEADER, from PRI to MSGID."""
    fields = (
        f"<{prival(record.facility, record.severity)}>1",
        format_timestamp(record.timestamp),
        header_field(record.hostname, _HOSTNAME_MAX),
        header_field(record.app_name, _APP_NAME_MAX),
        header_field(record.procid, _PROCID_MAX),
        header_field(record.msgid, _MSGID_MAX),
    )
    return " ".join(fields).encode("ascii")


def truncate_utf8(data: bytes, limit: int) -> bytes:
    """Cut at most `limit` bytes without splitting a UTF-8 sequence."""
    if len(data) <= limit:
        return data
    cut = data[: max(limit, 0)]
    return cut.decode("utf-8", "ignore").encode("utf-8")


def format_rfc5424(record: SyslogRecord, max_size: int = DEFAULT_MAX_SIZE) -> bytes:
    """The complete SYSLOG-MSG, at most `max_size` bytes.

    When too long the MSG is cut first (on a character boundary); if the header and
    structured data alone do not fit, the structured data goes, then the MSG entirely.
    """
    if max_size < MIN_MAX_SIZE:
        raise ValueError(f"max_size must be at least {MIN_MAX_SIZE} octets")
    header = format_header(record)
    sd = format_structured_data(record.structured_data)
    msg = record.msg.encode("utf-8", "replace")
    head = header + b" " + sd
    if len(head) > max_size:
        head = header + b" " + NILVALUE.encode()
    if not msg:
        return head[:max_size]
    room = max_size - len(head) - 1 - len(BOM)
    if room <= 0:
        return head[:max_size]
    return head + b" " + BOM + truncate_utf8(msg, room)
