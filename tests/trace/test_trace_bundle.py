"""All of a trace at once: the files in order, one merged pcap in time order
(`sbc trace files`, `sbc trace bundle`), and messages on disk without a Stop."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from sbc.cli import main
from sbc.trace import pcap
from sbc.trace.bundle import PcapError, describe, merge_pcaps, parse_pcap, trace_files
from sbc.trace.control import TraceControl
from sbc.trace.rotation import rotated_path
from tracetest_pcap import read_pcap

SBC, TEAMS = ("10.0.0.5", 5061), ("52.114.1.1", 40123)


def invite(n: int) -> bytes:
    return (f"INVITE sip:+49{n}@sbc.example.com SIP/2.0\r\nCall-ID: call-{n}@x\r\n"
            f"CSeq: {n} INVITE\r\nContent-Length: 0\r\n\r\n").encode()


def capture(*records: tuple[float, bytes]) -> bytes:
    return pcap.file_header() + b"".join(pcap.record(ts, p) for ts, p in records)


def rotated_trace(path: Path, messages: int = 150) -> TraceControl:
    """A trace that rotated (small files): messages invite(0) .. invite(messages-1)."""
    clock = iter(1700000000.0 + i for i in range(10000))
    trace = TraceControl(clock=lambda: next(clock))
    trace.start(path, include_options=True, max_bytes=4096, files=5)
    for n in range(messages):
        trace.record("tls", TEAMS, SBC, invite(n))
    return trace


# -- sans-IO merge -------------------------------------------------------------------


def test_merge_orders_by_time_and_keeps_the_header() -> None:
    a = capture((10.0, b"a1"), (30.0, b"a3"))
    b = capture((20.0, b"b2"), (30.0, b"b3"), (40.0, b"b4"))
    merged = merge_pcaps([("a", a), ("b", b)])
    assert merged[:24] == pcap.file_header()
    parsed = parse_pcap(merged)
    assert [r[-2:] for _, r in parsed.records] == [b"a1", b"b2", b"a3", b"b3", b"b4"]
    assert parsed.first == 10.0 and parsed.last == 40.0


def test_merge_of_nothing_is_an_empty_capture() -> None:
    assert merge_pcaps([]) == pcap.file_header()
    assert merge_pcaps([("a", pcap.file_header())]) == pcap.file_header()


def test_a_cut_last_record_is_left_out() -> None:
    whole = capture((1.0, b"one"), (2.0, b"two"))
    parsed = parse_pcap(whole[:-1])
    assert len(parsed.records) == 1 and parsed.truncated == 16 + 2
    assert merge_pcaps([("a", whole[:-1])]) == capture((1.0, b"one"))


def test_foreign_files_are_refused() -> None:
    with pytest.raises(PcapError, match="b: .*shorter than a pcap header"):
        merge_pcaps([("a", capture()), ("b", b"\xd4\xc3")])
    nanos = struct.pack("<I", 0xA1B23C4D) + capture()[4:]
    with pytest.raises(PcapError, match="magic 0xa1b23c4d"):
        merge_pcaps([("n", nanos)])
    ether = pcap.file_header(linktype=1)
    with pytest.raises(PcapError, match="e: link type 1, not 101 as a"):
        merge_pcaps([("a", capture()), ("e", ether)])


# -- the files of a rotated trace ------------------------------------------------------


def test_messages_are_on_disk_before_stop(tmp_path: Path) -> None:
    path = tmp_path / "sip.pcap"
    trace = TraceControl()
    trace.start(path)
    trace.record("tls", TEAMS, SBC, invite(1))
    assert [p.payload for p in read_pcap(path.read_bytes())[1]] == [invite(1)]
    trace.stop()


def test_files_oldest_first_and_bundle_has_every_message(tmp_path: Path) -> None:
    path = tmp_path / "sip.pcap"
    trace = rotated_trace(path)
    files = trace_files(path)  # still running: read while the SBC writes
    assert files == [rotated_path(path, n) for n in (4, 3, 2, 1, 0)]
    info = describe(path)
    assert [f.number for f in info] == [4, 3, 2, 1, 0]
    assert all(f.packets and f.error is None for f in info)
    assert info[0].first is not None and info[-1].last is not None
    assert info[0].first < info[-1].last
    merged = merge_pcaps([(str(f), f.read_bytes()) for f in files])
    payloads = [p.payload for p in read_pcap(merged)[1]]
    assert payloads == [invite(n) for n in range(150 - len(payloads), 150)]
    assert len(payloads) == sum(f.packets for f in info)
    trace.stop()


def test_gaps_and_strangers_in_the_folder(tmp_path: Path) -> None:
    path = tmp_path / "sip.pcap"
    for name in ("sip.pcap", "sip.2.pcap", "sip.10.pcap", "sip.x.pcap", "other.1.pcap"):
        (tmp_path / name).write_bytes(capture())
    assert [f.name for f in trace_files(path)] == ["sip.10.pcap", "sip.2.pcap", "sip.pcap"]
    assert trace_files(tmp_path / "none.pcap") == []


# -- the CLI -----------------------------------------------------------------------------


def test_cli_files_and_bundle(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENSBC_RUN_DIR", str(tmp_path / "run"))
    path = tmp_path / "trace/sip.pcap"
    rotated_trace(path).stop()
    assert main(["trace", "files", "--path", str(path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["path"] == str(path)
    assert [f["name"] for f in doc["files"]] == [
        "sip.4.pcap", "sip.3.pcap", "sip.2.pcap", "sip.1.pcap", "sip.pcap"]
    assert doc["total_bytes"] == sum(f["size"] for f in doc["files"])
    assert doc["files"][0]["first"].endswith("Z")
    out = tmp_path / "all.pcap"
    assert main(["trace", "bundle", "--path", str(path), "--out", str(out)]) == 0
    assert "5 file(s) merged" in capsys.readouterr().out
    assert len(read_pcap(out.read_bytes())[1]) == doc["packets"]
    assert main(["trace", "files", "--path", str(path)]) == 0
    assert str(rotated_path(path, 4)) in capsys.readouterr().out


def test_cli_bundle_to_stdout_and_without_files(tmp_path: Path,
                                                capfdbinary: pytest.CaptureFixture[bytes],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENSBC_RUN_DIR", str(tmp_path / "run"))
    path = tmp_path / "sip.pcap"
    assert main(["trace", "bundle", "--path", str(path), "--out", "-"]) == 1
    assert b"no trace file yet: " + str(path).encode() in capfdbinary.readouterr().err
    path.write_bytes(capture((5.0, b"x")))
    assert main(["trace", "bundle", "--path", str(path), "--out", "-"]) == 0
    assert capfdbinary.readouterr().out == capture((5.0, b"x"))
    path.write_bytes(b"junk" * 10)
    assert main(["trace", "bundle", "--path", str(path), "--out", "-"]) == 1
    assert b"not a pcap file of this trace" in capfdbinary.readouterr().err


def test_cli_finds_the_path_in_the_status(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    run = tmp_path / "run"
    run.mkdir()
    monkeypatch.setenv("OPENSBC_RUN_DIR", str(run))
    path = tmp_path / "t/sip.pcap"
    (run / "status.json").write_text(json.dumps({"trace": {"active": False, "path": None,
                                                           "configured_path": str(path)}}))
    assert main(["trace", "files", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "path": str(path), "files": [], "total_bytes": 0, "packets": 0}


def test_describe_counts_whole_records_only(tmp_path: Path) -> None:
    path = tmp_path / "sip.pcap"
    path.write_bytes(capture((1.5, b"one"), (2.5, b"two"))[:-1])  # the SBC is mid-write
    (tmp_path / "sip.1.pcap").write_bytes(b"junk" * 10)
    old, current = describe(path)
    assert (old.number, old.packets, old.size) == (1, 0, 40)
    assert old.error is not None and "not a pcap file of this trace" in old.error
    assert (current.number, current.packets, current.first, current.last) == (0, 1, 1.5, 1.5)
    assert current.error is None and current.as_json()["first"] == "1970-01-01T00:00:01.500Z"
