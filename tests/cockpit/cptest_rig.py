"""The Cockpit page's test rig: where things are and what the fixture hands a test."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PACKAGE = REPO / "appliance/cockpit/opensbc"
COCKPIT_WS = Path("/usr/lib/cockpit/cockpit-ws")
CHROMIUM = Path("/usr/bin/chromium")


@dataclass
class Cockpit:
    url: str  # the SBC page
    config: Path  # the sbc.yaml the page edits (OPENSBC_CONFIG)
    log: Path  # what the fake sbc/journalctl/systemctl recorded
    trace: Path  # the trace file the status fixture names
    status: Path  # what the fake `sbc status --json` prints (rewrite it to change the page)


def missing() -> str | None:
    """Why the page tests cannot run here, or None."""
    if not COCKPIT_WS.exists() or shutil.which("cockpit-bridge") is None:
        return "needs cockpit-ws and cockpit-bridge"
    if not CHROMIUM.exists() or shutil.which("chromedriver") is None:
        return "needs chromium and chromium-driver"
    return None
