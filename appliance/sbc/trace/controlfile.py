"""Switching the trace from another process: `sbc trace start|stop` writes a small JSON
request file; the running SBC watches it and applies it.

A file rather than a signal: it carries the settings (path, OPTIONS, size), needs no
PID, survives an SBC restart (the trace resumes), and the CLI can read it back to
show what was asked. The SBC polls its mtime once a second; the CLI may also send
SIGUSR2 to apply it at once (the SBC then calls apply_control_file()).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from ..util.atomic import atomic_write
from .control import TraceControl, TraceSettings

log = logging.getLogger(__name__)

DEFAULT_CONTROL_FILE = Path("/run/opensbc/trace.json")


class TraceRequestError(ValueError):
    """The control file is not a valid request (names the file and the problem)."""


@dataclass(frozen=True)
class TraceRequest:
    """active=False means stop; settings are only meaningful when active."""

    active: bool
    settings: TraceSettings = TraceSettings()


def encode_request(request: TraceRequest) -> bytes:
    s = request.settings
    doc = {"active": request.active, "path": str(s.path), "include_options": s.include_options,
           "max_bytes": s.max_bytes, "files": s.files}
    return (json.dumps(doc, indent=2) + "\n").encode()


def decode_request(data: bytes, source: str = "trace request") -> TraceRequest:
    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise TraceRequestError(f"{source}: not JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("active"), bool):
        raise TraceRequestError(f"{source}: needs an object with a boolean 'active'")
    default = TraceSettings()
    path = doc.get("path", str(default.path))
    options = doc.get("include_options", default.include_options)
    max_bytes = doc.get("max_bytes", default.max_bytes)
    files = doc.get("files", default.files)
    if not isinstance(path, str) or not path:
        raise TraceRequestError(f"{source}: 'path' must be a non-empty string")
    if not isinstance(options, bool):
        raise TraceRequestError(f"{source}: 'include_options' must be true or false")
    for name, value in (("max_bytes", max_bytes), ("files", files)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TraceRequestError(f"{source}: '{name}' must be an integer")
    try:
        settings = TraceSettings(Path(path), options, max_bytes, files)
    except ValueError as exc:
        raise TraceRequestError(f"{source}: {exc}") from None
    return TraceRequest(doc["active"], settings)


def write_request(request: TraceRequest, path: Path = DEFAULT_CONTROL_FILE) -> None:
    """For the CLI: replace the control file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, encode_request(request))


def read_request(path: Path = DEFAULT_CONTROL_FILE) -> TraceRequest | None:
    """The current request, or None when there is no control file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    return decode_request(data, str(path))


def apply_request(control: TraceControl, request: TraceRequest | None) -> None:
    """Bring the trace in line with the request; no-op if it already is."""
    if request is None or not request.active:
        control.stop()
    elif not control.active or control.settings != request.settings:
        control.start_with(request.settings)


def apply_control_file(control: TraceControl, path: Path = DEFAULT_CONTROL_FILE) -> None:
    """Read and apply; a bad file is logged and leaves the trace as it is."""
    try:
        request = read_request(path)
        apply_request(control, request)
    except (TraceRequestError, OSError) as exc:
        log.error("SIP trace control: %s", exc)


async def watch_control_file(
    control: TraceControl,
    path: Path = DEFAULT_CONTROL_FILE,
    interval: float = 1.0,
) -> None:
    """Poll the control file until cancelled; apply it whenever it changes.

    A missing file leaves the trace alone (so the config switch `trace.enabled` is not
    overridden); deleting the file after it existed stops the trace.
    """
    seen: tuple[int, int] | None = None
    while True:
        try:
            st = os.stat(path)
            stamp: tuple[int, int] | None = (st.st_mtime_ns, st.st_ino)
        except FileNotFoundError:
            stamp = None
        if stamp != seen:
            if stamp is not None or seen is not None:
                apply_control_file(control, path)
            seen = stamp
        await asyncio.sleep(interval)
