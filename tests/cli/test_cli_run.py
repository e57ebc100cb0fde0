"""`sbc run` as a process: malformed input is answered (or dropped) and counted while the
service stays up; SIGHUP with a bad file keeps the running config, a good one is
applied; SIGTERM stops cleanly; start-up problems are named."""

from __future__ import annotations

import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from peers.sbcproc import (
    FQDN,
    Pki,
    Ports,
    SbcProcess,
    free_port,
    make_pki,
    sbc_command,
    sbc_yaml,
    wait_until,
)

PBX = (
    "  - name: Pbx\n"
    "    profile: generic\n"
    "    host: 127.0.0.1\n"
    "    port: {port}\n"
    "    transport: udp\n"
    "    options: false\n"
    "    allowlist: [127.0.0.1/32]\n"
)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("cli-pki"))


@pytest.fixture
def sbc(pki: Pki, tmp_path: Path) -> Iterator[tuple[SbcProcess, Ports]]:
    ports = Ports.fresh()
    proc = SbcProcess(tmp_path, sbc_yaml(pki, ports, connections=PBX.format(port=free_port())))
    proc.start()
    try:
        yield proc, ports
    finally:
        proc.stop()


def _options(branch: str, port: int, extra: str = "") -> bytes:
    return (
        f"OPTIONS sip:{FQDN} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch={branch};rport\r\n"
        "Max-Forwards: 70\r\n"
        "From: <sip:test@127.0.0.1>;tag=t1\r\n"
        f"To: <sip:{FQDN}>\r\n"
        f"Call-ID: {branch}@127.0.0.1\r\n"
        "CSeq: 1 OPTIONS\r\n"
        f"{extra}"
        "Content-Length: 0\r\n\r\n"
    ).encode()


def _ask_final(port: int, data: bytes, wait: float = 3.0) -> list[bytes]:
    """Every response to one request, up to the final one (at most 5, each within `wait`)."""
    got: list[bytes] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(wait)
        s.sendto(data.replace(b"PORT", str(s.getsockname()[1]).encode()), ("127.0.0.1", port))
        while len(got) < 5 and not (got and not got[-1].startswith(b"SIP/2.0 1")):
            try:
                got.append(s.recv(65536))
            except TimeoutError:
                break
    return got


def _ask(port: int, data: bytes, wait: float = 2.0) -> bytes | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(wait)
        s.sendto(data.replace(b"PORT", str(s.getsockname()[1]).encode()), ("127.0.0.1", port))
        try:
            return s.recv(65536)
        except TimeoutError:
            return None


def test_malformed_udp_gets_400_and_the_service_stays_up(
        sbc: tuple[SbcProcess, Ports]) -> None:
    proc, ports = sbc
    bad = _options("z9hG4bKbad1", 0, extra="Broken header line without colon\r\n")
    answer = _ask(ports.udp, bad.replace(b"127.0.0.1:0", b"127.0.0.1:PORT"))
    assert answer is not None and answer.startswith(b"SIP/2.0 400 ")
    assert b"Call-ID: z9hG4bKbad1@127.0.0.1" in answer
    # Garbage without anything to answer with: dropped, not answered, not fatal.
    for junk in (b"\x00\x01\x02\xff" * 50, b"INVITE\r\n\r\n", b"SIP/2.0 200 OK\r\n\r\n"):
        assert _ask(ports.udp, junk, wait=0.3) is None
    assert proc.alive()
    good = _ask(ports.udp, _options("z9hG4bKgood", 0).replace(b"127.0.0.1:0",
                                                              b"127.0.0.1:PORT"))
    assert good is not None and good.startswith(b"SIP/2.0 200 OK")
    engine = wait_until(lambda: proc.status()["engine"]["malformed"] >= 3
                        and proc.status()["engine"], 5, "malformed counted")
    assert engine["error_answers"] == 1
    assert "Traceback" not in proc.output()


def test_sighup_with_a_bad_file_keeps_the_running_config(
        sbc: tuple[SbcProcess, Ports], pki: Pki) -> None:
    proc, ports = sbc
    good_text = proc.config.read_text()
    proc.config.write_text(good_text.replace(f"fqdn: {FQDN}", "fqdn: 10.0.0.1"))
    proc.signal(signal.SIGHUP)
    reload = wait_until(lambda: proc.status()["config"]["last_reload"], 10, "the reload")
    assert reload["ok"] is False
    assert any("fqdn" in error for error in reload["errors"])
    assert proc.alive()
    assert proc.status()["sbc"]["fqdn"] == FQDN
    answer = _ask(ports.udp, _options("z9hG4bKafter", 0).replace(b"127.0.0.1:0",
                                                                 b"127.0.0.1:PORT"))
    assert answer is not None and answer.startswith(b"SIP/2.0 200 OK")
    assert f"sip:{FQDN}:{ports.tls};transport=tls".encode() in answer
    assert "config reload failed, keeping the running config" in proc.output()

    # A good file with one more connection is applied without a restart.
    more = PBX.format(port=free_port()).replace("name: Pbx", "name: Pbx2")
    proc.config.write_text(good_text.replace("connections:\n", "connections:\n" + more))
    proc.signal(signal.SIGHUP)
    wait_until(lambda: [c for c in proc.status()["connections"] if c["name"] == "Pbx2"], 10,
               "Pbx2 in the status")
    assert proc.status()["config"]["last_reload"]["ok"] is True

    assert proc.stop() == 0  # SIGTERM: a clean stop ...
    assert not proc.status_file.exists()  # ... that takes the status file away
    gone = proc.cli("status", "--run-dir", str(proc.run_dir))
    assert gone.returncode == 3 and "not running" in gone.stderr


def test_trace_commands(sbc: tuple[SbcProcess, Ports], tmp_path: Path) -> None:
    proc, ports = sbc
    pcap = tmp_path / "t" / "sip.pcap"
    start = proc.cli("trace", "start", "--run-dir", str(proc.run_dir), "--path", str(pcap))
    assert start.returncode == 0, start.stderr
    wait_until(lambda: proc.status()["trace"]["active"], 5, "the trace to start")
    on = proc.cli("trace", "status", "--run-dir", str(proc.run_dir))
    assert on.returncode == 0 and str(pcap) in on.stdout
    # An INVITE to no number: 100 Trying, then the routing's 484 (no route to "nobody").
    invite = _options("z9hG4bKinv", 0).replace(b"OPTIONS", b"INVITE")
    answers = _ask_final(ports.udp, invite.replace(b"127.0.0.1:0", b"127.0.0.1:PORT"))
    assert answers[0].startswith(b"SIP/2.0 100 Trying"), answers
    assert answers[-1].startswith(b"SIP/2.0 484"), answers
    stop = proc.cli("trace", "stop", "--run-dir", str(proc.run_dir))
    assert stop.returncode == 0, stop.stderr
    wait_until(lambda: not proc.status()["trace"]["active"], 5, "the trace to stop")
    data = pcap.read_bytes()
    assert b"INVITE sip:sbc.lab.test" in data and b"SIP/2.0 484" in data


def test_start_up_problems_are_named(pki: Pki, tmp_path: Path) -> None:
    ports = Ports.fresh()
    text = sbc_yaml(pki, ports)
    broken = tmp_path / "broken.yaml"
    broken.write_text(text.replace("  options_interval: 10\n", "  options_interval: often\n"))
    result = subprocess.run([*sbc_command(), "run", "--config", str(broken), "--run-dir",
                             str(tmp_path / "run")], capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "sbc.options_interval: must be a whole number" in result.stderr
    assert "not started" in result.stderr

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        busy.bind(("127.0.0.1", ports.tls))
        busy.listen()
        config = tmp_path / "busy.yaml"
        config.write_text(text)
        result = subprocess.run([*sbc_command(), "run", "--config", str(config), "--run-dir",
                                 str(tmp_path / "run")], capture_output=True, text=True,
                                timeout=30)
    assert result.returncode == 1
    assert f"cannot listen on tls 127.0.0.1:{ports.tls}" in result.stderr
