"""Fixtures for the ACME tests: a data folder, stand-ins for systemctl and nft that log
their calls, and (for the `peers` tests) Pebble on loopback with its root trusted."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))

from acme_helpers import EAB_HMAC, EAB_KID, Tools, script  # noqa: E402
from acme_knot import Knot, have_knot  # noqa: E402
from acme_pebble import Pebble, have_pebble  # noqa: E402
from sbc.certs.paths import CertPaths


@pytest.fixture
def tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Tools:
    found = Tools(tmp_path / "systemctl.log", tmp_path / "nft.log")
    script(tmp_path / "systemctl", found.systemctl_log)
    script(tmp_path / "nft", found.nft_log)
    monkeypatch.setenv("OPENSBC_SYSTEMCTL", str(tmp_path / "systemctl"))
    monkeypatch.setenv("OPENSBC_NFT", str(tmp_path / "nft"))
    monkeypatch.setenv("OPENSBC_ACME_BIND", "127.0.0.1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    return found


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CertPaths:
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("OPENSBC_DATA_DIR", str(data))
    return CertPaths(data)


@pytest.fixture(scope="module")
def pebble(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pebble]:
    if not have_pebble():
        pytest.skip("pebble is not installed (Debian package pebble)")
    server = Pebble(tmp_path_factory.mktemp("pebble")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def pebble_eab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pebble]:
    if not have_pebble():
        pytest.skip("pebble is not installed (Debian package pebble)")
    server = Pebble(tmp_path_factory.mktemp("pebble-eab"), eab={EAB_KID: EAB_HMAC}).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def knot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Knot]:
    if not have_knot():
        pytest.skip("knotd is not installed (Debian package knot)")
    server = Knot(tmp_path_factory.mktemp("knot")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def pebble_dns(tmp_path_factory: pytest.TempPathFactory, knot: Knot) -> Iterator[Pebble]:
    """Pebble resolving through Knot: DNS-01 records are looked up there."""
    if not have_pebble():
        pytest.skip("pebble is not installed (Debian package pebble)")
    server = Pebble(tmp_path_factory.mktemp("pebble-dns"), dns_server=knot.address).start()
    yield server
    server.stop()
