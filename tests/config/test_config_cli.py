"""`sbc config show|set|add|remove|apply` with a fake systemctl that records its calls."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from sbc.cli import main as sbc_main
from sbc.config import load_config
from sbc.config.cli import main
from sbc.config.rtpengine import render_for

from .conftest import make_box

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = (REPO / "examples/appliance.yaml").read_text()
TEAMS_ONLY = """\
# my box
sbc:
  fqdn: sbc.lab.test        # the certificate's name
  public_ip: 192.168.1.10

connections:
  # Teams Direct Routing
  - name: Teams
    profile: teams-generic
"""


@pytest.fixture
def box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_box(tmp_path, monkeypatch, EXAMPLE)


def calls(box: Path) -> list[str]:
    log = box.parent / "systemctl.log"
    return log.read_text().splitlines() if log.exists() else []


def answer(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert main(["config", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_public_ip_change_restarts_the_media_relay(box: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    got = answer(capsys, "set", "sbc.public_ip=198.51.100.7")
    assert got["ok"] and got["saved"] and got["changed"] == ["sbc.public_ip"]
    assert got["effects"] == got["applied"] == ["restart opensbc-media", "reload opensbc"]
    assert calls(box) == ["restart opensbc-media.service", "reload-or-restart opensbc.service"]
    assert str(load_config(box).sbc.public_ip) == "198.51.100.7"


def test_other_changes_only_reload(box: Path, capsys: pytest.CaptureFixture[str]) -> None:
    got = answer(capsys, "set", "sbc.options_interval=90", "calls.max_calls=100")
    assert got["applied"] == ["reload opensbc"]
    assert calls(box) == ["reload-or-restart opensbc.service"]
    assert answer(capsys, "set", "sbc.options_interval=90")["saved"] is False  # same again
    assert len(calls(box)) == 1


def test_no_apply_and_dry_run(box: Path, capsys: pytest.CaptureFixture[str]) -> None:
    got = answer(capsys, "set", "media.port_min=31000", "--no-apply")
    assert got["saved"] and got["effects"] == ["restart opensbc-media", "reload opensbc"]
    assert got["applied"] == [] and calls(box) == []
    before = box.read_bytes()
    got = answer(capsys, "set", "sbc.fqdn=other.lab.test", "--dry-run")
    assert got["ok"] and not got["saved"] and box.read_bytes() == before and calls(box) == []


@pytest.mark.parametrize(("assignment", "field", "fragment"), [
    ("sbc.fqdn=bad_name", "sbc.fqdn", "bad label 'bad_name'"),
    ("sbc.public_ip=2001:db8::1", "sbc.public_ip", "must be an IPv4 address"),
    ("media.port_min=abc", "media.port_min", "must be a whole number (got 'abc')"),
    ("sbc.tls_port=70000", "sbc.listen[2].port", "between 1 and 65535"),
    ("connections.Telekom.transport=udp", "connections.Telekom.transport",
     "profile allows only tcp, tls"),
    ("sbc.nope=1", "sbc.nope", "unknown setting"),
])
def test_a_bad_value_is_refused_and_the_file_kept(
        box: Path, capsys: pytest.CaptureFixture[str], assignment: str, field: str,
        fragment: str) -> None:
    before = box.read_bytes()
    os.utime(box, (1, 1))
    got = answer(capsys, "set", "sbc.fqdn=fine.lab.test", assignment)
    assert got["ok"] is False and got["saved"] is False and got["applied"] == []
    assert [e["field"] for e in got["errors"]] == [field]
    assert fragment in got["errors"][0]["message"]
    assert got["errors"][0]["text"].startswith(str(box))
    assert box.read_bytes() == before and box.stat().st_mtime == 1 and calls(box) == []
    # in text: exit 1, "file:line: field: message" on stderr
    assert main(["config", "set", assignment]) == 1
    err = capsys.readouterr().err
    assert fragment in err and f"{box}" in err


def test_errors_name_the_line_like_sbc_check(box: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    got = answer(capsys, "set", "sbc.fqdn=bad_name")
    assert got["errors"] == [{
        "field": "sbc.fqdn", "line": 10,
        "message": "is not a valid DNS name: bad label 'bad_name' (got 'bad_name')",
        "text": f"{box}:10: sbc.fqdn: is not a valid DNS name: bad label 'bad_name' "
                "(got 'bad_name')"}]


def test_add_and_remove_a_connection(box: Path, capsys: pytest.CaptureFixture[str]) -> None:
    box.write_text(TEAMS_ONLY)
    assert sbc_main(["config", "add", "connection", "Telekom",
                     "--profile", "telekom-deutschlandlan", "line_number=+4930123456",
                     "auth_user=551234567890", "password=0123"]) == 0
    text = box.read_text()
    assert text.startswith(TEAMS_ONLY)
    assert text[len(TEAMS_ONLY):] == (
        "  - name: Telekom\n    profile: telekom-deutschlandlan\n"
        '    line_number: "+4930123456"\n    auth_user: "551234567890"\n'
        '    password: "0123"\n')
    telekom = load_config(box).connection("Telekom")
    assert telekom.auth is not None and telekom.auth.password == "0123"
    assert calls(box) == ["reload-or-restart opensbc.service"]
    capsys.readouterr()
    got = answer(capsys, "set", "connections.Telekom.transport=tls")
    assert got["changed"] == ["connections.Telekom.transport"]
    assert load_config(box).connection("Telekom").transport == "tls"
    got = answer(capsys, "add", "connection", "Telekom", "--profile", "generic", "host=x.test")
    assert [e["message"] for e in got["errors"]] == ["there is a connection 'Telekom' already"]
    got = answer(capsys, "add", "connection", "T2", "--profile", "telekom-deutschlandlan")
    assert {e["field"] for e in got["errors"]} == {
        "connections.T2.line_number", "connections.T2.auth_user", "connections.T2.password"}
    got = answer(capsys, "remove", "connection", "Telekom")
    assert got["ok"] and got["changed"] == ["connections.Telekom"]
    assert box.read_text() == TEAMS_ONLY


def test_remove_a_setting(box: Path, capsys: pytest.CaptureFixture[str]) -> None:
    box.write_text(TEAMS_ONLY.replace("public_ip: 192.168.1.10\n",
                                      "public_ip: 192.168.1.10\n  wan_ip: 10.0.0.2\n"))
    got = answer(capsys, "remove", "sbc.wan_ip")
    assert got["applied"] == ["restart opensbc-media", "reload opensbc"]
    assert box.read_text() == TEAMS_ONLY
    got = answer(capsys, "set", "sbc.fqdn=")  # required: the loader refuses
    assert [e["field"] for e in got["errors"]] == ["sbc.fqdn"]
    assert box.read_text() == TEAMS_ONLY


def test_show(box: Path, capsys: pytest.CaptureFixture[str]) -> None:
    got = answer(capsys, "show")
    s = got["settings"]
    assert s["sbc.fqdn"] | {"help": ""} == {
        "value": "sbc.example.com", "given": True, "default": None, "required": True,
        "type": "fqdn", "kind": "fqdn", "help": "", "effect": "reload", "problem": None}
    assert s["sbc.public_ip"]["effect"] == "restart-media"
    assert (s["sbc.tls_port"]["value"], s["media.port_min"]["value"]) == (5061, 30000)
    assert s["media.port_min"]["given"] is False
    assert s["connections.Telekom.password"]["value"] == "***"
    assert [c["name"] for c in got["connections"]] == ["Telekom", "Teams"]
    secret = answer(capsys, "show", "connections.Telekom.password", "--show-secrets")
    assert list(secret["settings"]) == ["connections.Telekom.password"]
    assert secret["settings"]["connections.Telekom.password"]["value"] == "CHANGE-ME"
    assert main(["config", "show", "sbc.tls"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("sbc.tls.cert = /data/sbc.crt  [path; reload]")
    assert main(["config", "show", "connections.Telekom", "--show-secrets"]) == 0
    assert "CHANGE-ME" not in capsys.readouterr().out  # text output always masks
    assert main(["config", "show", "sbc.nope"]) == 1


def test_apply_restarts_media_only_when_its_file_changed(
        box: Path, capsys: pytest.CaptureFixture[str]) -> None:
    running = box.parent / "rtpengine.conf"
    running.write_text(render_for(load_config(box)))
    got = answer(capsys, "apply", "--media-conf", str(running))
    assert got["ok"] and got["applied"] == ["reload opensbc"]
    answer(capsys, "set", "sbc.wan_ip=10.0.0.2", "--no-apply")
    got = answer(capsys, "apply", "--media-conf", str(running))
    assert got["applied"] == ["restart opensbc-media", "reload opensbc"]
    assert calls(box) == ["reload-or-restart opensbc.service", "restart opensbc-media.service",
                          "reload-or-restart opensbc.service"]


def test_a_failed_restart_is_reported(box: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    got = answer(capsys, "set", "sbc.public_ip=198.51.100.7", "--systemctl", "false")
    assert got["saved"] is True and got["ok"] is False and got["applied"] == []
    assert got["errors"][0]["message"].startswith("restart opensbc-media: `false restart")
