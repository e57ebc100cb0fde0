"""The EventLog facade: one clear line, a sensible severity, structured data."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from sbc.logs.bridge import install_bridge, severity_for
from sbc.logs.events import EventLog, MsgId
from sbc.logs.priority import Facility, Severity
from sbc.logs.rfc5424 import SD_ID, SyslogRecord, format_rfc5424
from sbc.logs.sinks import SinkStats

NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


class ListSink:
    name = "list"

    def __init__(self) -> None:
        self.records: list[SyslogRecord] = []

    async def start(self) -> None:
        pass

    def submit(self, record: SyslogRecord) -> None:
        self.records.append(record)

    async def close(self) -> None:
        pass

    def stats(self) -> SinkStats:
        return SinkStats(self.name, len(self.records), 0)


class BrokenSink(ListSink):
    def submit(self, record: SyslogRecord) -> None:
        raise RuntimeError("bug in a sink")


@pytest.fixture
def sink() -> ListSink:
    return ListSink()


@pytest.fixture
def events(sink: ListSink) -> EventLog:
    return EventLog([sink], hostname="sbc.example.com", procid="7", clock=lambda: NOW,
                    facility=Facility.LOCAL3)


def params(rec: SyslogRecord) -> dict[str, str]:
    (element,) = rec.structured_data
    assert element.sd_id == SD_ID
    return dict(element.params)


def test_registration_succeeded(events: EventLog, sink: ListSink) -> None:
    rec = events.registration("telekom", True, status=200, expires=480, registrar="tel.t-online.de")
    assert rec.msg == "telekom: registration succeeded, expires in 480 s"
    assert (rec.severity, rec.msgid) == (Severity.INFO, "REGISTER")
    assert params(rec) == {"conn": "telekom", "result": "ok", "status": "200", "expires": "480",
                           "registrar": "tel.t-online.de"}
    assert sink.records == [rec]
    assert (rec.hostname, rec.procid, rec.timestamp, rec.facility) == (
        "sbc.example.com", "7", NOW, Facility.LOCAL3)


def test_registration_failed(events: EventLog) -> None:
    rec = events.registration("telekom", False, status=403, reason="Forbidden", retry_in=60)
    assert rec.msg == "telekom: registration failed (403 Forbidden), retrying in 60 s"
    assert rec.severity == Severity.WARNING
    assert params(rec)["retry"] == "60"
    assert events.registration("telekom", False).msg == (
        "telekom: registration failed (no response)")


def test_options_up_and_down(events: EventLog) -> None:
    up = events.options_status("Teams1", True, "200 OK", 23.4)
    assert up.msg == "Teams1: OPTIONS status up (200 OK, rtt 23 ms)"
    assert up.severity == Severity.NOTICE
    assert params(up) == {"conn": "Teams1", "status": "up", "response": "200 OK", "rtt_ms": "23"}
    down = events.options_status("Teams2", False)
    assert down.msg == "Teams2: OPTIONS status down (no response)"
    assert down.severity == Severity.WARNING
    assert events.options_status("x", True, "200 OK", 0.42).msg.endswith("rtt 0.4 ms)")


def test_tls_failure(events: EventLog) -> None:
    out = events.tls_failure("sip.pstnhub.microsoft.com:5061", "unknown issuer", conn="Teams1",
                             direction="out")
    assert out.msg == (
        "Teams1: TLS handshake to sip.pstnhub.microsoft.com:5061 failed: unknown issuer")
    assert out.severity == Severity.ERR
    inc = events.tls_failure("198.51.100.7:40212", "no client certificate")
    assert inc.msg == "TLS handshake from 198.51.100.7:40212 failed: no client certificate"
    assert inc.severity == Severity.WARNING
    assert params(inc) == {"peer": "198.51.100.7:40212", "dir": "in",
                           "reason": "no client certificate"}


def test_dropped_source(events: EventLog) -> None:
    rec = events.dropped_source("203.0.113.9", 12, method="OPTIONS", interval_s=60)
    assert rec.msg == ("dropped 12 requests from 203.0.113.9 in the last 60 s "
                       "(source not allowed by any connection; last was OPTIONS)")
    assert (rec.severity, rec.msgid) == (Severity.WARNING, MsgId.ACL)
    assert events.dropped_source("203.0.113.9", 1).msg == (
        "dropped 1 request from 203.0.113.9 (source not allowed by any connection)")


def test_whole_wire_line(events: EventLog) -> None:
    rec = events.options_status("Teams1", True, "200 OK", 23)
    assert format_rfc5424(rec) == (
        b"<157>1 2024-03-01T12:00:00.000000Z sbc.example.com opensbc 7 OPTIONS "
        b'[sbc@32473 conn="Teams1" status="up" response="200 OK" rtt_ms="23"] '
        b"\xef\xbb\xbfTeams1: OPTIONS status up (200 OK, rtt 23 ms)"
    )


def test_bad_param_name_is_our_bug(events: EventLog) -> None:
    with pytest.raises(ValueError, match="SD-NAME"):
        events.emit(Severity.INFO, "CDR", "x", {"call id": "1"})


def test_broken_sink_does_not_reach_the_caller(sink: ListSink) -> None:
    events = EventLog([BrokenSink(), sink], clock=lambda: NOW)
    events.dropped_source("192.0.2.1", 3)
    assert events.errors == 1
    assert len(sink.records) == 1


def test_no_sinks_is_fine() -> None:
    EventLog().registration("x", True)


@pytest.mark.parametrize(
    ("level", "severity"),
    [(logging.CRITICAL, Severity.CRIT), (logging.ERROR, Severity.ERR),
     (logging.WARNING, Severity.WARNING), (25, Severity.INFO), (logging.INFO, Severity.INFO),
     (logging.DEBUG, Severity.DEBUG)],
)
def test_level_mapping(level: int, severity: Severity) -> None:
    assert severity_for(level) == severity


def test_logging_bridge(events: EventLog, sink: ListSink) -> None:
    logger = logging.getLogger("sbc.test-bridge")
    handler = install_bridge(events, logger)
    try:
        logger.debug("not wanted")
        logger.warning("peer %s sent garbage", "192.0.2.1")
        logger.error("handshake", extra={"syslog_msgid": "TLS",
                                         "syslog_params": {"peer": "192.0.2.1:5061"}})
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logger.exception("unexpected")
    finally:
        logger.removeHandler(handler)
    first, second, third = sink.records
    assert (first.msg, first.severity, first.msgid) == (
        "peer 192.0.2.1 sent garbage", Severity.WARNING, "LOG")
    assert params(first) == {"logger": "sbc.test-bridge"}
    assert second.msgid == "TLS"
    assert params(second) == {"logger": "sbc.test-bridge", "peer": "192.0.2.1:5061"}
    assert third.msg.startswith("unexpected\nTraceback")


def test_bridge_does_not_loop(sink: ListSink) -> None:
    """A sink that logs while submitting must not recurse through the bridge."""
    logger = logging.getLogger("sbc.test-loop")

    class ChattySink(ListSink):
        def submit(self, record: SyslogRecord) -> None:
            super().submit(record)
            logger.warning("sink says something")

    chatty = ChattySink()
    handler = install_bridge(EventLog([chatty], clock=lambda: NOW), logger)
    try:
        logger.warning("one")
    finally:
        logger.removeHandler(handler)
    assert [r.msg for r in chatty.records] == ["one"]
