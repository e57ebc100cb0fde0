"""The "calls" part of the status as `sbc status` shows it: a counters line and a table
of active calls (`render.public_json` turns the same part into JSON for machines).

The SBC writes it as
``{"counters": {"attempted", "answered", "active", "failed": {cause: n}, "dropped": {...}},
"active": [{"id", "state", "route", "calling", "called", "started", "answered",
"legs": [{"tag", "connection", "call_id", "state", "media", "relay", "bypass"}]}]}``
with epoch times. A status file from an SBC without calls has no "calls" key; every
piece may be missing, so a reader never fails on an older or partial document.
"""

from __future__ import annotations

from typing import Any


# Tolerant readers: a piece of the wrong type reads as empty, never as an error.
def as_dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def dicts(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def epoch(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def clock(seconds: float) -> str:
    """A call's length as a clock: 0:07, 12:34, 1:02:03."""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _causes(counts: object) -> str:
    items = [(str(k), v) for k, v in as_dict(counts).items() if isinstance(v, int) and v]
    return ", ".join(f"{cause} {n}" for cause, n in sorted(items))


def counters_line(counters: dict[str, Any]) -> str:
    """``Calls: 3 attempted, 2 answered, 1 active; failed: declined 1``."""
    text = (f"Calls: {counters.get('attempted', 0)} attempted, "
            f"{counters.get('answered', 0)} answered, {counters.get('active', 0)} active")
    failed, dropped = _causes(counters.get("failed")), _causes(counters.get("dropped"))
    if failed:
        text += f"; failed: {failed}"
    if dropped:
        text += f"; dropped: {dropped}"
    return text


def _leg(leg: dict[str, Any]) -> str:
    text = str(leg.get("connection") or "?")
    state = leg.get("state")
    if state and state != "confirmed":
        text += f" ({state})"
    if leg.get("media"):
        text += f" {leg['media']}"
        if leg.get("relay"):
            text += f" via {leg['relay']}"  # the peer's RTP address, and ours toward it
    if leg.get("bypass"):
        text += " (media bypass)"
    return text


def duration_text(call: dict[str, Any], now: float) -> str:
    """Talk time of an answered call; time since the INVITE, in brackets, before."""
    answered, started = epoch(call.get("answered")), epoch(call.get("started"))
    if answered is not None:
        return clock(now - answered)
    return f"({clock(now - started)})" if started is not None else "-"


def call_rows(calls: dict[str, Any], now: float) -> list[list[str]]:
    """One row per active call: id, from -> to, state, route, duration, legs."""
    rows = []
    for call in dicts(calls.get("active")):
        rows.append([
            str(call.get("id") or "?")[:12],
            f"{call.get('calling') or 'anonymous'} -> {call.get('called') or '?'}",
            str(call.get("state") or "?"),
            str(call.get("route") or "-"),
            duration_text(call, now),
            " <-> ".join(_leg(leg) for leg in dicts(call.get("legs"))) or "-",
        ])
    return rows


CALL_HEADER = ["CALL", "FROM -> TO", "STATE", "ROUTE", "DURATION", "LEGS (connection media)"]
