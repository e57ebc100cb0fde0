"""The gatherers on real files, a lab PKI, fake programs on PATH and an ng server on
loopback. Nothing leaves the machine: the FQDN lookup is only tested where it is skipped."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sbc.certs.bundle import REQUIRED_ROOTS, build_bundle
from sbc.certs.paths import CertPaths
from sbc.certs.testpki import LabCA
from sbc.doctor import gather as g
from sbc.media import ng

from .helpers import CONFIG, FQDN, PUBLIC_IP, config


def write_config(tmp_path: Path, text: str = CONFIG) -> Path:
    path = tmp_path / "sbc.yaml"
    path.write_text(text.replace("/data/", f"{tmp_path}/"))
    return path


def test_read_config_reports_placeholders_by_field(tmp_path: Path) -> None:
    text = CONFIG.replace(FQDN, "sbc.example.com").replace('"s3cret"', '"CHANGE-ME"')
    cfg, errors, stand_ins, missing = g.read_config(str(write_config(tmp_path, text)))
    assert cfg is not None and errors == () and not missing
    assert [s.split(": ")[0] for s in stand_ins] == ["sbc.fqdn", "connections[0].password"]


def test_read_config_errors_and_missing_file(tmp_path: Path) -> None:
    path = write_config(tmp_path, CONFIG.replace(PUBLIC_IP, "not-an-address"))
    cfg, errors, _, missing = g.read_config(str(path))
    assert cfg is None and not missing and "sbc.public_ip" in errors[0]
    assert g.read_config(str(tmp_path / "none.yaml"))[3] is True


def test_read_status_of_a_running_and_a_stopped_sbc(tmp_path: Path) -> None:
    assert not g.read_status(tmp_path).running
    (tmp_path / "status.json").write_text(json.dumps({"pid": os.getpid(),
                                                      "updated": time.time()}))
    status = g.read_status(tmp_path)
    assert status.running and status.doc is not None and status.doc["pid"] == os.getpid()


def _installed(tmp_path: Path, *, client_auth: bool = True) -> Path:
    ca = LabCA("Doctor Lab")
    ca.write(tmp_path, ca.issue(FQDN, client_auth=client_auth), stem="sbc")
    ca.write_root(tmp_path / "ca.pem")
    return write_config(tmp_path)


def test_assess_certificate_missing(tmp_path: Path) -> None:
    cfg = config(write_config(tmp_path).read_text())
    cert = g.assess_certificate(cfg)
    assert not cert.exists and cert.cert == tmp_path / "sbc.crt"


def test_assess_certificate_good_and_without_client_auth(tmp_path: Path) -> None:
    cfg = config(_installed(tmp_path).read_text())
    cert = g.assess_certificate(cfg)
    assert cert.exists and cert.error is None
    assert [c.check for c in cert.checks if c.level != "ok"] == []
    assert cert.days_left is not None and cert.not_after is not None
    other = tmp_path / "noclient"
    cfg = config(_installed(other, client_auth=False).read_text())
    problems = [c for c in g.assess_certificate(cfg).checks if c.level != "ok"]
    assert [c.check for c in problems] == ["eku"]  # its level is certs.assess's call


def test_read_bundle_names_its_roots(tmp_path: Path) -> None:
    build_bundle(CertPaths(tmp_path), system_store=None)
    bundle = g.read_bundle(tmp_path / "ca.pem")
    assert {r.sha256 for r in bundle.roots} == {r.sha256 for r in REQUIRED_ROOTS}
    assert "DigiCert Global Root G2" in {r.common_name for r in bundle.roots}
    assert not g.read_bundle(tmp_path / "none.pem").exists


def test_lookup_skips_the_template_name_and_bad_names() -> None:
    assert g.lookup_fqdn("sbc.example.com").skipped == ("sbc.example.com is the template's "
                                                        "example name")
    assert g.lookup_fqdn("10.1.2.3").skipped == "the name is not a valid FQDN"
    assert g.lookup_fqdn("sbc1.example.test").skipped == (
        "sbc1.example.test is a reserved test name (RFC 2606), not in public DNS")


@pytest.fixture
def ng_server() -> Iterator[int]:
    """Answers every ng command with "pong" on a loopback UDP port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(4096)
            except TimeoutError:
                continue
            cookie, _ = ng.unframe(data)
            sock.sendto(ng.frame(cookie, {"result": "pong"}), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        sock.close()


def test_ping_rtpengine_and_read_its_interface(ng_server: int, tmp_path: Path) -> None:
    conf = tmp_path / "rtpengine.conf"
    conf.write_text("[rtpengine]\ntable = -1\ninterface = 10.0.0.5!81.200.10.10\n")
    media = g.ping_rtpengine("127.0.0.1", ng_server, conf)
    assert media.answered and media.error is None
    assert media.conf_interface == "10.0.0.5!81.200.10.10"


def test_ping_rtpengine_that_is_not_there(tmp_path: Path) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    media = g.ping_rtpengine("127.0.0.1", port, tmp_path / "none.conf")
    assert not media.answered and media.error and "rtpengine" in media.error
    assert media.conf_interface is None and "cannot read" in (media.conf_error or "")


def test_expected_interface_follows_wan_and_public_ip() -> None:
    assert g.expected_interface(config()) == PUBLIC_IP
    nat = config(CONFIG.replace(f"public_ip: {PUBLIC_IP}",
                                f"public_ip: {PUBLIC_IP}\n  wan_ip: 10.0.0.5"))
    assert g.expected_interface(nat) == f"10.0.0.5!{PUBLIC_IP}"


def _fake(bin_dir: Path, name: str, script: str) -> None:
    path = bin_dir / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)


def test_read_firewall_and_clock_through_the_programs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    _fake(tmp_path, "nft", "echo 'Error: No such file or directory' >&2; exit 1\n")
    assert g.read_firewall().missing
    _fake(tmp_path, "nft", """echo '{"nftables": []}'\n""")
    assert g.read_firewall().ruleset == {"nftables": []}
    _fake(tmp_path, "timedatectl", "echo yes\n")
    assert g.read_clock().synchronised is True
    _fake(tmp_path, "timedatectl", "exit 1\n")
    _fake(tmp_path, "chronyc",
          "printf 'Reference ID : 0\\nLeap status     : Not synchronised\\n'\n")
    clock = g.read_clock()
    assert (clock.synchronised, clock.source) == (False, "chronyc")


def test_gather_skips_what_needs_a_config(tmp_path: Path) -> None:
    calls: list[str] = []
    gatherers = g.Gatherers(clock=lambda: g.ClockFacts(True, "test"),
                            dns=lambda name: calls.append(name) or g.DnsFacts(name))
    facts = g.gather(str(tmp_path / "none.yaml"), tmp_path, gatherers)
    assert facts.config is None and facts.config_missing and facts.cert is None
    assert calls == []
