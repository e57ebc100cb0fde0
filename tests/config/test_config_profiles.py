"""Profiles are data files: the shipped ones are clean, extra ones add or replace."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from sbc.config import ConfigError, ProfileRegistry, check, load_config

from .conftest import MINIMAL, WriteConfig

ACME = """\
title: ACME Telecom
kind: carrier
fields:
  account: {to: username, required: true, label: Account number}
  secret: {to: password, required: true}
  transport: {default: tls, choices: [tcp, tls]}
settings:
  host: sip.acme.example
  register: true
  expires: 600
headers:
  User-Agent: "{product} {version}"
"""


def write_profile(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_builtin_profiles_parse_cleanly() -> None:
    registry = ProfileRegistry()
    assert registry.names() == ["generic", "teams-generic", "telekom-deutschlandlan"]
    for name in registry.names():
        profile, log = registry.get(name)
        assert profile is not None, [str(i) for i in log.issues]
        assert log.issues == []
    telekom, _ = registry.get("telekom-deutschlandlan")
    assert telekom is not None
    assert telekom.fields["line_number"].target == "username"
    assert telekom.fields["line_number"].label == "Registrierungsrufnummer"
    assert telekom.settings["host"] == "reg.sip-trunk.telekom.de"


def test_a_new_provider_is_a_file(write_config: WriteConfig, tmp_path: Path) -> None:
    write_profile(tmp_path / "profiles", "acme", ACME)
    path = write_config(
        MINIMAL
        + """\
profiles_dir: profiles
connections:
  - {name: Acme, profile: acme, account: "4711", secret: pw}
"""
    )
    (conn,) = load_config(path).connections
    assert (conn.host, conn.transport, conn.kind) == ("sip.acme.example", "tls", "carrier")
    assert conn.registration is not None
    assert (conn.registration.user, conn.registration.expires) == ("4711", 600)
    assert conn.headers[0][0] == "User-Agent" and conn.headers[0][1].startswith("OpenSBC ")
    # The same file through the API argument instead of the config key.
    plain = write_config(
        MINIMAL + "connections:\n  - {name: A, profile: acme, account: '1', secret: s}\n", "b.yaml"
    )
    assert load_config(plain, profiles_dir=tmp_path / "profiles").connections[0].name == "A"


def test_broken_profile_errors_name_the_profile_file(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    folder = tmp_path / "profiles"
    bad = write_profile(
        folder,
        "bad",
        """\
        title: Bad
        fields:
          host: {required: true}
          pin: {to: pincode}
          transport: {default: sctp}
        settings:
          port: 99999
        headers:
          X-Who: "{vendor}"
        """,
    )
    path = write_config(
        MINIMAL
        + "profiles_dir: profiles\nconnections:\n  - {name: B, profile: bad, host: x.example}\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert sorted(str(e) for e in info.value.errors) == sorted(
        [
            f"{path}:6: connections[0].profile: profile 'bad' is broken",
            f"{bad}:4: fields.pin.to: unknown connection setting 'pincode'",
            f"{bad}:5: fields.transport.default: must be one of udp, tcp, tls (got 'sctp')",
            f"{bad}:7: settings.port: must be between 1 and 65535 (got 99999)",
            f"{bad}:9: headers.X-Who: unknown variable 'vendor'; use {{product}}, {{model}}, "
            "{version}",
        ]
    )


def test_unused_broken_profile_only_warns(write_config: WriteConfig, tmp_path: Path) -> None:
    bad = write_profile(tmp_path / "profiles", "bad", "title: [\n")
    path = write_config(MINIMAL + "profiles_dir: profiles\n")
    config = load_config(path)
    (warning,) = [w for w in config.warnings if w.file == str(bad)]
    assert "unused" in warning.message and "YAML syntax" in warning.message


def test_extra_profile_replacing_builtin_warns(write_config: WriteConfig, tmp_path: Path) -> None:
    write_profile(
        tmp_path / "profiles", "generic", "title: Mine\nfields: {host: {required: true}}\n"
    )
    path = write_config(MINIMAL + "profiles_dir: profiles\n")
    issues = [str(i) for i in check(path)]
    assert any("replaces the built-in profile generic" in m for m in issues)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fields: {}\n", "title: required setting is missing"),
        ("title: X\nfields: {}\n", "no host"),
        ("title: X\nfields: {a: {to: host}, b: {to: host}}\n", "sets 'host' like field 'a'"),
        ("title: X\nfields: {host: {}}\nsettings: {host: a.example}\n", "also fixed"),
        (
            "title: X\nfields: {host: {required: true}}\nexpand: [{suffix: '1', host: a.b, "
            "priority: 1}]\n",
            "hosts come from expand",
        ),
        ("title: X\nkind: pbx\nsettings: {host: a.example}\n", "must be one of carrier"),
        (
            "title: X\nfields: {transport: {default: udp, choices: [tcp]}}\n"
            "settings: {host: a.example}\n",
            "is not one of the choices",
        ),
        ("title: X\nfields: {name: {}}\nsettings: {host: a.example}\n", "reserved"),
    ],
)
def test_profile_validation(tmp_path: Path, text: str, message: str) -> None:
    write_profile(tmp_path, "p", text)
    registry = ProfileRegistry(tmp_path)
    profile, log = registry.get("p")
    assert profile is None
    assert any(message in str(i) for i in log.issues), [str(i) for i in log.issues]


def test_profile_file_names(tmp_path: Path) -> None:
    write_profile(tmp_path, "Bad_Name", "title: X\nsettings: {host: a.example}\n")
    profile, log = ProfileRegistry(tmp_path).get("Bad_Name")
    assert profile is None and "my-provider.yaml" in str(log.issues[0])
