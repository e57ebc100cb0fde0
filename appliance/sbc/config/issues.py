"""Configuration problems: one record per problem, collected, never raised one by one.

An admin fixing `/data/sbc.yaml` over a console wants every mistake in one pass, each
pointing at a file, a line and a field, so the loader appends to an `IssueLog` and raises
a single `ConfigError` at the end.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum


class Severity(Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class ConfigIssue:
    """One finding: `file:line: field: message` (warnings say so after the field)."""

    file: str
    line: int | None
    field: str
    message: str
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        parts = [where]
        if self.field:
            parts.append(self.field)
        if self.severity is Severity.WARNING:
            parts.append("warning")
        parts.append(self.message)
        return ": ".join(parts)


class ConfigError(Exception):
    """The file is not usable; `errors` lists every error found (warnings excluded)."""

    def __init__(self, errors: Iterable[ConfigIssue]) -> None:
        self.errors: list[ConfigIssue] = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


@dataclass
class IssueLog:
    """Collects issues while parsing; the loader decides at the end whether to raise."""

    issues: list[ConfigIssue] = field(default_factory=list)

    def add(self, issue: ConfigIssue) -> None:
        self.issues.append(issue)

    @property
    def errors(self) -> list[ConfigIssue]:
        return [i for i in self.issues if i.is_error]

    @property
    def warnings(self) -> list[ConfigIssue]:
        return [i for i in self.issues if not i.is_error]

    def sorted(self) -> list[ConfigIssue]:
        """Errors first, then by file and line: the order a human fixes them in."""
        return sorted(
            self.issues,
            key=lambda i: (not i.is_error, i.file, i.line or 0, i.field),
        )
