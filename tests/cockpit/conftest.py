"""The Cockpit page under cockpit-ws (local session, loopback) and headless Chromium.

The page is built first (`built_page`: npm ci and node build.js when dist/opensbc is
missing or older than src/, as `make cockpit` does); a build failure fails the tests."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cptest_rig import (  # noqa: E402
    CHROMIUM,
    HERE,
    PACKAGE,
    REPO,
    Cockpit,
    build,
    cockpit_ws,
    missing,
)
from cptest_webdriver import Browser  # noqa: E402


@pytest.fixture(scope="session")
def built_page() -> Path:
    reason = missing()
    if reason:
        pytest.skip(reason)
    build()
    return PACKAGE


@pytest.fixture
def cockpit(tmp_path: Path, built_page: Path) -> Iterator[Cockpit]:
    share = tmp_path / "share/cockpit"
    share.mkdir(parents=True)
    (share / "opensbc").symlink_to(built_page)  # as ~/.local/share/cockpit/opensbc
    config = tmp_path / "sbc.yaml"
    shutil.copy(REPO / "examples/appliance.yaml", config)
    trace = tmp_path / "trace/sip.pcap"
    status = json.loads((HERE / "data/sbc-status.json").read_text())
    status["trace"]["path"] = str(trace)
    (tmp_path / "status.json").write_text(json.dumps(status))
    shutil.copy(HERE / "data/sbc-doctor.json", tmp_path / "doctor.json")
    env = {
        "PATH": f"{HERE / 'fakes'}:{Path(sys.executable).parent}:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "XDG_DATA_HOME": str(tmp_path / "share"),
        "XDG_CONFIG_DIRS": str(tmp_path),  # not the host's /etc/cockpit
        "FAKE_SBC_STATUS": str(tmp_path / "status.json"),
        "FAKE_SBC_LOG": str(tmp_path / "calls.log"),
        "FAKE_SBC_DOCTOR": str(tmp_path / "doctor.json"),
        "OPENSBC_CONFIG": str(config),
        "PYTHONPATH": str(REPO),
    }
    with cockpit_ws(env, tmp_path) as base:
        yield Cockpit(f"{base}/cockpit/@localhost/opensbc/index.html", config,
                      tmp_path / "calls.log", trace, tmp_path / "status.json",
                      tmp_path / "doctor.json")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    reason = missing()
    if reason:
        pytest.skip(reason)
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    session = Browser(profile, str(CHROMIUM))
    try:
        yield session
    finally:
        session.close()


def pytest_configure() -> None:
    os.environ.setdefault("OPENSBC_SCREENSHOTS", str(REPO / "build/screenshots"))
