"""Fixtures for the real-peer tests: a test PKI, and processes stopped on the way out."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from .sbcproc import Pki, SbcProcess, Sipp, make_pki


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


class Processes:
    """Everything a test starts; stopped in reverse order whatever happens."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._items: list[SbcProcess | Sipp] = []

    def sbc(self, config: str, *, options_interval: float | None = None,
            extra_args: Sequence[str] = ()) -> SbcProcess:
        directory = self.workdir / f"sbc{len(self._items)}"
        directory.mkdir()
        proc = SbcProcess(directory, config, options_interval=options_interval,
                          extra_args=extra_args)
        self._items.append(proc)
        return proc.start()

    def sipp(self, name: str, scenario: str, *args: str, timeout: float = 20.0) -> Sipp:
        proc = Sipp(self.workdir, name, scenario, args, timeout=timeout)
        self._items.append(proc)
        return proc.start()

    def stop_all(self) -> None:
        for item in reversed(self._items):
            if isinstance(item, SbcProcess):
                item.stop()
            else:
                item.kill()


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[Processes]:
    processes = Processes(tmp_path)
    try:
        yield processes
    finally:
        processes.stop_all()
