"""`sbc config profiles [--json]`: every connection profile with the fields the admin
gives, as the web page's "Add connection" form shows them; all of it from the profile
registry and the settings model, so the form, `sbc config show` and `add connection`
agree."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sbc.config.catalog import catalog, default_name
from sbc.config.cli import main
from sbc.config.profiles import ProfileRegistry
from sbc.config.settings import connection_settings

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = (REPO / "examples/appliance.yaml").read_text()
TEAMS_ONLY = """\
sbc:
  fqdn: sbc.lab.test
  public_ip: 192.168.1.10
profiles_dir: profiles
connections:
  - name: Teams
    profile: teams-generic
"""
ACME = """\
title: ACME Telecom
kind: carrier
description: >
  ACME's trunk,
  registered.
fields:
  account: {to: username, required: true, format: e164, label: Account number}
  secret: {to: password, required: true, label: Secret}
  transport: {default: tls, choices: [tcp, tls]}
settings:
  host: sip.acme.example
  register: true
"""


def profiles(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert main(["config", "profiles", "--json", *argv]) == 0
    return json.loads(capsys.readouterr().out)


def by_name(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in answer["profiles"]}


def test_builtin_profiles(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    got = profiles(capsys, "--config", str(tmp_path / "absent.yaml"))  # no file: built-ins
    assert got["ok"] and got["taken"] == []
    found = by_name(got)
    assert list(found) == sorted(ProfileRegistry().names())
    telekom = found["telekom-deutschlandlan"]
    assert telekom["label"] == "Deutsche Telekom DeutschlandLAN SIP-Trunk"
    assert telekom["kind"] == "carrier" and telekom["usable"] and not telekom["expands"]
    assert telekom["description"].startswith("Registers the trunk at reg.sip-trunk.telekom.de")
    assert telekom["default_name"] == "Telekom"
    assert telekom["fixed"]["host"] == "reg.sip-trunk.telekom.de"
    fields = {f["name"]: f for f in telekom["fields"]}
    assert [f["name"] for f in telekom["fields"]][:4] == [
        "line_number", "auth_user", "password", "transport"]  # the profile's order
    assert fields["line_number"] == {
        "name": "line_number", "label": "Registrierungsrufnummer", "required": True,
        "default": None, "type": "e164", "kind": "e164",
        "help": "AOR user (From, To, REGISTER)", "choices": None, "secret": False,
        "setting": "username"}
    assert fields["password"]["secret"] and fields["password"]["required"]
    assert not fields["auth_user"]["secret"]
    assert fields["transport"] | {"help": ""} == {
        "name": "transport", "label": "Transport (TCP; TLS if ordered)", "required": False,
        "default": "tcp", "type": "tcp | tls", "kind": "choice", "help": "",
        "choices": ["tcp", "tls"], "secret": False, "setting": "transport"}
    assert fields["expires"]["default"] == 480 and fields["expires"]["type"] == "60..86400 seconds"
    assert fields["allowlist"]["kind"] == "list" and fields["allowlist"]["default"] == []
    assert fields["srtp"]["kind"] == "boolean" and fields["srtp"]["choices"] == [False, True]


def test_teams_expands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    teams = by_name(profiles(capsys, "--config", str(tmp_path / "absent.yaml")))["teams-generic"]
    assert teams["label"] == "Microsoft Teams (Generic)" and teams["kind"] == "teams"
    assert teams["expands"] and teams["default_name"] == "Teams"
    assert [(t["suffix"], t["host"], t["port"]) for t in teams["expand"]] == [
        ("1", "sip.pstnhub.microsoft.com", 5061), ("2", "sip2.pstnhub.microsoft.com", 5061),
        ("3", "sip3.pstnhub.microsoft.com", 5061)]
    assert [f["name"] for f in teams["fields"]] == ["allowlist", "options", "media_bypass"]
    assert teams["fields"][0]["default"] == ["52.112.0.0/14", "52.120.0.0/14"]
    bypass = teams["fields"][2]
    assert (bypass["kind"], bypass["default"], bypass["required"]) == ("boolean", False, False)
    assert bypass["label"] == "Media bypass (Teams clients send audio straight to the SBC)"
    assert bypass["help"].startswith("Teams media bypass: Teams clients send media straight "
                                     "to sbc.public_ip")


def test_only_teams_offers_media_bypass(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    found = by_name(profiles(capsys, "--config", str(tmp_path / "absent.yaml")))
    offering = sorted(name for name, p in found.items()
                      if any(f["setting"] == "media_bypass" for f in p["fields"]))
    assert offering == ["teams-generic"]


def test_the_generic_fields_take_the_settings_own_choices(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    generic = by_name(profiles(capsys, "--config", str(tmp_path / "x.yaml")))["generic"]
    fields = {f["name"]: f for f in generic["fields"]}
    assert fields["host"]["required"] and fields["host"]["type"] == "host"
    assert fields["transport"]["choices"] == ["udp", "tcp", "tls"]  # no profile choices
    assert fields["headers"]["kind"] == "mapping" and fields["headers"]["default"] == {}
    assert fields["port"]["default"] is None and fields["port"]["type"] == "1..65535"


def test_same_as_the_settings_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every field is connections.<Name>.<field> of `sbc config show` for that profile."""
    registry = ProfileRegistry()
    for p in catalog(registry):
        spec = registry.get(p["name"])[0]
        assert spec is not None
        settings = connection_settings("X", 0, spec)
        assert [f["name"] for f in p["fields"]] == [s.path.split(".")[-1] for s in settings]
        assert [f["type"] for f in p["fields"]] == [str(s.type) for s in settings]
        assert [f["required"] for f in p["fields"]] == [s.required for s in settings]
        assert [f["secret"] for f in p["fields"]] == [s.secret for s in settings]
    path = tmp_path / "sbc.yaml"
    path.write_text(EXAMPLE)
    assert main(["config", "show", "--json", "--config", str(path), "connections.Telekom"]) == 0
    shown = json.loads(capsys.readouterr().out)["settings"]
    telekom = by_name(profiles(capsys, "--config", str(path)))["telekom-deutschlandlan"]
    for f in telekom["fields"]:
        s = shown[f"connections.Telekom.{f['name']}"]
        assert (s["type"], s["required"], s["help"]) == (f["type"], f["required"], f["label"])
        if not f["required"] and f["kind"] != "mapping":
            assert s["default"] == f["default"]


def test_names_taken_and_profiles_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "sbc.yaml"
    path.write_text(TEAMS_ONLY)
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles/acme.yaml").write_text(ACME)
    (tmp_path / "profiles/broken.yaml").write_text("title: Broken\nkind: nonsense\n")
    got = profiles(capsys, "--config", str(path))
    assert got["taken"] == ["Teams"]
    found = by_name(got)
    assert found["teams-generic"]["default_name"] == "Teams2"  # Teams exists already
    acme = found["acme"]
    assert acme["label"] == "ACME Telecom" and acme["description"] == "ACME's trunk, registered."
    assert acme["file"] == str(tmp_path / "profiles/acme.yaml") and acme["overrides"] is None
    assert [(f["name"], f["setting"], f["secret"], f["type"]) for f in acme["fields"]] == [
        ("account", "username", False, "e164"), ("secret", "password", True, "text"),
        ("transport", "transport", False, "tcp | tls")]
    assert acme["default_name"] == "Acme"
    broken = found["broken"]
    assert broken["usable"] is False and broken["fields"] == []
    assert any("kind" in e for e in broken["errors"])
    # --profiles-dir instead of the file's own
    other = tmp_path / "other"
    other.mkdir()
    (other / "telekom-deutschlandlan.yaml").write_text(ACME)
    found = by_name(profiles(capsys, "--config", str(path), "--profiles-dir", str(other)))
    assert "acme" not in found
    replaced = found["telekom-deutschlandlan"]
    assert replaced["label"] == "ACME Telecom" and replaced["overrides"].endswith(
        "telekom-deutschlandlan.yaml")


def test_default_name() -> None:
    registry = ProfileRegistry()
    telekom = registry.get("telekom-deutschlandlan")[0]
    assert telekom is not None
    assert default_name(telekom) == "Telekom"
    assert default_name(telekom, ["telekom", "Telekom2"]) == "Telekom3"


def test_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "profiles", "--config", str(tmp_path / "absent.yaml")]) == 0
    out = capsys.readouterr().out
    assert "telekom-deutschlandlan: Deutsche Telekom DeutschlandLAN SIP-Trunk (carrier)" in out
    assert ("  sbc config add connection Telekom --profile telekom-deutschlandlan "
            "line_number=... auth_user=... password=...") in out
    assert "  makes Teams2: sip2.pstnhub.microsoft.com:5061" in out
    assert "  password = Telefonie-Passwort [text; required] (secret)" in out
    assert "  transport = Transport (TCP; TLS if ordered) [tcp | tls; default tcp]" in out


def test_the_form_adds_what_the_catalog_describes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """What the page sends for Telekom: its three required fields; a bad line number is
    named by its setting and nothing is saved."""
    path = tmp_path / "sbc.yaml"
    path.write_text(TEAMS_ONLY.replace("profiles_dir: profiles\n", ""))
    before = path.read_text()
    telekom = by_name(profiles(capsys, "--config", str(path)))["telekom-deutschlandlan"]
    name = telekom["default_name"]
    base = ["config", "add", "--json", "--no-apply", "--config", str(path), "connection", name,
            "--profile", telekom["name"]]
    assert main([*base, "line_number=030123", "auth_user=5512", "password=x"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["ok"] is False and [e["field"] for e in got["errors"]] == [
        "connections.Telekom.line_number"]
    assert path.read_text() == before
    assert main([*base, "line_number=+4930123", "auth_user=5512", "password=x"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["ok"] and got["saved"] and got["changed"] == ["connections.Telekom"]
    assert by_name(profiles(capsys, "--config", str(path)))["telekom-deutschlandlan"][
        "default_name"] == "Telekom2"


def test_a_password_under_another_name_is_masked(tmp_path: Path) -> None:
    """A profile may call the password anything (`secret: {to: password}`); the settings
    model masks it by what it fills, not by its name."""
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "acme.yaml").write_text(
        "title: ACME trunk\nkind: carrier\ndescription: >\n  A test   carrier.\n"
        "fields:\n  host: {required: true}\n  secret: {to: password}\n"
        "  username: {}\n")
    registry = ProfileRegistry(profiles)
    profile, _ = registry.get("acme")
    assert profile is not None and profile.description == "A test carrier."
    by_name = {s.path: s for s in connection_settings("Acme", 0, profile)}
    assert by_name["connections.Acme.secret"].secret
    assert not by_name["connections.Acme.host"].secret
