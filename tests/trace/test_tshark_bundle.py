"""tshark reads the merged pcap of a rotated trace (`sbc trace bundle`): every SIP
message of every file, in time order, and the walkthrough's display filters work."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from sbc.cli import main
from sbc.trace.bundle import trace_files
from sbc.trace.control import TraceControl

pytestmark = pytest.mark.peers

SBC, TEAMS = ("10.0.0.5", 5061), ("52.114.75.24", 40123)


def message(n: int) -> bytes:
    if n % 3 == 2:
        return (f"SIP/2.0 486 Busy Here\r\nCall-ID: call-{n}@sbc.example.com\r\n"
                f"From: <sip:+4930{n}@sbc.example.com>;tag=a\r\nTo: <sip:x@y>;tag=b\r\n"
                f"CSeq: {n} INVITE\r\nContent-Length: 0\r\n\r\n").encode()
    method = "OPTIONS" if n % 3 == 1 else "INVITE"
    return (f"{method} sip:+49{n}@sbc.example.com SIP/2.0\r\n"
            f"Via: SIP/2.0/TLS sbc.example.com;branch=z9hG4bK{n}\r\n"
            f"From: <sip:+4930{n}@sbc.example.com>;tag=a\r\nTo: <sip:x@y>\r\n"
            f"Call-ID: call-{n}@sbc.example.com\r\nCSeq: {n} {method}\r\n"
            "Content-Length: 0\r\n\r\n").encode()


def tshark(path: Path, display_filter: str, *fields: str) -> list[list[str]]:
    found = shutil.which("tshark")
    if found is None:
        pytest.skip("tshark not installed (tools/host-deps test installs it)")
    args = [found, "-r", str(path), "-Y", display_filter, "-T", "fields"]
    for field in fields:
        args += ["-e", field]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return [line.split("\t") for line in done.stdout.splitlines()]


def test_tshark_reads_the_merged_rotated_trace(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENSBC_RUN_DIR", str(tmp_path / "run"))
    path = tmp_path / "sip.pcap"
    clock = iter(1700000000.0 + i for i in range(1000))
    trace = TraceControl(clock=lambda: next(clock))
    trace.start(path, include_options=True, max_bytes=4096, files=10)
    for n in range(60):
        trace.record("tls", TEAMS if n % 2 else SBC, SBC if n % 2 else TEAMS, message(n))
    assert len(trace_files(path)) >= 3  # it rotated
    out = tmp_path / "merged.pcap"
    assert main(["trace", "bundle", "--path", str(path), "--out", str(out)]) == 0  # running
    trace.stop()
    rows = tshark(out, "sip", "sip.Call-ID", "frame.time_epoch")
    assert [r[0] for r in rows] == [f"call-{n}@sbc.example.com" for n in range(60)]
    stamps = [float(r[1]) for r in rows]
    assert stamps == sorted(stamps)
    # the filters the page shows
    assert len(tshark(out, 'sip.Method == "OPTIONS"', "sip.CSeq.seq")) == 20
    assert [r[0] for r in tshark(out, "sip.Status-Code >= 400", "sip.CSeq.seq")] == [
        str(n) for n in range(2, 60, 3)]
    assert tshark(out, 'sip.Call-ID == "call-7@sbc.example.com"', "sip.CSeq.seq") == [["7"]]
    assert tshark(out, 'sip.from.user contains "+493012"', "sip.CSeq.seq") == [["12"]]
