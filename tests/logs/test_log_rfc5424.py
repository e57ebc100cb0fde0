"""RFC 5424 formatting: exact bytes, escaping, limits."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sbc.logs.priority import Facility, Severity, prival
from sbc.logs.rfc5424 import (
    BOM,
    SD_ID,
    SDElement,
    SyslogRecord,
    escape_param_value,
    format_rfc5424,
    format_structured_data,
    format_timestamp,
)

TS = datetime(2024, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def record(**kw: object) -> SyslogRecord:
    base: dict[str, object] = dict(
        severity=Severity.NOTICE,
        msg="Teams1: OPTIONS status up (200 OK, rtt 23 ms)",
        msgid="OPTIONS",
        structured_data=(SDElement(SD_ID, (("conn", "Teams1"), ("status", "up"))),),
        timestamp=TS,
        hostname="sbc.example.com",
        procid="42",
        facility=Facility.LOCAL0,
    )
    base.update(kw)
    return SyslogRecord(**base)  # type: ignore[arg-type]


def test_whole_message_bytes() -> None:
    assert format_rfc5424(record()) == (
        b"<133>1 2024-03-01T12:00:00.123456Z sbc.example.com opensbc 42 OPTIONS "
        b'[sbc@32473 conn="Teams1" status="up"] '
        + BOM
        + b"Teams1: OPTIONS status up (200 OK, rtt 23 ms)"
    )


@pytest.mark.parametrize(
    ("facility", "severity", "expected"),
    [
        (Facility.KERN, Severity.EMERG, 0),
        (Facility.LOCAL0, Severity.INFO, 134),
        (Facility.LOCAL7, Severity.DEBUG, 191),
        (Facility.DAEMON, Severity.ERR, 27),
    ],
)
def test_prival(facility: Facility, severity: Severity, expected: int) -> None:
    assert prival(facility, severity) == expected


def test_facility_names() -> None:
    assert Facility.from_name("local0") is Facility.LOCAL0
    assert Facility.from_name("Daemon") is Facility.DAEMON
    with pytest.raises(ValueError, match="unknown syslog facility"):
        Facility.from_name("local9")


@pytest.mark.parametrize(
    ("ts", "text"),
    [
        (TS, "2024-03-01T12:00:00.123456Z"),
        (TS.astimezone(timezone(timedelta(hours=1))), "2024-03-01T13:00:00.123456+01:00"),
        (TS.astimezone(timezone(timedelta(hours=-5, minutes=-30))),
         "2024-03-01T06:30:00.123456-05:30"),
        (datetime(2024, 1, 1, tzinfo=timezone(timedelta(seconds=30))),
         "2023-12-31T23:59:30.000000Z"),
        (None, "-"),
    ],
)
def test_timestamp(ts: datetime | None, text: str) -> None:
    assert format_timestamp(ts) == text


def test_naive_timestamp_is_our_mistake() -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        format_timestamp(datetime(2024, 1, 1))


def test_param_value_escaping() -> None:
    assert escape_param_value('a"b\\c]d') == 'a\\"b\\\\c\\]d'
    sd = format_structured_data((SDElement(SD_ID, (("reason", 'bad "cert" [x]'),)),))
    assert sd == b'[sbc@32473 reason="bad \\"cert\\" [x\\]"]'


def test_empty_structured_data_is_nil() -> None:
    assert format_structured_data(()) == b"-"


@pytest.mark.parametrize("name", ["", "a b", "a=b", 'a"b', "a]b", "x" * 33, "ä"])
def test_bad_sd_names_raise(name: str) -> None:
    with pytest.raises(ValueError, match="SD-NAME"):
        format_structured_data((SDElement(name),))
    with pytest.raises(ValueError, match="SD-NAME"):
        format_structured_data((SDElement(SD_ID, ((name, "v"),)),))


def test_sd_element_of_mapping() -> None:
    element = SDElement.of(SD_ID, {"conn": "x", "rtt": 1.5, "up": True, "gone": None, "n": 3})
    assert element.params == (("conn", "x"), ("rtt", "1.5"), ("up", "true"), ("n", "3"))


def test_header_fields_are_sanitised_and_capped() -> None:
    data = format_rfc5424(record(hostname="bad host\n" + "x" * 300, procid="", msgid=None))
    header = data.split(b" [", 1)[0]
    fields = header.split(b" ")
    assert fields[2] == b"bad_host_" + b"x" * 246
    assert fields[4:] == [b"-", b"-"]


def test_no_msg_means_no_trailing_space() -> None:
    assert format_rfc5424(record(msg="", structured_data=())).endswith(b"opensbc 42 OPTIONS -")


def test_long_message_cut_on_character_boundary() -> None:
    data = format_rfc5424(record(msg="ü" * 2000), max_size=600)
    assert len(data) <= 600
    assert len(data) >= 599  # one 2-byte character may not fit
    msg = data.split(BOM, 1)[1]
    assert msg.decode("utf-8") == "ü" * (len(msg) // 2)


def test_oversized_structured_data_is_dropped_first() -> None:
    big = (SDElement(SD_ID, (("blob", "x" * 1000),)),)
    data = format_rfc5424(record(structured_data=big), max_size=600)
    assert b"[sbc@" not in data
    assert b" OPTIONS - " + BOM in data


def test_max_size_floor() -> None:
    with pytest.raises(ValueError, match="at least 480"):
        format_rfc5424(record(), max_size=100)


# A reader for the grammar, used to check that escaping round-trips.
_MSG = re.compile(
    rb"<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: (.*))?",
    re.S,
)
_PARAM = re.compile(r'([^= \]"]+)="((?:[^"\\]|\\.)*)"')


def parse(data: bytes) -> tuple[str, dict[str, str], str]:
    match = _MSG.fullmatch(data)
    assert match, data
    sd = match.group(7).decode("utf-8")
    params = {k: re.sub(r"\\(.)", r"\1", v) for k, v in _PARAM.findall(sd)}
    msg = match.group(8) or b""
    assert not msg or msg.startswith(BOM)
    return sd, params, msg[len(BOM):].decode("utf-8")


@given(
    values=st.dictionaries(
        st.sampled_from(["conn", "reason", "peer", "detail"]),
        st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
    ),
    msg=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200),
)
def test_any_values_round_trip(values: dict[str, str], msg: str) -> None:
    data = format_rfc5424(record(structured_data=(SDElement.of(SD_ID, values),), msg=msg))
    assert len(data) <= 2048
    _, params, text = parse(data)
    assert params == values
    assert text == msg
