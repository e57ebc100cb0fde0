"""A pcap file of bounded size that rotates: trace.pcap -> trace.1.pcap -> trace.2.pcap ...

Writes go through a buffer and reach the disk on flush(), rotation or close();
TraceControl flushes after every message by default, so the files are always complete.
"""

from __future__ import annotations

import contextlib
import glob
from pathlib import Path
from typing import BinaryIO

BUFFER_SIZE = 64 * 1024


def rotated_path(path: Path, n: int) -> Path:
    """trace.pcap with n=2 -> trace.2.pcap; n=0 is the file itself."""
    return path if n == 0 else path.with_name(f"{path.stem}.{n}{path.suffix}")


def shift(path: Path, files: int) -> None:
    """Make room for a new `path`: keep at most `files - 1` older files, drop the oldest.

    Older files beyond the bound (left by an earlier, larger `files`) go as well.
    """
    for old in path.parent.glob(f"{glob.escape(path.stem)}.*{glob.escape(path.suffix)}"):
        number = old.name[len(path.stem) + 1 : len(old.name) - len(path.suffix)]
        if number.isdigit() and int(number) >= files - 1:
            with contextlib.suppress(FileNotFoundError):
                old.unlink()
    for n in range(files - 2, -1, -1):
        with contextlib.suppress(FileNotFoundError):
            rotated_path(path, n).rename(rotated_path(path, n + 1))


class RotatingFile:
    """Appends chunks; when the next chunk would pass `max_bytes`, starts a new file.

    Every file begins with `header`. A chunk is never split over two files, so one
    SIP message (possibly several TCP segments) stays in one file. `files` counts the
    current file too: files=5 keeps trace.pcap and trace.1.pcap .. trace.4.pcap.
    """

    def __init__(self, path: Path, header: bytes, *, max_bytes: int, files: int) -> None:
        if files < 1:
            raise ValueError("files must be at least 1")
        if max_bytes <= len(header):
            raise ValueError(f"max_bytes must exceed the {len(header)}-byte file header")
        self.path = path
        self._header = header
        self._max_bytes = max_bytes
        self._files = files
        self.rotations = 0
        self.size = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and path.stat().st_size > 0:
            shift(path, files)  # an earlier capture becomes trace.1.pcap, not overwritten
        self._file = self._open()

    def _open(self) -> BinaryIO:
        file = open(self.path, "wb", buffering=BUFFER_SIZE)  # closed by close()/rotate()
        file.write(self._header)
        file.flush()  # an empty capture is a valid pcap from the first moment
        self.size = len(self._header)
        return file

    def write(self, chunk: bytes) -> None:
        if self.size + len(chunk) > self._max_bytes and self.size > len(self._header):
            self.rotate()
        self._file.write(chunk)
        self.size += len(chunk)

    def rotate(self) -> None:
        self._file.close()
        shift(self.path, self._files)
        self.rotations += 1
        self._file = self._open()

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        self._file.close()
