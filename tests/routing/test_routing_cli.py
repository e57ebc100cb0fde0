"""`sbc routes list|add|set|move|remove|test`: edits of the routes: section as text,
validated by the loader and saved only when valid, and the B2BUA's routing on a number."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sbc.cli import main

from .conftest import BASE

COMMENTED = BASE.replace("connections:\n", "# our trunks\nconnections:\n") + "# the end\n"
INBOUND = [
    "name=inbound", "from=Telekom", r"called=^\+4930123456(7\d\d)$",
    r"rewrite_called=+4930123456\1", "to=Teams",
]


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "sbc.yaml"
    path.write_text(COMMENTED)
    log = tmp_path / "systemctl.log"
    monkeypatch.setenv("OPENSBC_CONFIG", str(path))
    monkeypatch.setenv("OPENSBC_SYSTEMCTL", f"sh -c 'echo \"$*\" >> {log}' systemctl")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert main(["routes", *argv, "--json"]) == 0
    return dict(json.loads(capsys.readouterr().out))


def names(answer: dict[str, Any]) -> list[str]:
    return [r["name"] for r in answer["routes"]]


def test_list_shows_the_default_routes(cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answer = run(capsys, "list")
    assert answer["defaults"] is True
    assert [(r["name"], r["from"], r["to"], r["default"]) for r in answer["routes"]] == [
        ("Telekom to Teams", ["Telekom"], ["Teams"], True),
        ("Teams to Telekom", ["Teams"], ["Telekom"], True),
    ]
    assert answer["routes"][0]["targets"] == ["Teams1", "Teams2", "Teams3"]
    assert {c["name"] for c in answer["connections"]} >= {"Telekom", "Teams1", "Pbx"}


def test_add_writes_the_rule_first_then_the_defaults(
    cfg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = run(capsys, "add", *INBOUND)
    assert answer["ok"] and answer["saved"] and answer["index"] == 0
    assert answer["applied"] == ["reload opensbc"]
    assert answer["defaults_written"] == ["Telekom to Teams", "Teams to Telekom"]
    assert names(answer) == ["inbound", "Telekom to Teams", "Teams to Telekom"]
    text = cfg.read_text()
    assert text.startswith(COMMENTED)  # comments and everything else kept
    assert ("routes:\n  - name: inbound\n    from: Telekom\n"
            "    called: '^\\+4930123456(7\\d\\d)$'\n"
            "    rewrite_called: '+4930123456\\1'\n    to: Teams\n") in text
    assert (cfg.parent / "systemctl.log").read_text() == "reload-or-restart opensbc.service\n"


def test_test_a_number(cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "add", *INBOUND)
    answer = run(capsys, "test", "--from", "Telekom", "--called", "030123456789",
                 "--calling", "040 111222")
    assert answer["numbers"] == {"called": "+4930123456789", "calling": "+4940111222",
                                 "privacy": False}
    assert answer["route"] == {"name": "inbound", "index": 0, "position": 1, "default": False}
    assert answer["rewritten"]["called"] == "+4930123456789"
    assert [t["name"] for t in answer["targets"]] == ["Teams1", "Teams2", "Teams3"]
    assert answer["targets"][0]["request_uri"] == (
        "sip:+4930123456789@sip.pstnhub.microsoft.com:5061;user=phone;transport=tls")
    # a capture group that changes the number; the PBX sees it nationally
    run(capsys, "set", "inbound", r"rewrite_called=+49301234560\1", "to=Pbx, Teams")
    answer = run(capsys, "test", "--from", "Telekom", "--called", "+4930123456789",
                 "--calling", "+4940111222")
    assert answer["rewritten"]["called"] == "+49301234560789"
    assert [(t["name"], t["called"], t["calling"]) for t in answer["targets"]][:2] == [
        ("Pbx", "0301234560789", "040111222"), ("Teams1", "+49301234560789", "+4940111222")]
    # the defaults after it; no route from the PBX: 404
    answer = run(capsys, "test", "--from", "Teams", "--called", "+4940111222")
    assert answer["route"]["name"] == "Teams to Telekom" and answer["numbers"]["privacy"]
    answer = run(capsys, "test", "--from", "Pbx", "--called", "+4940111222")
    assert (answer["status"], answer["route"], answer["targets"]) == (404, None, [])
    assert answer["reason"] == "no route for +4940111222 from Pbx"
    answer = run(capsys, "test", "--from", "Pbx", "--called", "abc")
    assert answer["status"] == 484
    answer = run(capsys, "test", "--from", "Nobody", "--called", "+4940111222")
    assert not answer["ok"] and "no connection named 'Nobody'" in answer["reason"]


def test_bad_regex_is_named_and_nothing_is_saved(
    cfg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "add", *INBOUND)
    before = cfg.read_bytes()
    log = (cfg.parent / "systemctl.log").read_text()
    answer = run(capsys, "set", "inbound", "called=^(+49")
    assert not answer["ok"] and not answer["saved"]
    [error] = answer["errors"]
    assert (error["field"], error["index"], error["rule"], error["key"]) == (
        "routes[0].called", 0, "inbound", "called")
    assert error["message"].startswith("bad regular expression:")
    assert cfg.read_bytes() == before
    assert (cfg.parent / "systemctl.log").read_text() == log  # nothing applied
    answer = run(capsys, "add", "name=x", "called=[", "to=Teams", "--position", "1")
    assert [(e["index"], e["key"]) for e in answer["errors"]] == [(0, "called")]
    assert cfg.read_bytes() == before
    assert main(["routes", "add", "name=y", "to=Nope"]) == 1  # text mode: exit 1
    assert "routes[3].to: no connection or group named 'Nope'" in capsys.readouterr().err


def test_move_and_remove(cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "add", *INBOUND)
    answer = run(capsys, "move", "Teams to Telekom", "1")
    assert answer["saved"] and names(answer) == [
        "Teams to Telekom", "inbound", "Telekom to Teams"]
    answer = run(capsys, "move", "Teams to Telekom", "3")
    assert names(answer) == ["inbound", "Telekom to Teams", "Teams to Telekom"]
    assert cfg.read_text().startswith(COMMENTED)
    answer = run(capsys, "remove", "Telekom to Teams")
    assert names(answer) == ["inbound", "Teams to Telekom"]
    answer = run(capsys, "move", "nope", "1")
    assert answer["errors"][0]["message"].startswith("no rule named 'nope'")
    run(capsys, "remove", "inbound")
    answer = run(capsys, "remove", "Teams to Telekom")  # the last one: defaults again
    assert answer["defaults"] and names(answer) == ["Telekom to Teams", "Teams to Telekom"]
    assert cfg.read_text() == COMMENTED


def test_move_keeps_comments_with_their_rule(
    cfg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg.write_text(BASE + "routes:\n  # first\n  - name: a\n    to: Teams\n\n"
                   "  # second\n  - name: b\n    to: Telekom\n    # inside b\n")
    run(capsys, "move", "b", "1")
    assert cfg.read_text() == BASE + (
        "routes:\n  # second\n  - name: b\n    to: Telekom\n    # inside b\n\n"
        "  # first\n  - name: a\n    to: Teams\n")
    cfg.write_text(BASE + "routes: [{name: a, to: Teams}, {name: b, to: Telekom}]\n")
    run(capsys, "move", "a", "2")
    assert cfg.read_text().endswith("routes: [{name: b, to: Telekom}, {name: a, to: Teams}]\n")


def test_a_rule_after_a_catch_all_never_matches(
    cfg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = run(capsys, "add", *INBOUND, "--position", "3")  # after the defaults
    assert names(answer) == ["Telekom to Teams", "Teams to Telekom", "inbound"]
    assert [r["shadowed_by"] for r in answer["routes"]] == [None, None, "Telekom to Teams"]
    assert main(["routes", "list"]) == 0
    assert "never matches: Telekom to Teams takes its calls first" in capsys.readouterr().out
