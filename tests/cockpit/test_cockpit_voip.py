"""The SBC page's VoIP form as the page drives it: `sbc config show --json` fills it,
`sbc config set --json sbc.fqdn=... ...` (five fields, every time) saves it."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sbc.config import check_main
from sbc.config.change import Editor
from sbc.config.cli import main

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = (REPO / "examples/appliance.yaml").read_text()
FORM = {"fqdn": "sbc.fqdn", "public_ip": "sbc.public_ip", "wan_ip": "sbc.wan_ip",
        "tls_port": "sbc.tls_port", "options_interval": "sbc.options_interval"}
SHOWN = {"fqdn": "sbc.example.com", "public_ip": "203.0.113.10", "wan_ip": "",
         "tls_port": "5061", "options_interval": "60"}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert main(["config", *argv]) == 0
    return json.loads(capsys.readouterr().out)


def form(path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    """What fillForm puts into the inputs."""
    settings = run(capsys, "show", "--json", "--config", str(path))["settings"]
    return {f: "" if settings[k]["value"] is None else str(settings[k]["value"])
            for f, k in FORM.items()}


def submit(path: Path, capsys: pytest.CaptureFixture[str], *, dry_run: bool = False,
           **changes: str) -> dict[str, Any]:
    """What submitVoip sends: every field, changed or not."""
    values = SHOWN | changes
    args = ["set", "--json", "--config", str(path), "--no-apply"]
    args += ["--dry-run"] if dry_run else []
    return run(capsys, *args, *(f"{FORM[f]}={v}" for f, v in values.items()))


def test_form_values(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "sbc.yaml"
    path.write_text(EXAMPLE)
    assert form(path, capsys) == SHOWN
    path.write_text("sbc:\n  fqdn: a.lab.test\n  public_ip: 192.0.2.1\n")
    assert form(path, capsys) | {"fqdn": "", "public_ip": ""} == SHOWN | {
        "fqdn": "", "public_ip": ""}  # defaults shown


def test_unchanged_form_changes_nothing(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "sbc.yaml"
    path.write_text(EXAMPLE)
    got = submit(path, capsys)
    assert got["ok"] and not got["saved"] and got["changed"] == []
    path.write_text("sbc:\n  fqdn: sbc.example.com\n  public_ip: 203.0.113.10\n")
    assert submit(path, capsys)["changed"] == []  # defaults are not written out


def test_saved_with_comments_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "sbc.yaml"
    path.write_text(EXAMPLE)
    got = submit(path, capsys, fqdn="sbc2.example.com", wan_ip="192.168.10.10",
                 tls_port="5067")
    assert got["ok"] and got["saved"]
    assert got["changed"] == ["sbc.fqdn", "sbc.wan_ip", "sbc.tls_port"]
    assert got["effects"] == ["restart opensbc-media", "reload opensbc"]
    saved = path.read_text()
    assert "  fqdn: sbc2.example.com            # CHANGE\n" in saved
    assert "  wan_ip: 192.168.10.10\n" in saved
    assert '    - {transport: tls, port: 5067}   # "SIP TLS port": Teams connects here\n' in saved
    assert path.stat().st_mode & 0o777 == 0o600  # save_config: it holds trunk passwords
    assert form(path, capsys) == SHOWN | {"fqdn": "sbc2.example.com", "wan_ip": "192.168.10.10",
                                          "tls_port": "5067"}
    assert submit(path, capsys, fqdn="sbc2.example.com", wan_ip="", tls_port="5067")[
        "changed"] == ["sbc.wan_ip"]
    assert "wan_ip" not in path.read_text().replace("# wan_ip", "")


def _check_errors(path: Path) -> list[str]:
    """What `sbc check --config path` prints for errors."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        assert check_main(["--config", str(path)]) == 1
    return [line for line in err.getvalue().splitlines()
            if ": warning: " not in line and not line.endswith("error(s)")]


@pytest.mark.parametrize(("field", "value", "setting", "fragment"), [
    ("fqdn", "bad_name", "sbc.fqdn", "sbc.fqdn: is not a valid DNS name: bad label 'bad_name'"),
    ("fqdn", "192.0.2.1", "sbc.fqdn", "sbc.fqdn: must be a DNS name, not an IP address"),
    ("public_ip", "not-an-ip", "sbc.public_ip", "sbc.public_ip"),
    ("wan_ip", "203.0.113.300", "sbc.wan_ip", "sbc.wan_ip"),
    ("tls_port", "70000", "sbc.listen[2].port", "port"),
    ("options_interval", "5", "sbc.options_interval", "sbc.options_interval"),
])
def test_errors_are_those_of_sbc_check(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       field: str, value: str, setting: str,
                                       fragment: str) -> None:
    path = tmp_path / "sbc.yaml"
    path.write_text(EXAMPLE)
    for dry_run in (True, False):
        got = submit(path, capsys, dry_run=dry_run, **{field: value})
        assert got["ok"] is False and got["saved"] is False
        assert [e["field"] for e in got["errors"]] == [setting]  # the page marks this input
        assert fragment in got["errors"][0]["text"]
        assert path.read_text() == EXAMPLE  # nothing saved
    # the same lines `sbc check` prints for the file with that value written in
    checked = tmp_path / "checked.yaml"
    editor = Editor(str(checked), EXAMPLE)
    editor.set(FORM[field], value)
    checked.write_text(editor.text)
    assert [e["text"].replace(str(path), "F") for e in got["errors"]] == [
        e.replace(str(checked), "F") for e in _check_errors(checked)]


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    got = run(capsys, "show", "--json", "--config", str(tmp_path / "none.yaml"))
    assert got["ok"] is False and "cannot read" in got["errors"][0]["text"]
    assert submit(tmp_path / "none.yaml", capsys, fqdn="a.example.com")["ok"] is False


def test_command_line(tmp_path: Path) -> None:
    """As the page spawns it: `sbc config ...`, the path from OPENSBC_CONFIG."""
    path = tmp_path / "sbc.yaml"
    path.write_text(EXAMPLE.replace("path: /data/trace/sip.pcap", "path: trace/sip.pcap"))
    env = dict(os.environ, OPENSBC_CONFIG=str(path))
    code = "import sys; from sbc.cli import main; sys.exit(main())"
    out = subprocess.run([sys.executable, "-c", code, "config", "show", "--json"], env=env,
                         capture_output=True, text=True, cwd=REPO, check=True, timeout=60)
    trace = json.loads(out.stdout)["settings"]["trace.path"]["value"]
    assert trace == str(tmp_path / "trace/sip.pcap")  # relative to the file, as loaded
    out = subprocess.run([sys.executable, "-c", code, "config", "set", "--json",
                          "sbc.fqdn=bad_name"], env=env, capture_output=True, text=True,
                         cwd=REPO, check=True, timeout=60)
    assert json.loads(out.stdout)["ok"] is False
