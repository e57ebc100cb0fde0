"""Bounded files and rotation: trace.pcap -> trace.1.pcap -> ..."""

from __future__ import annotations

from pathlib import Path

import pytest
from sbc.trace.encoder import PcapEncoder
from sbc.trace.rotation import RotatingFile, rotated_path, shift
from tracetest_pcap import read_pcap

HEADER = PcapEncoder.file_header()


def chunk(enc: PcapEncoder, i: int) -> bytes:
    return enc.encode("udp", ("192.0.2.1", 5060), ("192.0.2.2", 5060),
                      f"MESSAGE sip:{i} SIP/2.0\r\n\r\n".encode(), float(i))


def test_names() -> None:
    assert rotated_path(Path("/d/trace.pcap"), 0) == Path("/d/trace.pcap")
    assert rotated_path(Path("/d/trace.pcap"), 3) == Path("/d/trace.3.pcap")


def test_size_and_count_are_bounded(tmp_path: Path) -> None:
    path = tmp_path / "trace.pcap"
    enc = PcapEncoder()
    out = RotatingFile(path, HEADER, max_bytes=1000, files=3)
    for i in range(100):
        out.write(chunk(enc, i))
    out.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["trace.1.pcap", "trace.2.pcap", "trace.pcap"]
    numbers = []
    for name in ("trace.2.pcap", "trace.1.pcap", "trace.pcap"):
        data = (tmp_path / name).read_bytes()
        assert len(data) <= 1000
        _, packets = read_pcap(data)  # every file is a complete pcap on its own
        numbers += [int(p.payload.split(b":")[1].split(b" ")[0]) for p in packets]
    assert numbers == list(range(numbers[0], 100))  # newest kept, in order, no gaps
    assert out.rotations > 2


def test_a_chunk_bigger_than_the_limit_still_gets_written(tmp_path: Path) -> None:
    path = tmp_path / "t.pcap"
    out = RotatingFile(path, HEADER, max_bytes=100, files=2)
    out.write(b"x" * 500)
    out.write(b"y" * 10)
    out.close()
    assert rotated_path(path, 1).read_bytes() == HEADER + b"x" * 500
    assert path.read_bytes() == HEADER + b"y" * 10


def test_start_keeps_an_earlier_capture(tmp_path: Path) -> None:
    path = tmp_path / "trace.pcap"
    path.write_bytes(b"old capture")
    RotatingFile(path, HEADER, max_bytes=1000, files=2).close()
    assert rotated_path(path, 1).read_bytes() == b"old capture"
    assert path.read_bytes() == HEADER


def test_one_file_means_no_history(tmp_path: Path) -> None:
    path = tmp_path / "trace.pcap"
    out = RotatingFile(path, HEADER, max_bytes=200, files=1)
    enc = PcapEncoder()
    for i in range(20):
        out.write(chunk(enc, i))
    out.close()
    assert [p.name for p in tmp_path.iterdir()] == ["trace.pcap"]
    assert path.stat().st_size <= 200


def test_shift_drops_the_oldest(tmp_path: Path) -> None:
    path = tmp_path / "a.pcap"
    for n in range(4):
        rotated_path(path, n).write_text(str(n))
    shift(path, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.1.pcap", "a.2.pcap"]
    assert rotated_path(path, 1).read_text() == "0"
    assert rotated_path(path, 2).read_text() == "1"


def test_creates_the_directory(tmp_path: Path) -> None:
    RotatingFile(tmp_path / "x" / "y" / "t.pcap", HEADER, max_bytes=100, files=1).close()
    assert (tmp_path / "x" / "y" / "t.pcap").exists()


def test_bad_bounds() -> None:
    with pytest.raises(ValueError):
        RotatingFile(Path("/nonexistent/t.pcap"), HEADER, max_bytes=10, files=1)
    with pytest.raises(ValueError):
        RotatingFile(Path("/nonexistent/t.pcap"), HEADER, max_bytes=1000, files=0)
