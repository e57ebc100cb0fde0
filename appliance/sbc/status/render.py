"""`sbc status --json`: the status document for machines (the web console reads it).

The status file stores times as epoch seconds; here they become ISO 8601 UTC strings
("2025-06-01T12:00:00Z"), `generated_at` is added, and `options_out.status` repeats
`options_out.state` (the name the console's page reads); active calls get `age_s` and
`duration_s` (`public_calls`). See appliance/cockpit/README.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .calls import as_dict, dicts, epoch

TIME_KEYS = frozenset({
    "started", "updated", "since", "last_sent", "last_answer", "expires_at", "next_attempt",
    "last_seen", "at", "last", "not_after",
})


def iso(t: float) -> str:
    stamp = dt.datetime.fromtimestamp(t, dt.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S") + f".{stamp.microsecond // 1000:03d}Z"


def _convert(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: (iso(v) if k in TIME_KEYS and isinstance(v, int | float)
                and not isinstance(v, bool) else _convert(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_convert(v) for v in value]
    return value


def public_calls(calls: dict[str, Any], updated: float | None) -> dict[str, Any]:
    """The calls part with ISO times, plus ``duration_s`` (talk time, None before the
    answer) and ``age_s`` (since the INVITE) as of ``updated``, so that a reader needs
    no clock of its own. Counters keep their numbers (``answered`` there is a count)."""
    active = []
    for call in dicts(calls.get("active")):
        out = dict(call)
        started, answered = epoch(call.get("started")), epoch(call.get("answered"))
        out["started"] = iso(started) if started is not None else call.get("started")
        out["answered"] = iso(answered) if answered is not None else call.get("answered")
        out["age_s"] = int(updated - started) if updated and started is not None else None
        out["duration_s"] = (int(updated - answered)
                             if updated and answered is not None else None)
        out["legs"] = dicts(call.get("legs"))
        active.append(out)
    counters = as_dict(calls.get("counters"))
    return {"counters": {**counters, "failed": as_dict(counters.get("failed")),
                         "dropped": as_dict(counters.get("dropped"))},
            "active": active}


def public_json(doc: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = _convert(doc)  # a new tree: dicts and lists rebuilt
    updated, started = doc.get("updated"), doc.get("started")
    if isinstance(updated, int | float):
        out["generated_at"] = iso(updated)
    sbc = out.setdefault("sbc", {})
    sbc["running"] = True
    if isinstance(updated, int | float) and isinstance(started, int | float):
        sbc["uptime_s"] = int(updated - started)
    for conn in out.get("connections", []):
        options = conn.get("options_out")
        if isinstance(options, dict):
            options["status"] = options.get("state")
        if conn.get("options_in") is None:
            conn["options_in"] = {"last_seen": None}
    calls = doc.get("calls")
    if isinstance(calls, dict):
        out["calls"] = public_calls(calls, updated if isinstance(updated, int | float) else None)
    return out
