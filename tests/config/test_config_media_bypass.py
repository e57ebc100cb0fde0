"""`media_bypass`: Teams Direct Routing media bypass on the Teams connections.

Teams only, with srtp, and the same on every Teams connection (Microsoft sees sbc.fqdn as
one PSTN gateway with one -MediaBypass); a change is applied with a reload.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sbc.config import ConfigError, load_config
from sbc.config.cli import main

from .conftest import THREE_CONNECTIONS, WriteConfig, make_box

# BASE has 7 lines: the Teams entry is line 6, the generic peer line 7.
BASE = THREE_CONNECTIONS


def errors_of(path: Path, **kwargs: Any) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path, **kwargs)
    return [str(e) for e in info.value.errors]


def bypass(path: Path) -> dict[str, bool]:
    return {c.name: c.media_bypass for c in load_config(path).connections}


def test_off_by_default(write_config: WriteConfig) -> None:
    assert bypass(write_config(BASE)) == {
        "Telekom": False, "Teams1": False, "Teams2": False, "Teams3": False, "Pbx": False}


def test_one_teams_entry_sets_it_for_teams1_to_3(write_config: WriteConfig) -> None:
    path = write_config(BASE.replace("teams-generic}", "teams-generic, media_bypass: true}"))
    assert bypass(path) == {
        "Telekom": False, "Teams1": True, "Teams2": True, "Teams3": True, "Pbx": False}


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("host: 192.0.2.20}", "host: 192.0.2.20, media_bypass: true}", 7,
         "connections[2].media_bypass: media_bypass applies to Teams connections only "
         "(profile generic is kind peer)"),
        (", password: p}", ", password: p, media_bypass: true}", 5,
         "connections[0].media_bypass: media_bypass applies to Teams connections only "
         "(profile telekom-deutschlandlan is kind carrier)"),
        ("teams-generic}", "teams-generic, media_bypass: maybe}", 6,
         "connections[1].media_bypass: must be true or false (got 'maybe')"),
    ],
)
def test_refused_naming_the_field(
    write_config: WriteConfig, old: str, new: str, line: int, message: str
) -> None:
    path = write_config(BASE.replace(old, new))
    (error,) = errors_of(path)
    assert error == f"{path}:{line}: {message}"


def test_teams_connections_must_agree(write_config: WriteConfig) -> None:
    text = BASE + "  - {name: TeamsB, profile: teams-generic, media_bypass: true}\n"
    path = write_config(text)
    (error,) = errors_of(path)
    assert error == (
        f"{path}:8: connections[3].media_bypass: media_bypass must be the same on every Teams "
        "connection (TeamsB1 on, Teams1 off): Teams sees them as one PSTN gateway with one "
        "MediaBypass setting")
    # the first one on, the second left at its default: the second is named
    path = write_config(BASE.replace("teams-generic}", "teams-generic, media_bypass: true}")
                        + "  - {name: TeamsB, profile: teams-generic}\n")
    (error,) = errors_of(path)
    assert error.startswith(f"{path}:8: connections[3].media_bypass: media_bypass must be the "
                            "same on every Teams connection (TeamsB1 off, Teams1 on)")


def test_teams_connections_that_agree_load(write_config: WriteConfig) -> None:
    text = BASE.replace("teams-generic}", "teams-generic, media_bypass: true}") \
        + "  - {name: TeamsB, profile: teams-generic, media_bypass: true}\n"
    config = load_config(write_config(text))
    assert all(c.media_bypass for c in config.connections if c.kind == "teams")
    assert any("AT-17" in str(w) for w in config.warnings)  # one FQDN, two tenants: a warning


PROFILES = {
    # a Teams profile that lets the admin switch srtp off (it must not with media bypass)
    "teams-plain": """\
title: Teams without SRTP
kind: teams
fields:
  srtp: {default: false}
  bypass: {to: media_bypass, label: Media bypass}
settings: {transport: tls, port: 5061}
expand:
  - {suffix: "1", host: sip.pstnhub.microsoft.com, priority: 1}
""",
    # a peer profile that fixes media bypass on
    "peer-bypass": """\
title: Not Teams
kind: peer
fields:
  host: {required: true}
settings: {media_bypass: true, srtp: true, transport: tls}
""",
}


def _profiles(tmp_path: Path) -> Path:
    folder = tmp_path / "profiles"
    folder.mkdir(exist_ok=True)
    for name, text in PROFILES.items():
        (folder / f"{name}.yaml").write_text(text)
    return folder


def test_needs_srtp_named_by_the_profiles_field(write_config: WriteConfig,
                                                tmp_path: Path) -> None:
    path = write_config(BASE.split("connections:")[0] + "profiles_dir: profiles\nconnections:\n"
                        "  - {name: T, profile: teams-plain, bypass: true}\n")
    _profiles(tmp_path)
    (error,) = [e for e in errors_of(path) if ": warning: " not in e]
    assert error == (f"{path}:6: connections[0].bypass: media_bypass needs srtp true: Teams "
                     "clients send their media encrypted (SRTP)")
    path.write_text(path.read_text().replace("bypass: true}", "bypass: true, srtp: true}"))
    assert [c.media_bypass for c in load_config(path).connections] == [True]


def test_a_peer_profile_fixing_it_is_refused(write_config: WriteConfig, tmp_path: Path) -> None:
    path = write_config(BASE.split("connections:")[0] + "profiles_dir: profiles\nconnections:\n"
                        "  - {name: P, profile: peer-bypass, host: pbx.example.net}\n")
    _profiles(tmp_path)
    (error,) = errors_of(path)
    assert error == (f"{path}:6: connections[0].media_bypass: media_bypass applies to Teams "
                     "connections only (profile peer-bypass is kind peer)")


# -- sbc config set / add ---------------------------------------------------------------


@pytest.fixture
def box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_box(tmp_path, monkeypatch, BASE)


def answer(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert main(["config", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_set_is_applied_with_a_reload(box: Path, capsys: pytest.CaptureFixture[str]) -> None:
    got = answer(capsys, "set", "connections.Teams.media_bypass=true")
    assert got["ok"] and got["changed"] == ["connections.Teams.media_bypass"]
    assert got["effects"] == got["applied"] == ["reload opensbc"]
    assert (box.parent / "systemctl.log").read_text() == "reload-or-restart opensbc.service\n"
    assert "  - {name: Teams, profile: teams-generic, media_bypass: true}\n" in box.read_text()
    shown = answer(capsys, "show", "connections.Teams.media_bypass")["settings"]
    assert shown["connections.Teams.media_bypass"] == {
        "value": True, "given": True, "default": False, "required": False, "type": "boolean",
        "kind": "boolean", "help": "Media bypass (Teams clients send audio straight to the SBC)",
        "effect": "reload", "problem": None}


def test_set_refusals_name_the_setting(box: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = box.read_bytes()
    got = answer(capsys, "add", "connection", "TeamsB", "--profile", "teams-generic",
                 "media_bypass=true")
    assert not got["ok"] and not got["saved"]
    assert [(e["field"], e["message"]) for e in got["errors"]] == [(
        "connections.TeamsB.media_bypass",
        "media_bypass must be the same on every Teams connection (TeamsB1 on, Teams1 off): "
        "Teams sees them as one PSTN gateway with one MediaBypass setting")]
    got = answer(capsys, "set", "connections.Pbx.media_bypass=true")
    assert not got["ok"]
    assert [(e["field"], e["message"]) for e in got["errors"]] == [(
        "connections.Pbx.media_bypass",
        "media_bypass applies to Teams connections only (profile generic is kind peer)")]
    assert box.read_bytes() == before
