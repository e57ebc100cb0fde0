"""One line of the readiness report.

`page` names the part of the web console where the admin fixes it, so the SBC page can
link there: "config", "voip" (FQDN, public IP, TLS port), "certificates", "connections"
(Teams and the carrier), "firewall", "media" (rtpengine) and "system" (services, clock).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .facts import Level

PAGES = ("config", "voip", "certificates", "connections", "firewall", "media", "system")


@dataclass(frozen=True)
class Finding:
    """`message` says what is (one sentence); `action` what to do (empty when ok)."""

    id: str
    level: Level
    title: str
    message: str
    action: str = ""
    page: str = "config"

    def __post_init__(self) -> None:
        if self.page not in PAGES:
            raise ValueError(f"unknown page {self.page!r}")
        if self.level != "ok" and not self.action:
            raise ValueError(f"{self.id}: a {self.level} finding needs an action")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def ok(id: str, title: str, message: str, page: str) -> Finding:
    return Finding(id, "ok", title, message, "", page)


def warn(id: str, title: str, message: str, action: str, page: str) -> Finding:
    return Finding(id, "warn", title, message, action, page)


def fail(id: str, title: str, message: str, action: str, page: str) -> Finding:
    return Finding(id, "fail", title, message, action, page)
