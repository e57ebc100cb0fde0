"""The SBC page's VoIP parameters: YAML patched in place, validated by sbc.config."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sbc.config import check_main, loads

from firstboot.sbcyaml import PatchError, current, patch, scalar
from firstboot.voip import main, show, update

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = (REPO / "examples/appliance.yaml").read_text()


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    old, new = before.splitlines(), after.splitlines()
    assert len(old) == len(new)
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


def test_values_replaced_in_place_with_comments_kept() -> None:
    new = patch(EXAMPLE, {"fqdn": "sbc2.example.com", "public_ip": "198.51.100.7",
                          "tls_port": "5067", "options_interval": "90"})
    assert changed_lines(EXAMPLE, new) == [
        ("  fqdn: sbc.example.com            # CHANGE",
         "  fqdn: sbc2.example.com            # CHANGE"),
        ("  public_ip: 203.0.113.10          # CHANGE",
         "  public_ip: 198.51.100.7          # CHANGE"),
        ('    - {transport: tls, port: 5061}   # "SIP TLS port": Teams connects here',
         '    - {transport: tls, port: 5067}   # "SIP TLS port": Teams connects here'),
        ("  options_interval: 60", "  options_interval: 90"),
    ]
    config = loads(new, "sbc.yaml")
    assert (config.sbc.fqdn, str(config.sbc.public_ip)) == ("sbc2.example.com", "198.51.100.7")
    assert config.sbc.listener("tls").port == 5067  # type: ignore[union-attr]
    assert config.sbc.options_interval == 90


def test_wan_ip_added_after_public_ip_and_removed_again() -> None:
    added = patch(EXAMPLE, {"wan_ip": "192.168.10.10"})
    assert "  public_ip: 203.0.113.10          # CHANGE\n  wan_ip: 192.168.10.10\n" in added
    assert str(loads(added, "sbc.yaml").sbc.wan_ip) == "192.168.10.10"
    assert patch(added, {"wan_ip": ""}) == EXAMPLE
    assert patch(EXAMPLE, {"wan_ip": ""}) == EXAMPLE  # nothing to remove
    assert patch(EXAMPLE, {}) == EXAMPLE


BASE = "sbc:\n  fqdn: sbc.example.com\n  public_ip: 203.0.113.10\n"


@pytest.mark.parametrize(("listen", "expected"), [
    ("", "  listen:\n    - {transport: udp, port: 5060}\n    - {transport: tcp, port: 5060}\n"
         "    - {transport: tls, port: 5067}\n"),
    ("  listen:\n    - {transport: tls}\n",
     "  listen:\n    - {transport: tls, port: 5067}\n"),
    ("  listen:\n    - transport: tls\n      address: 192.0.2.10\n",
     "  listen:\n    - transport: tls\n      port: 5067\n      address: 192.0.2.10\n"),
    ("  listen:\n    - {transport: udp, port: 5060}\n",
     "  listen:\n    - {transport: udp, port: 5060}\n    - {transport: tls, port: 5067}\n"),
    ("  listen: [{transport: udp}]\n",
     "  listen: [{transport: udp}, {transport: tls, port: 5067}]\n"),
])
def test_tls_port_in_every_listen_shape(listen: str, expected: str) -> None:
    new = patch(BASE + listen, {"tls_port": "5067"})
    assert new == BASE + expected
    assert loads(new, "sbc.yaml").sbc.listener("tls").port == 5067  # type: ignore[union-attr]


def test_flow_style_section() -> None:
    text = "sbc: {fqdn: a.example.com, public_ip: 203.0.113.10}\n"
    new = patch(text, {"fqdn": "b.example.com", "wan_ip": "10.0.0.1", "tls_port": "5067"})
    doc = yaml.safe_load(new)["sbc"]
    assert doc["fqdn"] == "b.example.com" and doc["wan_ip"] == "10.0.0.1"
    assert {"transport": "tls", "port": 5067} in doc["listen"]


def test_scalars_cannot_inject_structure() -> None:
    assert scalar("sbc.example.com") == "sbc.example.com"
    assert scalar("2001:db8::1") == "2001:db8::1"
    assert scalar("a: b") == '"a: b"'
    assert scalar("yes") == '"yes"'
    assert scalar("x\nmodel: evil") == '"x\\nmodel: evil"'
    new = patch(EXAMPLE, {"fqdn": "x\nconnections: []"})
    assert yaml.safe_load(new)["sbc"]["fqdn"] == "x\nconnections: []"


def test_patch_refuses_files_without_sbc_section() -> None:
    with pytest.raises(PatchError, match="no sbc: section"):
        patch("connections: []\n", {"fqdn": "a.example.com"})
    with pytest.raises(PatchError, match="not YAML"):
        patch("sbc: [\n", {"fqdn": "a.example.com"})


def test_current_values() -> None:
    assert current(EXAMPLE) == {"fqdn": "sbc.example.com", "public_ip": "203.0.113.10",
                                "wan_ip": None, "tls_port": 5061, "options_interval": 60,
                                "trace_path": "/data/trace/sip.pcap"}
    assert current(BASE)["tls_port"] == 5061  # default listeners
    assert current(BASE + "  listen: [{transport: udp}]\n")["tls_port"] is None


def _check_errors(path: Path) -> list[str]:
    """What `sbc check --config path` prints for errors."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        assert check_main(["--config", str(path)]) == 1
    return [line for line in err.getvalue().splitlines()
            if ": warning: " not in line and not line.endswith("error(s)")]


@pytest.mark.parametrize(("field", "value", "fragment"), [
    ("fqdn", "bad_name", "sbc.fqdn: is not a valid DNS name: bad label 'bad_name'"),
    ("fqdn", "192.0.2.1", "sbc.fqdn: must be a DNS name, not an IP address"),
    ("public_ip", "not-an-ip", "sbc.public_ip"),
    ("wan_ip", "203.0.113.300", "sbc.wan_ip"),
    ("tls_port", "70000", "port"),
    ("options_interval", "5", "sbc.options_interval"),
])
def test_errors_are_those_of_sbc_check(tmp_path: Path, field: str, value: str,
                                       fragment: str) -> None:
    path = tmp_path / "sbc.yaml"
    path.write_text(EXAMPLE)
    answer = update(path, {field: value})
    assert answer["ok"] is False
    assert any(fragment in e for e in answer["errors"]), answer["errors"]
    assert path.read_text() == EXAMPLE  # nothing saved
    checked = tmp_path / "checked.yaml"
    checked.write_text(patch(EXAMPLE, {field: value}))
    assert [e.replace(str(path), "F") for e in answer["errors"]] == [
        e.replace(str(checked), "F") for e in _check_errors(checked)]


def test_valid_change_is_saved(tmp_path: Path) -> None:
    path = tmp_path / "sbc.yaml"
    path.write_text(EXAMPLE)
    dry = update(path, {"fqdn": "sbc9.example.com"}, dry_run=True)
    assert dry["ok"] and not dry["saved"] and path.read_text() == EXAMPLE
    done = update(path, {"fqdn": "sbc9.example.com"})
    assert done["ok"] and done["saved"]
    assert done["values"]["fqdn"] == "sbc9.example.com"
    assert path.stat().st_mode & 0o777 == 0o600  # save_config: it holds trunk passwords
    assert show(path)["values"]["fqdn"] == "sbc9.example.com"


def test_missing_file(tmp_path: Path) -> None:
    assert show(tmp_path / "none.yaml")["ok"] is False
    assert update(tmp_path / "none.yaml", {"fqdn": "a.example.com"})["ok"] is False


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "sbc.yaml"
    path.write_text(EXAMPLE.replace("path: /data/trace/sip.pcap", "path: trace/sip.pcap"))
    assert main(["show", "--config", str(path)]) == 0
    values = json.loads(capsys.readouterr().out)["values"]
    assert values["trace_path"] == str(tmp_path / "trace/sip.pcap")
    out = subprocess.run([sys.executable, "-m", "firstboot.voip", "set", "--config", str(path),
                          "--fqdn", "bad_name"], capture_output=True, text=True, cwd=REPO,
                         check=True, timeout=60)
    assert json.loads(out.stdout)["ok"] is False
