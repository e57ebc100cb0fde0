"""Fixtures for the certificate tests: one lab CA per session (RSA keys are slow to make)."""

from __future__ import annotations

import ssl
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# The helper module next to this file, importable under any pytest import mode.
if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))

from certs_loopback import OneShotServer  # noqa: E402
from sbc.certs.paths import CertPaths
from sbc.certs.testpki import LabCA


@pytest.fixture(scope="session")
def lab_ca() -> LabCA:
    return LabCA("OpenSBC Test")


@pytest.fixture(scope="session")
def other_ca() -> LabCA:
    """A second, unrelated CA: its certificates chain to nothing we trust."""
    return LabCA("Unknown Test")


@pytest.fixture
def paths(tmp_path: Path) -> CertPaths:
    data = tmp_path / "data"
    data.mkdir()
    return CertPaths(data)


@pytest.fixture
def system_store(tmp_path: Path, lab_ca: LabCA) -> Path:
    """A stand-in for /etc/ssl/certs/ca-certificates.crt holding the lab root."""
    store = tmp_path / "ca-certificates.crt"
    store.write_bytes(lab_ca.root.cert_pem)
    return store


@pytest.fixture
def tls_server() -> Iterator[Callable[..., OneShotServer]]:
    servers: list[OneShotServer] = []

    def start(ctx: ssl.SSLContext, host: str = "127.0.0.1") -> OneShotServer:
        server = OneShotServer(ctx, host)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.sock.close()
