"""The running SBC's status: a JSON file written atomically every few seconds, and the
`sbc status` table made from it (`files` says where it lives, `table` formats it)."""

from .files import (
    STALE_AFTER,
    STATUS_FILE,
    SYSTEM_RUN_DIR,
    TRACE_FILE,
    StatusRead,
    candidate_run_dirs,
    find_status,
    read_status,
    run_dir,
    status_bytes,
    write_status,
)
from .render import public_json
from .table import format_status

__all__ = [
    "STALE_AFTER",
    "STATUS_FILE",
    "SYSTEM_RUN_DIR",
    "TRACE_FILE",
    "StatusRead",
    "candidate_run_dirs",
    "find_status",
    "format_status",
    "public_json",
    "read_status",
    "run_dir",
    "status_bytes",
    "write_status",
]
