"""The benchmarks' smoke tests: one work folder with a test PKI per test module."""

from __future__ import annotations

import pytest

from benchmarks import calls
from benchmarks.sip_servers import make_pki


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> calls.Run:
    work = tmp_path_factory.mktemp("bench-run")
    make_pki(work / "pki")
    return calls.Run(work)
