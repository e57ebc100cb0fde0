"""Fixtures for the call tests: one rtpengine for the session, a fresh lab per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from media.rtpengine import Rtpengine
from peers.sbcproc import Pki, make_pki

from .lab import CallLab


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def rtpengine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rtpengine]:
    engine = Rtpengine(tmp_path_factory.mktemp("rtpengine")).start()
    try:
        yield engine
    finally:
        engine.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[_PASSED] = report.passed


_PASSED = pytest.StashKey[bool]()


@pytest.fixture
def lab(request: pytest.FixtureRequest, tmp_path: Path, pki: Pki,
        rtpengine: Rtpengine) -> Iterator[CallLab]:
    """A lab; after a test that passed, rtpengine must hold none of its sessions."""
    the_lab = CallLab(tmp_path, pki, rtpengine)
    try:
        yield the_lab
        if request.node.stash.get(_PASSED, False) and the_lab.sbc is not None:
            the_lab.assert_no_media_left()
    finally:
        the_lab.close()
