"""Shared pytest setup: the repository root and the test data folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
ALLOW_SKIPS = os.environ.get("OPENSBC_ALLOW_SKIPS") == "1"


@pytest.fixture
def repo_root() -> Path:
    return ROOT


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """A skipped test fails the run: CI must never pass because a tool was missing.

    `make test` installs every tool the tests use; set OPENSBC_ALLOW_SKIPS=1 to run a
    partial suite on a machine that lacks some of them.
    """
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail") and not ALLOW_SKIPS:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid} was skipped ({reason}); skips are failures here. "
            "Install the test tools with 'tools/host-deps test' (as root), or set "
            "OPENSBC_ALLOW_SKIPS=1 for a partial local run."
        )
