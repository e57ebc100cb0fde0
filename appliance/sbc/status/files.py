"""The status file the running SBC writes and `sbc status` reads, and where it lives.

The SBC replaces `<run dir>/status.json` atomically every few seconds (and removes it on
a clean stop). The run dir is `/run/opensbc` (systemd's RuntimeDirectory) when we can
write there, else `$XDG_RUNTIME_DIR/opensbc` or `/tmp/opensbc-UID` (a lab run as a normal
user); `--run-dir` or `OPENSBC_RUN_DIR` choose it explicitly. The trace control file
`trace.json` sits next to it.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..util.atomic import atomic_write

SYSTEM_RUN_DIR = Path("/run/opensbc")
STATUS_FILE = "status.json"
TRACE_FILE = "trace.json"
ENV = "OPENSBC_RUN_DIR"
STALE_AFTER = 30.0  # seconds without an update: the SBC is hung or gone


def _user_run_dir() -> Path:
    base = os.environ.get("XDG_RUNTIME_DIR")
    if base:
        return Path(base) / "opensbc"
    return Path(tempfile.gettempdir()) / f"opensbc-{os.getuid()}"


def _writable(path: Path) -> bool:
    probe = path if path.exists() else path.parent
    return os.access(probe, os.W_OK)


def run_dir(explicit: str | Path | None = None) -> Path:
    """Where the running SBC keeps status.json and trace.json."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(ENV)
    if env:
        return Path(env)
    if _writable(SYSTEM_RUN_DIR):
        return SYSTEM_RUN_DIR
    return _user_run_dir()


def candidate_run_dirs(explicit: str | Path | None = None) -> list[Path]:
    """Where a reader looks, in order (an explicit choice is the only candidate)."""
    if explicit or os.environ.get(ENV):
        return [run_dir(explicit)]
    return [SYSTEM_RUN_DIR, _user_run_dir()]


def status_bytes(doc: Mapping[str, Any]) -> bytes:
    return (json.dumps(doc, indent=1, sort_keys=False) + "\n").encode()


def write_status(path: Path, doc: Mapping[str, Any] | bytes) -> None:
    """Replace the status file (in /run: atomic, not fsynced; readers never see half)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = doc if isinstance(doc, bytes) else status_bytes(doc)
    atomic_write(path, data, mode=0o644, durable=False)


@dataclass(frozen=True)
class StatusRead:
    """`doc` is None when there is no usable status; `problem` then says why."""

    path: Path
    doc: dict[str, Any] | None
    running: bool
    problem: str | None = None


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_status(path: Path, *, now: float | None = None) -> StatusRead:
    now = time.time() if now is None else now
    try:
        doc = json.loads(path.read_bytes())
    except FileNotFoundError:
        return StatusRead(path, None, False, f"the SBC is not running (no {path})")
    except (OSError, ValueError) as exc:
        return StatusRead(path, None, False, f"cannot read {path}: {exc}")
    if not isinstance(doc, dict):
        return StatusRead(path, None, False, f"{path} is not a status document")
    if not _alive(doc.get("pid")):
        return StatusRead(path, doc, False,
                          f"the SBC is not running (process {doc.get('pid')} is gone; "
                          f"{path} is left over)")
    updated = doc.get("updated")
    if isinstance(updated, int | float) and now - updated > STALE_AFTER:
        return StatusRead(path, doc, False,
                          f"the SBC is not responding (status is {now - updated:.0f} s old)")
    return StatusRead(path, doc, True)


def find_status(explicit_dir: str | Path | None = None,
                explicit_file: str | Path | None = None) -> StatusRead:
    """The first status file found; for none, the problem of the first candidate."""
    if explicit_file:
        return read_status(Path(explicit_file))
    first: StatusRead | None = None
    for directory in candidate_run_dirs(explicit_dir):
        result = read_status(directory / STATUS_FILE)
        if result.doc is not None:
            return result
        first = first or result
    assert first is not None
    return first
