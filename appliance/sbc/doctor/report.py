"""The report as text for the console and as JSON for the web console's SBC page.

The "next step" is the first failure in walkthrough order, else the first warning, so
the admin always knows which single thing to do now.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .finding import Finding

TAGS = {"ok": "[ ok ]", "warn": "[warn]", "fail": "[FAIL]"}
INDENT = " " * 7


def next_step(findings: Sequence[Finding]) -> Finding | None:
    for level in ("fail", "warn"):
        for finding in findings:
            if finding.level == level:
                return finding
    return None


def summary(findings: Sequence[Finding]) -> dict[str, int]:
    return {level: sum(f.level == level for f in findings) for level in ("ok", "warn", "fail")}


def as_json(findings: Sequence[Finding]) -> dict[str, Any]:
    """`{"findings": [...], "next": {...} | null, "summary": {"ok": n, ...}}`."""
    step = next_step(findings)
    return {
        "findings": [f.as_dict() for f in findings],
        "next": step.as_dict() if step else None,
        "summary": summary(findings),
    }


def as_text(findings: Sequence[Finding]) -> str:
    lines = []
    for f in findings:
        lines.append(f"{TAGS[f.level]} {f.title}: {f.message}")
        if f.level != "ok":
            lines.append(INDENT + f.action)  # one line: commands stay whole for copying
    step = next_step(findings)
    counts = summary(findings)
    lines.append("")
    lines.append(f"{counts['ok']} ok, {counts['warn']} warning(s), {counts['fail']} failure(s)")
    if step is None:
        lines.append("Next step: none; the SBC is ready. Make a test call.")
    else:
        lines.append(f"Next step: {step.title}: {step.action}")
    return "\n".join(lines) + "\n"
