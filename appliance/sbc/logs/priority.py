"""Syslog facilities and severities (RFC 5424 §6.2.1) and the PRI value built from them."""

from __future__ import annotations

import enum


class Severity(enum.IntEnum):
    """RFC 5424 Table 2; lower is more severe."""

    EMERG = 0
    ALERT = 1
    CRIT = 2
    ERR = 3
    WARNING = 4
    NOTICE = 5
    INFO = 6
    DEBUG = 7


class Facility(enum.IntEnum):
    """RFC 5424 Table 1, named as rsyslog and logger(1) spell them."""

    KERN = 0
    USER = 1
    MAIL = 2
    DAEMON = 3
    AUTH = 4
    SYSLOG = 5
    LPR = 6
    NEWS = 7
    UUCP = 8
    CRON = 9
    AUTHPRIV = 10
    FTP = 11
    NTP = 12
    SECURITY = 13
    CONSOLE = 14
    SOLARIS_CRON = 15
    LOCAL0 = 16
    LOCAL1 = 17
    LOCAL2 = 18
    LOCAL3 = 19
    LOCAL4 = 20
    LOCAL5 = 21
    LOCAL6 = 22
    LOCAL7 = 23

    @classmethod
    def from_name(cls, name: str) -> Facility:
        """Look up a facility by its configuration name ("local0", "daemon", ...)."""
        try:
            return cls[name.strip().upper().replace("-", "_")]
        except KeyError:
            names = ", ".join(f.name.lower() for f in cls)
            raise ValueError(f"unknown syslog facility {name!r} (one of: {names})") from None


def prival(facility: Facility, severity: Severity) -> int:
    """PRIVAL = facility * 8 + severity (RFC 5424 §6.2.1)."""
    return int(facility) * 8 + int(severity)
