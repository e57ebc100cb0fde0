"""The /dev/log line format and the settings dataclass."""

from __future__ import annotations

from datetime import datetime

import pytest
from sbc.logs.local_format import format_bsd_timestamp, format_local
from sbc.logs.priority import Facility, Severity
from sbc.logs.rfc5424 import SyslogRecord
from sbc.logs.settings import SyslogSettings


def test_bsd_timestamp_pads_day_with_space() -> None:
    assert format_bsd_timestamp(datetime(2024, 3, 1, 9, 5, 7)) == "Mar  1 09:05:07"
    assert format_bsd_timestamp(datetime(2024, 12, 24, 23, 0, 0)) == "Dec 24 23:00:00"


def test_local_line() -> None:
    rec = SyslogRecord(Severity.WARNING, "telekom: registration failed (403 Forbidden)",
                       procid="77", facility=Facility.LOCAL0)
    data = format_local(rec, now=datetime(2024, 3, 1, 9, 5, 7))
    assert data == b"<132>Mar  1 09:05:07 opensbc[77]: telekom: registration failed (403 Forbidden)"


def test_local_line_is_capped() -> None:
    rec = SyslogRecord(Severity.INFO, "x" * 10000)
    assert len(format_local(rec, now=datetime(2024, 3, 1), max_size=1000)) == 1000


def test_settings_defaults() -> None:
    s = SyslogSettings(hostname="sbc.example.com")
    assert (s.host, s.port, s.protocol, s.facility_code) == (None, 514, "udp", Facility.LOCAL0)
    assert s.remote is None
    assert SyslogSettings(host="2001:db8::1", port=6514, protocol="tls").remote == (
        "[2001:db8::1]:6514/tls"
    )
    assert SyslogSettings().hostname  # the machine's name when none is configured


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"protocol": "sctp"}, "protocol"),
        ({"port": 0}, "port"),
        ({"port": 70000}, "port"),
        ({"host": " "}, "host"),
        ({"facility": "local8"}, "facility"),
        ({"queue_size": 0}, "queue_size"),
        ({"max_message_size": 100}, "max_message_size"),
    ],
)
def test_settings_errors_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        SyslogSettings(**kwargs)  # type: ignore[arg-type]
