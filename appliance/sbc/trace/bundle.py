"""All files of one trace as one download: the list in order, and one merged pcap.

The trace rotates (sip.pcap, sip.1.pcap .. sip.N.pcap, the highest number oldest).
`sbc trace files` lists them; `sbc trace bundle` merges them into one pcap in time
order, which Wireshark opens like any capture.

Merging is sans-IO (`merge_pcaps`: bytes in, bytes out). All our files have the same
header (classic pcap, microseconds, little-endian, LINKTYPE_RAW); a file that differs
is refused rather than converted. A record cut short at the end of a file (read while
the SBC writes it) is left out.
"""

from __future__ import annotations

import datetime
import glob
import heapq
import os
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from . import pcap
from .rotation import rotated_path

_RECORD = struct.Struct("<IIII")


class PcapError(ValueError):
    """Not a pcap file this trace wrote (names the file and the problem)."""


@dataclass(frozen=True)
class Capture:
    """One parsed file: its 24-byte header and its records, each with its timestamp."""

    header: bytes
    records: list[tuple[int, bytes]]  # (microseconds since the epoch, record bytes)
    truncated: int = 0  # bytes of an incomplete last record, left out

    @property
    def first(self) -> float | None:
        return self.records[0][0] / 1e6 if self.records else None

    @property
    def last(self) -> float | None:
        return self.records[-1][0] / 1e6 if self.records else None


def parse_pcap(data: bytes, name: str = "pcap") -> Capture:
    """Split one classic little-endian pcap file into its records."""
    if len(data) < pcap.FILE_HEADER_SIZE:
        raise PcapError(f"{name}: {len(data)} bytes, shorter than a pcap header")
    magic = struct.unpack_from("<I", data)[0]
    if magic != pcap.MAGIC_MICROSECONDS:
        raise PcapError(f"{name}: not a pcap file of this trace (magic {magic:#010x})")
    records: list[tuple[int, bytes]] = []
    offset = pcap.FILE_HEADER_SIZE
    end = len(data)
    while offset + pcap.RECORD_HEADER_SIZE <= end:
        seconds, micros, caplen, _ = _RECORD.unpack_from(data, offset)
        stop = offset + pcap.RECORD_HEADER_SIZE + caplen
        if stop > end:
            break
        records.append((seconds * 1_000_000 + micros, data[offset:stop]))
        offset = stop
    return Capture(data[: pcap.FILE_HEADER_SIZE], records, end - offset)


def linktype(header: bytes) -> int:
    return int(struct.unpack_from("<I", header, 20)[0])


def merge_pcaps(files: Sequence[tuple[str, bytes]]) -> bytes:
    """One pcap with the records of all `files` ((name, data), any order) in time order.

    Records with the same timestamp keep the order of `files` and their order within
    a file, so pass the oldest file first. Raises PcapError for a foreign file or
    different link types; with no files at all, an empty capture of ours.
    """
    captures = [parse_pcap(data, name) for name, data in files]
    if not captures:
        return pcap.file_header()
    header = captures[0].header
    for (name, _), capture in zip(files, captures, strict=True):
        if linktype(capture.header) != linktype(header):
            raise PcapError(f"{name}: link type {linktype(capture.header)}, "
                            f"not {linktype(header)} as {files[0][0]}")
    merged = heapq.merge(*(_keyed(i, c) for i, c in enumerate(captures)))
    return header + b"".join(record for _, _, _, record in merged)


def _keyed(index: int, capture: Capture) -> Iterator[tuple[int, int, int, bytes]]:
    for n, (stamp, record) in enumerate(capture.records):
        yield stamp, index, n, record


# -- the files on disk ------------------------------------------------------------------


def trace_files(path: Path) -> list[Path]:
    """The files of the trace at `path` that exist, oldest first (sip.N.pcap .. sip.pcap).

    A gap in the numbers (a file deleted by hand) does not end the list.
    """
    numbers = []
    for file in path.parent.glob(f"{glob.escape(path.stem)}.*{glob.escape(path.suffix)}"):
        number = file.name[len(path.stem) + 1 : len(file.name) - len(path.suffix)]
        if number.isdigit() and int(number) > 0 and file.is_file():
            numbers.append(int(number))
    older = [rotated_path(path, n) for n in sorted(numbers, reverse=True)]
    return older + ([path] if path.is_file() else [])


@dataclass(frozen=True)
class FileInfo:
    path: Path
    number: int  # 0: the current file, 1: the newest rotated one, ...
    size: int
    modified: float
    packets: int
    first: float | None
    last: float | None
    error: str | None = None

    def as_json(self) -> dict[str, object]:
        return {"path": str(self.path), "name": self.path.name, "number": self.number,
                "size": self.size, "modified": _iso(self.modified), "packets": self.packets,
                "first": _iso(self.first), "last": _iso(self.last), "error": self.error}


def describe(path: Path) -> list[FileInfo]:
    """trace_files() with sizes, packet counts and the time span of each (oldest first).

    Reads only the record headers, so listing a full trace (5 x 10 MiB) stays cheap.
    """
    out = []
    for file in trace_files(path):
        number = _number(path, file)
        try:
            with open(file, "rb") as f:
                stat = os.fstat(f.fileno())
                packets, first, last = _scan(f, stat.st_size, str(file))
        except OSError as exc:
            out.append(FileInfo(file, number, 0, 0.0, 0, None, None, str(exc)))
        except PcapError as exc:
            out.append(FileInfo(file, number, stat.st_size, stat.st_mtime, 0, None, None,
                                str(exc)))
        else:
            out.append(FileInfo(file, number, stat.st_size, stat.st_mtime, packets, first, last))
    return out


def _scan(f: BinaryIO, size: int, name: str) -> tuple[int, float | None, float | None]:
    """(packets, first, last timestamp) of an open pcap file, header by header."""
    head = f.read(pcap.FILE_HEADER_SIZE)
    parse_pcap(head, name)  # the checks of the file header
    packets, first, last = 0, None, None
    while len(record := f.read(pcap.RECORD_HEADER_SIZE)) == pcap.RECORD_HEADER_SIZE:
        seconds, micros, caplen, _ = _RECORD.unpack(record)
        if f.tell() + caplen > size:
            break  # cut short: being written
        f.seek(caplen, os.SEEK_CUR)
        stamp = seconds + micros / 1e6
        first = stamp if first is None else first
        last = stamp
        packets += 1
    return packets, first, last


def bundle(path: Path) -> tuple[bytes, list[Path]]:
    """The merged pcap of all files of the trace at `path`, and the files it took."""
    files = trace_files(path)
    return merge_pcaps([(str(f), f.read_bytes()) for f in files]), files


def _number(path: Path, file: Path) -> int:
    if file == path:
        return 0
    return int(file.name[len(path.stem) + 1 : len(file.name) - len(path.suffix)])


def _iso(stamp: float | None) -> str | None:
    if stamp is None:
        return None
    moment = datetime.datetime.fromtimestamp(stamp, datetime.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
