"""TraceControl: start/stop, the OPTIONS switch, flushing, and never raising."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sbc.trace.control import TraceControl, TraceSettings
from sbc.trace.rotation import rotated_path
from tracetest_pcap import read_pcap

SBC, TEAMS = ("10.0.0.5", 5061), ("52.114.1.1", 40123)
OPTIONS = b"OPTIONS sip:sbc.example.com SIP/2.0\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
OPTIONS_200 = b"SIP/2.0 200 OK\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
INVITE = b"INVITE sip:+4930@sbc.example.com SIP/2.0\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def payloads(path: Path) -> list[bytes]:
    return [p.payload for p in read_pcap(path.read_bytes())[1]]


def test_inactive_by_default_and_record_is_a_no_op(tmp_path: Path) -> None:
    trace = TraceControl()
    assert not trace.active
    trace.record("udp", SBC, TEAMS, INVITE)
    assert trace.status().messages == 0


def test_start_record_stop(tmp_path: Path) -> None:
    path = tmp_path / "sip.pcap"
    trace = TraceControl(clock=Clock())
    trace.start(path, include_options=True)
    assert trace.active and trace.settings == TraceSettings(path, True)
    trace.record("tls", TEAMS, SBC, OPTIONS)
    trace.record("tls", SBC, TEAMS, OPTIONS_200)
    trace.record("tcp", SBC, TEAMS, b"\r\n\r\n")  # keep-alive: not a SIP message
    trace.record("udp", ("192.0.2.1", 5060, 0, 0), ("192.0.2.2", 5080), INVITE)  # type: ignore[arg-type]
    trace.stop()
    assert not trace.active
    assert payloads(path) == [OPTIONS, OPTIONS_200, INVITE]
    status = trace.status()
    assert (status.active, status.messages, status.skipped_options) == (False, 3, 0)
    assert status.bytes_written == path.stat().st_size - 24


def test_options_left_out(tmp_path: Path) -> None:
    path = tmp_path / "sip.pcap"
    trace = TraceControl()
    trace.start(path)  # include_options defaults to False, as in sbc.yaml
    for data in (OPTIONS, OPTIONS_200, INVITE):
        trace.record("tls", TEAMS, SBC, data)
    trace.stop()
    assert payloads(path) == [INVITE]
    assert trace.status().skipped_options == 2


def test_buffered_until_the_flush_interval(tmp_path: Path) -> None:
    path = tmp_path / "sip.pcap"
    clock = Clock()
    trace = TraceControl(clock=clock, flush_interval=1.0)
    trace.start(path)
    trace.record("udp", SBC, TEAMS, INVITE)
    assert path.stat().st_size == 24  # only the header so far
    clock.now += 2
    trace.record("udp", SBC, TEAMS, INVITE)
    assert payloads(path) == [INVITE, INVITE]
    trace.stop()


def test_rotation_through_the_control(tmp_path: Path) -> None:
    path = tmp_path / "sip.pcap"
    trace = TraceControl()
    trace.start(path, max_bytes=4096, files=2)
    for _ in range(200):
        trace.record("tcp", SBC, TEAMS, INVITE)
    trace.stop()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sip.1.pcap", "sip.pcap"]
    assert all(p.stat().st_size <= 4096 for p in tmp_path.iterdir())
    assert trace.status().rotations > 1
    assert len(payloads(path)) + len(payloads(rotated_path(path, 1))) < 200


def test_restart_with_new_settings_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "sip.pcap"
    trace = TraceControl()
    trace.start(path)
    trace.record("udp", SBC, TEAMS, INVITE)
    trace.start(path, include_options=True)
    trace.record("udp", SBC, TEAMS, OPTIONS)
    trace.stop()
    assert payloads(rotated_path(path, 1)) == [INVITE]
    assert payloads(path) == [OPTIONS]


def test_a_bad_address_is_counted_not_raised(tmp_path: Path) -> None:
    trace = TraceControl()
    trace.start(tmp_path / "sip.pcap")
    trace.record("udp", ("not-an-ip", 5060), TEAMS, INVITE)
    assert trace.status().errors == 1
    assert trace.active
    trace.stop()


def test_a_write_error_stops_the_trace(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    trace = TraceControl()
    trace.start(tmp_path / "sip.pcap")
    file = trace._file
    assert file is not None

    def disk_full(chunk: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(file, "write", disk_full)
    with caplog.at_level(logging.ERROR, logger="sbc.trace"):
        trace.record("udp", SBC, TEAMS, INVITE)
        trace.record("udp", SBC, TEAMS, INVITE)
    assert not trace.active
    assert trace.status().errors == 1
    assert "SIP trace stopped" in caplog.text and "No space left" in caplog.text


def test_settings_bounds() -> None:
    with pytest.raises(ValueError, match="max_bytes"):
        TraceSettings(max_bytes=100)
    with pytest.raises(ValueError, match="files"):
        TraceSettings(files=0)
