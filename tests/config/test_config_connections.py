"""Connections from the three built-in profiles, and what the admin gets wrong."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
import sbc
from sbc.config import ConfigError, load_config

from .conftest import MINIMAL, WriteConfig

TELEKOM = """\
connections:
  - name: Telekom
    profile: telekom-deutschlandlan
    line_number: "+4930123456780"
    auth_user: "555123456789"
    password: "0815"
"""


def errors_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return [str(e) for e in info.value.errors]


def test_telekom_maps_the_letter_onto_register_and_digest(write_config: WriteConfig) -> None:
    (conn,) = load_config(write_config(MINIMAL + TELEKOM)).connections
    assert (conn.name, conn.profile, conn.kind) == ("Telekom", "telekom-deutschlandlan", "carrier")
    assert (conn.host, conn.port, conn.transport, conn.resolve) == (
        "reg.sip-trunk.telekom.de",
        None,
        "tcp",
        "rfc3263",
    )
    assert conn.registration is not None
    assert conn.registration.registrar == "reg.sip-trunk.telekom.de"
    assert conn.registration.user == "+4930123456780"
    assert conn.registration.domain == "sip-trunk.telekom.de"
    assert conn.registration.expires == 480
    assert conn.registration.aor == "sip:+4930123456780@sip-trunk.telekom.de"
    assert conn.auth is not None
    assert (conn.auth.username, conn.auth.auth_user) == ("+4930123456780", "555123456789")
    assert conn.auth.password == "0815"  # as typed, not YAML octal
    assert conn.auth.realm is None  # taken from the challenge
    assert "0815" not in repr(conn)
    assert conn.numbers is not None and conn.numbers.country_code == "49"
    assert conn.options is True
    assert conn.allowlist == ()  # the registrar's resolved addresses
    assert conn.sni == "reg.sip-trunk.telekom.de"
    assert conn.group == "Telekom" and conn.priority == 1


def test_telekom_options(write_config: WriteConfig) -> None:
    text = (
        MINIMAL + TELEKOM + "    transport: tls\n    expires: 3600\n    domain: tel.t-online.de\n"
    )
    (conn,) = load_config(write_config(text)).connections
    assert conn.transport == "tls"
    assert conn.registration is not None
    assert (conn.registration.expires, conn.registration.domain) == (3600, "tel.t-online.de")


def test_telekom_required_fields_and_limits(write_config: WriteConfig) -> None:
    path = write_config(
        MINIMAL
        + """\
connections:
  - name: Telekom
    profile: telekom-deutschlandlan
    line_number: "030 1234567"
    transport: udp
    host: 192.0.2.1
    username: x
"""
    )
    assert errors_of(path) == [
        f"{path}:5: connections[0].auth_user: required setting is missing",
        f"{path}:5: connections[0].password: required setting is missing",
        f"{path}:7: connections[0].line_number: must be an E.164 number such as +4930123456 "
        "(got '030 1234567')",
        f"{path}:8: connections[0].transport: profile allows only tcp, tls (got 'udp')",
        f"{path}:9: connections[0].host: is fixed by profile telekom-deutschlandlan "
        "('reg.sip-trunk.telekom.de')",
        f"{path}:10: connections[0].username: profile telekom-deutschlandlan calls this "
        "'line_number'",
    ]


def test_teams_generic_expands_to_three(write_config: WriteConfig) -> None:
    text = MINIMAL + "connections:\n  - {name: Teams, profile: teams-generic}\n"
    conns = load_config(write_config(text)).connections
    assert [(c.name, c.host, c.port, c.transport, c.priority, c.group) for c in conns] == [
        ("Teams1", "sip.pstnhub.microsoft.com", 5061, "tls", 1, "Teams"),
        ("Teams2", "sip2.pstnhub.microsoft.com", 5061, "tls", 2, "Teams"),
        ("Teams3", "sip3.pstnhub.microsoft.com", 5061, "tls", 3, "Teams"),
    ]
    for conn in conns:
        assert conn.kind == "teams"
        assert conn.allowlist == (
            ipaddress.ip_network("52.112.0.0/14"),
            ipaddress.ip_network("52.120.0.0/14"),
        )
        assert conn.options is True
        assert conn.registration is None and conn.auth is None
        assert conn.headers == (("X-MS-SBC", f"{sbc.PRODUCT}/Appliance/{sbc.__version__}"),)
        assert conn.sni == conn.host
        assert conn.uri == f"sip:{conn.host}:5061;transport=tls"


def test_teams_model_and_fixed_settings(write_config: WriteConfig) -> None:
    path = write_config(
        MINIMAL
        + """\
  model: HyperV
connections:
  - name: Teams
    profile: teams-generic
    port: 5062
"""
    )
    assert errors_of(path) == [
        f"{path}:8: connections[0].port: is fixed by profile teams-generic (5061)"
    ]
    ok = write_config(
        MINIMAL + "  model: HyperV\nconnections:\n  - {name: T, profile: teams-generic}\n"
    )
    config = load_config(ok)
    assert config.group("T")[0].headers == (("X-MS-SBC", f"OpenSBC/HyperV/{sbc.__version__}"),)


def test_generic_peer(write_config: WriteConfig) -> None:
    path = write_config(
        MINIMAL
        + """\
connections:
  - name: PBX
    profile: generic
    host: 192.0.2.20
    port: 5070
    transport: tcp
    resolve: static
    username: "100"
    password: secret
    register: true
    allowlist: [192.0.2.0/24, "2001:db8::/32"]
    options: false
    headers: {X-Site: Berlin}
"""
    )
    (conn,) = load_config(path).connections
    assert (conn.host, conn.port, conn.transport, conn.resolve) == (
        "192.0.2.20",
        5070,
        "tcp",
        "static",
    )
    assert conn.sni is None  # an IP literal: no SNI
    assert conn.auth is not None and conn.auth.auth_user == "100"
    assert conn.registration is not None and conn.registration.domain == "192.0.2.20"
    assert [str(n) for n in conn.allowlist] == ["192.0.2.0/24", "2001:db8::/32"]
    assert conn.options is False
    assert conn.headers == (("X-Site", "Berlin"),)
    assert conn.numbers is None


def test_generic_defaults_and_errors(write_config: WriteConfig) -> None:
    path = write_config(
        MINIMAL
        + """\
connections:
  - name: A
    profile: generic
  - name: B
    profile: generic
    host: pbx.example.com
    register: true
    allowlist: [10.0.0.1/8, not-a-net]
    headers: {Via: x, "Bad Name": y}
  - name: C
    profile: generic
    host: pbx.example.com
    password: p
"""
    )
    assert errors_of(path) == [
        f"{path}:5: connections[0].host: required setting is missing",
        f"{path}:11: connections[1].allowlist[0]: '10.0.0.1/8' has host bits set; did you mean "
        "10.0.0.0/8?",
        f"{path}:11: connections[1].allowlist[1]: must be an address or a CIDR network like "
        "52.112.0.0/14 (got 'not-a-net')",
        f"{path}:12: connections[1].headers.Bad Name: is not a valid SIP header name "
        "(got 'Bad Name')",
        f"{path}:12: connections[1].headers.Via: is set by the SBC itself",
        f"{path}:13: connections[2].username: a password needs a user name",
    ]


def test_generic_register_needs_user(write_config: WriteConfig) -> None:
    path = write_config(
        MINIMAL
        + "connections:\n  - {name: B, profile: generic, host: x.example.com, register: true}\n"
    )
    assert errors_of(path) == [f"{path}:5: connections[0].username: registration needs a user name"]


def test_names_unique_and_profiles_known(write_config: WriteConfig) -> None:
    path = write_config(
        MINIMAL
        + """\
connections:
  - {name: Teams, profile: teams-generic}
  - {name: teams2, profile: generic, host: a.example.com}
  - {name: X, profile: telekom}
  - {profile: generic, host: b.example.com}
  - {name: "bad name", profile: generic, host: c.example.com}
  - just-a-string
"""
    )
    assert errors_of(path) == [
        f"{path}:6: connections[1].name: connection name 'teams2' is already used by "
        "connections[0] (line 5)",
        f"{path}:7: connections[2].profile: unknown profile 'telekom' "
        "(generic, teams-generic, telekom-deutschlandlan)",
        f"{path}:8: connections[3].name: required setting is missing",
        f"{path}:9: connections[4].name: use letters, digits, '.', '_' or '-' (got 'bad name')",
        f"{path}:10: connections[5]: must be a mapping with name and profile (got 'just-a-string')",
    ]


def test_unknown_field_lists_what_the_profile_takes(write_config: WriteConfig) -> None:
    path = write_config(
        MINIMAL + "connections:\n  - {name: T, profile: teams-generic, colour: red}\n"
    )
    assert errors_of(path) == [
        f"{path}:5: connections[0].colour: not a setting of profile teams-generic "
        "(it takes: allowlist, media_bypass, options)"
    ]


def test_warnings_for_teams_setups(write_config: WriteConfig) -> None:
    path = write_config(
        MINIMAL
        + """\
  listen: [{transport: udp}, {transport: tcp}]
connections:
  - {name: Teams, profile: teams-generic, allowlist: [52.114.0.0/16]}
  - {name: Other, profile: teams-generic}
  - {name: Loop, profile: generic, host: sbc.example.com}
"""
    )
    config = load_config(path)
    messages = [str(w) for w in config.warnings]
    assert any("sbc.listen: warning: no TLS listener" in m for m in messages)
    assert any("share sbc.fqdn sbc.example.com" in m and "AT-17" in m for m in messages)
    assert [m.split(": ", 1)[1] for m in messages if "only part" in m] == [
        "connections[0].allowlist: warning: Teams allows only part of Microsoft's ranges "
        "(52.114.0.0/16); allow 52.112.0.0/14 and 52.120.0.0/14 or OPTIONS and calls from "
        "other Microsoft proxies are dropped (AT-7)"
    ]
    assert any("Loop points at the SBC's own FQDN" in m for m in messages)
    assert any(
        "connections[1].name: warning: Other reaches the same peer as Teams" in m for m in messages
    )
    assert any(
        f"{path}:7: connections[1].profile: warning: Teams connections Other, Teams" in m
        for m in messages
    )
    assert all(w.line is not None for w in config.warnings if "does not exist" not in w.message)


def test_group_and_lookup(write_config: WriteConfig) -> None:
    text = MINIMAL + "connections:\n  - {name: Teams, profile: teams-generic}\n"
    config = load_config(write_config(text))
    assert [c.name for c in config.group("Teams")] == ["Teams1", "Teams2", "Teams3"]
    assert config.connection("Teams2").host == "sip2.pstnhub.microsoft.com"
    with pytest.raises(KeyError):
        config.connection("nope")


def test_unquoted_numbers_stay_as_typed(write_config: WriteConfig) -> None:
    path = write_config(
        MINIMAL
        + """\
connections:
  - name: Telekom
    profile: telekom-deutschlandlan
    line_number: +4930123456780
    auth_user: 0555123456789
    password: 0815
"""
    )
    (conn,) = load_config(path).connections
    assert conn.auth is not None
    assert (conn.auth.username, conn.auth.auth_user, conn.auth.password) == (
        "+4930123456780",
        "0555123456789",
        "0815",
    )


def test_config_is_read_only(write_config: WriteConfig) -> None:
    config = load_config(write_config(MINIMAL + "hosts: {a.example.com: 127.0.0.1}\n"))
    with pytest.raises(TypeError):
        config.hosts["b.example.com"] = config.hosts["a.example.com"]
    with pytest.raises(AttributeError):
        config.sbc.fqdn = "x.example.com"
