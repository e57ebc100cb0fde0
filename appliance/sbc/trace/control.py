"""Start, stop and feed the SIP trace. The transports call record() for every message.

record() is cheap when tracing is off (one attribute test) and never raises into the
SIP path: a full disk stops the trace with one log line instead.

Each message reaches the file as it is recorded (one write per message), so the trace
can be read, downloaded or merged (`sbc trace bundle`) at any time, not only after
Stop. A flush interval above 0 batches writes instead (for tests and benchmarks).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .encoder import PcapEncoder, Transport
from .rotation import RotatingFile
from .sipinfo import is_keepalive, sip_method

log = logging.getLogger(__name__)

DEFAULT_PATH = Path("/data/trace/sip.pcap")
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_FILES = 5
MIN_MAX_BYTES = 4096
FLUSH_INTERVAL = 0.0  # seconds; 0: every message is written at once


@dataclass(frozen=True)
class TraceSettings:
    """What to capture and how much disk it may use (names as in sbc.yaml `trace:`)."""

    path: Path = DEFAULT_PATH
    include_options: bool = False
    max_bytes: int = DEFAULT_MAX_BYTES
    files: int = DEFAULT_FILES

    def __post_init__(self) -> None:
        if self.max_bytes < MIN_MAX_BYTES:
            raise ValueError(f"max_bytes: must be at least {MIN_MAX_BYTES}")
        if self.files < 1:
            raise ValueError("files: must be at least 1")


@dataclass(frozen=True)
class TraceStatus:
    active: bool
    settings: TraceSettings | None
    messages: int = 0
    skipped_options: int = 0
    bytes_written: int = 0
    rotations: int = 0
    errors: int = 0


class TraceControl:
    """The one trace of this SBC process; start() while active restarts with new settings."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        flush_interval: float = FLUSH_INTERVAL,
        max_segment: int | None = None,
    ) -> None:
        self._clock = clock
        self._flush_interval = flush_interval
        self._max_segment = max_segment
        self._lock = threading.Lock()
        self._file: RotatingFile | None = None
        self._encoder: PcapEncoder | None = None
        self._settings: TraceSettings | None = None
        self._last_flush = 0.0
        self._counts = _Counts()

    @property
    def active(self) -> bool:
        return self._file is not None

    @property
    def settings(self) -> TraceSettings | None:
        return self._settings

    def start(
        self,
        path: str | Path = DEFAULT_PATH,
        *,
        include_options: bool = False,
        max_bytes: int = DEFAULT_MAX_BYTES,
        files: int = DEFAULT_FILES,
    ) -> None:
        """Begin writing to `path` (an existing file there is kept as path.1)."""
        self.start_with(TraceSettings(Path(path), include_options, max_bytes, files))

    def start_with(self, settings: TraceSettings) -> None:
        with self._lock:
            self._close_locked()
            encoder = (PcapEncoder() if self._max_segment is None
                       else PcapEncoder(max_segment=self._max_segment))
            self._file = RotatingFile(settings.path, encoder.file_header(),
                                      max_bytes=settings.max_bytes, files=settings.files)
            self._encoder = encoder
            self._settings = settings
            self._last_flush = self._clock()
            self._counts = _Counts()
        log.info("SIP trace started: %s (OPTIONS %s, %d x %d bytes)", settings.path,
                 "included" if settings.include_options else "left out", settings.files,
                 settings.max_bytes)

    def stop(self) -> None:
        """Flush and close; the files stay for the admin to fetch."""
        with self._lock:
            was = self._settings if self._file is not None else None
            self._close_locked()
        if was is not None:
            log.info("SIP trace stopped: %s", was.path)

    def _close_locked(self) -> None:
        if self._file is not None:
            self._counts.rotations = self._file.rotations
            try:
                self._file.close()
            except OSError as exc:
                log.error("SIP trace: closing %s failed: %s", self._file.path, exc)
        self._file = None
        self._encoder = None

    def record(
        self,
        transport: Transport,
        src: tuple[str, int],
        dst: tuple[str, int],
        data: bytes,
        now: float | None = None,
    ) -> None:
        """Trace one SIP message as it went over the wire (after TLS decryption).

        `src`/`dst` are (host, port) as the socket reports them; extra tuple items such
        as IPv6 flowinfo are ignored.
        """
        if self._file is None or is_keepalive(data):
            return
        with self._lock:
            file, encoder, settings = self._file, self._encoder, self._settings
            if file is None or encoder is None or settings is None:
                return
            counts = self._counts
            if not settings.include_options and sip_method(data) == "OPTIONS":
                counts.skipped_options += 1
                return
            stamp = self._clock() if now is None else now
            try:
                chunk = encoder.encode(transport, (src[0], src[1]), (dst[0], dst[1]), data, stamp)
            except ValueError:  # not an IP address: a caller's bug, but not worth a crash
                counts.errors += 1
                return
            try:
                file.write(chunk)
                if self._flush_interval <= 0 or stamp - self._last_flush >= self._flush_interval:
                    file.flush()
                    self._last_flush = stamp
            except OSError as exc:
                log.error("SIP trace stopped: writing %s failed: %s", file.path, exc)
                counts.errors += 1
                counts.rotations = file.rotations
                with contextlib.suppress(OSError):
                    file.close()
                self._file = None
                self._encoder = None
                return
            counts.messages += 1
            counts.bytes_written += len(chunk)

    def flush(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.flush()

    def status(self) -> TraceStatus:
        """A snapshot for `sbc status` and `sbc trace status`."""
        counts, file = self._counts, self._file
        return TraceStatus(
            active=file is not None,
            settings=self._settings,
            messages=counts.messages,
            skipped_options=counts.skipped_options,
            bytes_written=counts.bytes_written,
            rotations=file.rotations if file is not None else counts.rotations,
            errors=counts.errors,
        )


@dataclass
class _Counts:
    messages: int = 0
    skipped_options: int = 0
    bytes_written: int = 0
    rotations: int = 0
    errors: int = 0
