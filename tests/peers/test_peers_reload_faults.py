"""SIGHUP with a faulty file, against a real `sbc run`: each fault (deep nesting, over the
size limit, bytes that are not UTF-8) is a failed reload in the log and the status, the
running config stays and OPTIONS are answered; a valid file near the size limit is read
beside the signalling, not instead of it.

Latencies are printed for the report, never asserted."""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from sbc.config.limits import MAX_BYTES, MAX_DEPTH

from .conftest import Processes
from .sbcproc import FQDN, Pki, Ports, SbcProcess, free_port, sbc_yaml, wait_until

pytestmark = pytest.mark.peers

PBX = ("  - name: Pbx\n    profile: generic\n    host: 127.0.0.1\n    port: {port}\n"
       "    transport: udp\n    options: false\n    allowlist: [127.0.0.1/32]\n")
PROBES = 400  # OPTIONS sent at most while a large file is read


def _options(sock: socket.socket, port: int, n: int) -> float:
    """One OPTIONS from `sock`; seconds until its answer (AssertionError if none)."""
    mine = sock.getsockname()[1]
    branch = f"z9hG4bKreload{n}"
    sock.sendto((
        f"OPTIONS sip:{FQDN} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{mine};branch={branch};rport\r\n"
        "Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=p1\r\n"
        f"To: <sip:{FQDN}>\r\nCall-ID: {branch}@127.0.0.1\r\nCSeq: 1 OPTIONS\r\n"
        "Content-Length: 0\r\n\r\n").encode(), ("127.0.0.1", port))
    sent = time.monotonic()
    while True:
        try:
            answer = sock.recv(65535)
        except TimeoutError:
            raise AssertionError(f"OPTIONS {n} not answered") from None
        if branch.encode() in answer:
            assert answer.startswith(b"SIP/2.0 200 "), answer[:80]
            return time.monotonic() - sent


def _reload(sbc: SbcProcess, text: str | bytes) -> dict[str, Any]:
    before = sbc.status()["config"]["last_reload"]
    if isinstance(text, bytes):
        sbc.config.write_bytes(text)
    else:
        sbc.config.write_text(text)
    sbc.signal(signal.SIGHUP)
    return wait_until(lambda: (r := sbc.status()["config"]["last_reload"]) != before and r,
                      30, "the reload")  # type: ignore[no-any-return]


@pytest.fixture
def probe() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5.0)
    return sock


def test_faulty_files_fail_the_reload_cleanly(pki: Pki, procs: Processes,
                                              probe: socket.socket) -> None:
    ports = Ports.fresh()
    good = sbc_yaml(pki, ports, connections=PBX.format(port=free_port()))
    sbc = procs.sbc(good)
    deep = good + "trace: " + "[" * 5000 + "]" * 5000 + "\n"
    faults = {
        "deep": (deep, f"nested more than {MAX_DEPTH} levels deep"),
        "big": (good + "#" * (4 << 20) + "\n", f"the limit is {MAX_BYTES} bytes"),
        "latin-1": (good.encode() + b"hosts: {caf\xe9.lab.test: 127.0.0.1}\n",
                    "byte 0xe9 is not UTF-8"),
    }
    for name, (text, message) in faults.items():
        reload = _reload(sbc, text)
        assert reload["ok"] is False, name
        assert any(message in e for e in reload["errors"]), (name, reload)
        assert sbc.alive()
        assert _options(probe, ports.udp, len(name)) >= 0
    latin = next(e for e in _reload(sbc, faults["latin-1"][0])["errors"])
    assert latin.startswith(f"{sbc.config}:{good.count(chr(10)) + 1}: column 12: ")
    out = sbc.output()
    assert "Traceback" not in out and "RecursionError" not in out
    assert "config reload failed, keeping the running config" in out
    status = sbc.cli("status", "--run-dir", str(sbc.run_dir))
    assert "FAILED, running config kept" in status.stdout


def test_large_file_is_read_beside_signalling(pki: Pki, procs: Processes, tmp_path: Path,
                                              probe: socket.socket) -> None:
    ports = Ports.fresh()
    good = sbc_yaml(pki, ports, connections=PBX.format(port=free_port()))
    sbc = procs.sbc(good)
    baseline = [_options(probe, ports.udp, n) for n in range(20)]
    hosts = ["hosts:\n"]
    size, i = len(good), 0
    while size < MAX_BYTES - 100:
        line = f"  h{i}.lab.test: 127.0.0.{i % 250 + 1}:5060\n"
        hosts.append(line)
        size, i = size + len(line), i + 1
    big = good + "".join(hosts)
    assert len(big.encode()) <= MAX_BYTES
    before = sbc.status()["config"]["last_reload"]
    sbc.config.write_text(big)
    started = time.monotonic()
    sbc.signal(signal.SIGHUP)
    during = []
    for n in range(PROBES):
        during.append(_options(probe, ports.udp, 100 + n))
        if sbc.status()["config"]["last_reload"] != before:
            break
        time.sleep(0.02)
    took = time.monotonic() - started
    reload = wait_until(lambda: (r := sbc.status()["config"]["last_reload"]) != before and r,
                        30, "the reload")
    assert reload["ok"] is True, reload
    print(f"{len(big.encode())}-byte file reloaded in about {took:.1f} s; OPTIONS answered "
          f"meanwhile: {len(during)}, max {max(during) * 1000:.0f} ms "
          f"(before: max {max(baseline) * 1000:.0f} ms)")
