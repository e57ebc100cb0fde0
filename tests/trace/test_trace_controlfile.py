"""The control file that lets `sbc trace start|stop` switch the running SBC's trace."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from sbc.trace.control import TraceControl, TraceSettings
from sbc.trace.controlfile import (
    TraceRequest,
    TraceRequestError,
    apply_control_file,
    apply_request,
    decode_request,
    encode_request,
    read_request,
    watch_control_file,
    write_request,
)


def test_round_trip(tmp_path: Path) -> None:
    request = TraceRequest(True, TraceSettings(tmp_path / "t.pcap", True, 65536, 3))
    assert decode_request(encode_request(request)) == request
    control = tmp_path / "run" / "trace.json"
    assert read_request(control) is None
    write_request(request, control)
    assert read_request(control) == request


def test_defaults_fill_in() -> None:
    assert decode_request(b'{"active": false}') == TraceRequest(False, TraceSettings())


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"{", "not JSON"),
        (b"[]", "boolean 'active'"),
        (b'{"active": "yes"}', "boolean 'active'"),
        (b'{"active": true, "path": ""}', "'path'"),
        (b'{"active": true, "include_options": 1}', "'include_options'"),
        (b'{"active": true, "max_bytes": "big"}', "'max_bytes'"),
        (b'{"active": true, "files": true}', "'files'"),
        (b'{"active": true, "max_bytes": 10}', "max_bytes: must be at least"),
    ],
)
def test_bad_requests_name_the_problem(data: bytes, problem: str) -> None:
    with pytest.raises(TraceRequestError, match=problem):
        decode_request(data, "/run/opensbc/trace.json")


def test_apply(tmp_path: Path) -> None:
    trace = TraceControl()
    settings = TraceSettings(tmp_path / "t.pcap")
    apply_request(trace, TraceRequest(True, settings))
    assert trace.active and trace.settings == settings
    file = trace._file
    apply_request(trace, TraceRequest(True, settings))
    assert trace._file is file  # same request: no restart, no rotation
    apply_request(trace, TraceRequest(False))
    assert not trace.active
    apply_request(trace, None)
    assert not trace.active


def test_a_bad_file_leaves_the_trace_alone(tmp_path: Path,
                                           caplog: pytest.LogCaptureFixture) -> None:
    trace = TraceControl()
    trace.start(tmp_path / "t.pcap")
    control = tmp_path / "trace.json"
    control.write_text("{nonsense")
    apply_control_file(trace, control)
    assert trace.active
    assert "not JSON" in caplog.text
    trace.stop()


def test_watch_follows_the_file(tmp_path: Path) -> None:
    control = tmp_path / "trace.json"
    trace = TraceControl()
    pcap = tmp_path / "t.pcap"

    async def until(condition: object) -> None:
        async with asyncio.timeout(10):
            while not condition():  # type: ignore[operator]
                await asyncio.sleep(0.01)

    async def main() -> None:
        watcher = asyncio.create_task(watch_control_file(trace, control, interval=0.01))
        try:
            await asyncio.sleep(0.05)
            assert not trace.active  # no file: nothing happens
            write_request(TraceRequest(True, TraceSettings(pcap)), control)
            await until(lambda: trace.active)
            write_request(TraceRequest(True, TraceSettings(pcap, include_options=True)), control)
            os.utime(control, ns=(1, 1))  # same second on coarse clocks: force a new mtime
            await until(lambda: trace.settings is not None and trace.settings.include_options)
            control.unlink()
            await until(lambda: not trace.active)
        finally:
            watcher.cancel()
            with pytest.raises(asyncio.CancelledError):
                await watcher

    asyncio.run(main())
