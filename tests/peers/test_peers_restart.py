"""Restarts with a real `sbc run`: a SIGHUP in the first seconds (while rtpengine is being
reached) is queued, not fatal, and a kill -9 followed by a start as systemd makes it
(opensbc.service: RestartSec=100ms) is registered again at the carrier.

Timings are printed for the report, never asserted."""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sbc.media import ng

from . import sbcproc
from .conftest import Processes
from .sbcproc import (
    AUTH_USER,
    LINE,
    PASSWORD,
    Pki,
    Ports,
    SbcProcess,
    free_port,
    sbc_yaml,
    wait_until,
)

pytestmark = pytest.mark.peers

UNIT = Path(__file__).resolve().parents[2] / (
    "appliance/rootfs/overlay/usr/lib/systemd/system/opensbc.service")
PBX = ("  - name: Pbx\n    profile: generic\n    host: 127.0.0.1\n    port: {port}\n"
       "    transport: udp\n    options: false\n    allowlist: [127.0.0.1/32]\n")
RESTARTS = 3


@pytest.fixture
def silent_rtpengine() -> Iterator[socket.socket]:
    """A UDP socket where rtpengine's ng port would be, which never answers: start-up
    waits there 3 s (3 tries), the window a SIGHUP used to end the SBC in."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", free_port(socket.SOCK_DGRAM)))
    sock.settimeout(0.02)
    try:
        yield sock
    finally:
        sock.close()


@pytest.fixture
def answering_rtpengine() -> Iterator[int]:
    """An ng port that answers every request "ok" with no calls, as an idle rtpengine
    (opensbc-media.service) does; its port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", free_port(socket.SOCK_DGRAM)))
    sock.settimeout(0.05)
    done = threading.Event()

    def serve() -> None:
        while not done.is_set():
            try:
                data, addr = sock.recvfrom(65535)
            except TimeoutError:
                continue
            cookie = data.partition(b" ")[0].decode()
            sock.sendto(ng.frame(cookie, {"result": "ok", "calls": []}), addr)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        done.set()
        thread.join(timeout=5)
        sock.close()


def _asked(sock: socket.socket) -> bool:
    try:
        return bool(sock.recv(4096))
    except TimeoutError:
        return False


def _unit_prefix() -> list[str]:
    """What opensbc.service's ExecStart puts before `sbc` (`env --ignore-signal=HUP`)."""
    line = next(x for x in UNIT.read_text().splitlines() if x.startswith("ExecStart="))
    words = line.removeprefix("ExecStart=").split()
    return words[: words.index("/usr/local/bin/sbc")]


@pytest.mark.parametrize("as_unit", [True, False], ids=["as-the-unit-starts-it", "plain"])
def test_sighup_during_start_is_queued(pki: Pki, tmp_path: Path, silent_rtpengine: socket.socket,
                                       monkeypatch: pytest.MonkeyPatch, as_unit: bool) -> None:
    if as_unit:
        command = sbcproc.sbc_command
        monkeypatch.setattr(sbcproc, "sbc_command", lambda: [*_unit_prefix(), *command()])
    ng = silent_rtpengine.getsockname()[1]
    text = sbc_yaml(pki, Ports.fresh(), extra=f"media: {{rtpengine: '127.0.0.1:{ng}'}}\n")
    proc = SbcProcess(tmp_path, text)
    starting = threading.Thread(target=proc.start, kwargs={"timeout": 20.0}, daemon=True)
    starting.start()
    hups = 0
    try:
        wait_until(lambda: proc.proc is not None, 10, "the process")
        # As the unit starts it, SIGHUPs from the first moment on; plain, from the moment
        # it has read its config (its first question to rtpengine).
        deadline = time.monotonic() + 15
        while not _asked(silent_rtpengine) and time.monotonic() < deadline:
            if as_unit and proc.alive():
                proc.signal(signal.SIGHUP)
                hups += 1
        assert proc.alive(), proc.output()
        # Now it waits for rtpengine: change the file and ask for a reload.
        proc.config.write_text(text.replace("connections: []\n", "connections:\n"
                                            + PBX.format(port=free_port())))
        for _ in range(3):
            proc.signal(signal.SIGHUP)
            hups += 1
            time.sleep(0.05)
        starting.join(timeout=25)
        assert proc.alive(), proc.output()
        reload = wait_until(lambda: proc.status()["config"]["last_reload"], 10, "the reload")
        assert reload["ok"] is True, reload
        assert [c["name"] for c in proc.status()["connections"]] == ["Pbx"]
        assert "reload requested during start-up" in proc.output()
        assert "Traceback" not in proc.output()
        print(f"{hups} SIGHUP(s) during start-up, SBC up with the new config")
    finally:
        proc.stop()


def test_kill_9_and_restart_registers_again(pki: Pki, procs: Processes,
                                            answering_rtpengine: int) -> None:
    registrar_port = free_port()
    registrar = procs.sipp(
        "registrar", "registrar.xml", "-t", "t1", "-i", "127.0.0.1", "-p", str(registrar_port),
        "-m", str(RESTARTS + 1), "-set", "auth_user", AUTH_USER, "-set", "password", PASSWORD,
        "-set", "line", LINE, timeout=60.0,
    )
    connections = (
        "  - name: Telekom\n    profile: telekom-deutschlandlan\n"
        f'    line_number: "{LINE}"\n    auth_user: "{AUTH_USER}"\n    password: {PASSWORD}\n'
        "    options: false\n    allowlist: [127.0.0.1/32]\n")
    hosts = {"reg.sip-trunk.telekom.de": f"127.0.0.1:{registrar_port}"}
    media = f"media: {{rtpengine: '127.0.0.1:{answering_rtpengine}'}}\n"
    sbc = procs.sbc(sbc_yaml(pki, Ports.fresh(), connections=connections, hosts=hosts,
                             extra=media))

    def registered_by(pid: int) -> bool:
        doc = sbc.status()
        reg = doc["connections"][0]["registration"]
        return doc["pid"] == pid and reg is not None and reg["state"] == "registered"

    assert sbc.proc is not None
    wait_until(lambda: registered_by(sbc.proc.pid), 15, "the first registration")  # type: ignore[union-attr]
    timings = []
    for _ in range(RESTARTS):
        killed = time.monotonic()
        sbc.signal(signal.SIGKILL)
        sbc.proc.wait(timeout=10)  # type: ignore[union-attr]
        time.sleep(0.1)  # opensbc.service: RestartSec=100ms
        sbc.proc = _spawn(sbc)
        wait_until(lambda pid=sbc.proc.pid: registered_by(pid), 15, "registered again",
                   interval=0.01)
        timings.append(time.monotonic() - killed)
    assert registrar.wait() == 0, registrar.report() + "\n" + sbc.output()
    print("kill -9 -> registered again: " + ", ".join(f"{t:.2f} s" for t in timings))


def _spawn(sbc: SbcProcess) -> subprocess.Popen[bytes]:
    """`sbc run` again on the same config and run dir (the killed one left its status)."""
    sbc.status_file.unlink(missing_ok=True)
    sbc.start()
    assert sbc.proc is not None
    return sbc.proc
