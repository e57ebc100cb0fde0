"""The routes, media and calls sections, and the srtp/identity connection settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sbc.config import CallsConfig, ConfigError, MediaConfig, Route, load_config

from .conftest import MINIMAL, THREE_CONNECTIONS, WriteConfig

# BASE has 7 lines: the first line after it is FIRST.
BASE = THREE_CONNECTIONS
FIRST = 8


def errors_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return [str(e) for e in info.value.errors]


def test_defaults(write_config: WriteConfig) -> None:
    config = load_config(write_config(BASE))
    assert config.media == MediaConfig(("127.0.0.1", 2223), 30000, 39999, 60)
    assert config.calls == CallsConfig(10, 1800, 90, 500)
    assert config.routes == (
        Route("Telekom to Teams", ("Teams",), ("Telekom",)),
        Route("Teams to Telekom", ("Telekom",), ("Teams",)),
    )
    telekom, teams1, _, _, pbx = config.connections
    assert (telekom.srtp, telekom.identity) == (False, "ppi")
    assert (teams1.srtp, teams1.identity) == (True, "none")
    assert (pbx.srtp, pbx.identity) == (False, "pai")


def test_no_default_routes_warns(write_config: WriteConfig) -> None:
    path = write_config(MINIMAL + "connections:\n  - {name: Pbx, profile: generic, host: pbx}\n")
    config = load_config(path)
    assert config.routes == ()
    (warning,) = [str(w) for w in config.warnings if w.field == "routes"]
    assert warning.startswith(f"{path}:4: routes: warning: no routes: the default routes need")


def test_routes_as_written(write_config: WriteConfig) -> None:
    path = write_config(
        BASE
        + r"""routes:
  - name: inbound
    from: telekom
    called: '^\+4930123456(\d+)$'
    calling: '^\+49'
    rewrite_called: '+4930123456\1'
    rewrite_calling: '+4930123456000'
    to: Teams
  - {from: [Teams1, Pbx], called: '^(?P<n>\d+)$', rewrite_called: '\g<n>', to: [Telekom, Pbx]}
  - {called: '^0', rewrite_called: '+49', to: Pbx}
"""
    )
    inbound, second, third = load_config(path).routes
    assert inbound.name == "inbound" and inbound.sources == ("Telekom",)
    assert inbound.called is not None and inbound.called.pattern == r"^\+4930123456(\d+)$"
    assert inbound.calling == re.compile(r"^\+49")
    assert (inbound.rewrite_called, inbound.rewrite_calling) == (r"+4930123456\1", "+4930123456000")
    assert inbound.to == ("Teams",) and inbound.origin == f"{path}:{FIRST + 1}"
    assert (second.name, second.sources, second.to) == (
        "routes[1]",
        ("Teams1", "Pbx"),
        ("Telekom", "Pbx"),
    )
    assert third.sources == ()


ROUTE_ERRORS = [
    ("{called: '^(+49', to: Teams}", "routes[0].called: bad regular expression: "),
    ("{calling: '[', to: Teams}", "routes[0].calling: bad regular expression: unterminated"),
    (
        r"{called: '^\+49(\d+)$', rewrite_called: '0\2', to: Pbx}",
        "routes[0].rewrite_called: invalid group reference 2 at position 2; 'called' has 1 group",
    ),
    (
        r"{called: '^\+49(\d+)$', rewrite_called: '\g<x>', to: Pbx}",
        "routes[0].rewrite_called: unknown group name 'x'",
    ),
    (
        r"{rewrite_called: '0\1', to: Pbx}",
        "routes[0].rewrite_called: refers to groups, but there is no 'called' regex",
    ),
    (
        r"{calling: '^(\d+)$', rewrite_calling: 'x\1', to: Pbx}",
        "routes[0].rewrite_calling: may only hold digits, '+', '*', '#' and group references",
    ),
    (
        "{rewrite_calling: '030 123', to: Pbx}",
        "routes[0].rewrite_calling: must be a number such as +4930123456 (got '030 123')",
    ),
    ("{to: Team}", "routes[0].to: no connection or group named 'Team' (did you mean 'Teams'?)"),
    (
        "{from: [Pbx, Nobody], to: Teams}",
        "routes[0].from[1]: no connection or group named 'Nobody' (known: Pbx, Teams, Teams1,",
    ),
    ("{from: Pbx}", "routes[0].to: required setting is missing"),
    ("{to: []}", "routes[0].to: must not be empty"),
    ("{to: {a: b}}", "routes[0].to: must be a name or a list of names (got a mapping)"),
    ("{to: Teams, form: Pbx}", "routes[0].form: unknown setting (did you mean 'from'?)"),
]


@pytest.mark.parametrize(("route", "message"), ROUTE_ERRORS)
def test_route_errors(write_config: WriteConfig, route: str, message: str) -> None:
    path = write_config(BASE + f"routes:\n  - {route}\n")
    (error,) = errors_of(path)
    assert error.startswith(f"{path}:{FIRST + 1}: {message}"), error


def test_route_section_errors(write_config: WriteConfig) -> None:
    empty = write_config(BASE + "routes: []\n", "empty.yaml")
    assert errors_of(empty) == [
        f"{empty}:{FIRST}: routes: must not be empty; leave 'routes' out for the default routes"
    ]
    mapping = write_config(BASE + "routes: {to: Teams}\n", "map.yaml")
    assert errors_of(mapping) == [
        f"{mapping}:{FIRST}: routes: must be a list of rules (got a mapping)"
    ]
    twice = write_config(
        BASE + "routes:\n  - {name: a, to: Teams}\n  - {name: a, to: Pbx}\n", "twice.yaml"
    )
    assert errors_of(twice) == [
        f"{twice}:{FIRST + 2}: routes[1].name: 'a' is already used by routes[0]"
    ]


def test_route_errors_come_with_connection_errors(write_config: WriteConfig) -> None:
    """A broken connection does not hide a broken regex: one pass shows both."""
    path = write_config(
        BASE.replace("host: 192.0.2.20", "host: 192.0.2.20, transport: tsl")
        + "routes:\n  - {called: '(', to: Nobody}\n"
    )
    errors = errors_of(path)
    assert errors[0].startswith(f"{path}:7: connections[2].transport: must be one of")
    assert errors[1].startswith(f"{path}:{FIRST + 1}: routes[0].called: bad regular expression")
    assert len(errors) == 2  # names are not checked against broken connections


def test_connection_named_like_another_group(write_config: WriteConfig) -> None:
    path = write_config(
        BASE + "  - {name: Trunks, profile: generic, host: 192.0.2.9, group: Other}\n"
        "  - {name: Main, profile: generic, host: 192.0.2.8, group: Trunks}\n"
        "routes:\n  - {to: Trunks}\n"
    )
    assert errors_of(path) == [
        f"{path}:{FIRST}: connections[3].name: 'Trunks' is also a group name; routes could "
        "not tell them apart"
    ]


MEDIA_ERRORS = [
    ("media: {rtpengine: '192.0.2.1:2223'}", "media.rtpengine: must be a loopback address"),
    ("media: {rtpengine: localhost}", "media.rtpengine: must be IP:PORT such as 127.0.0.1:2223"),
    ("media: {rtpengine: '127.0.0.1'}", "media.rtpengine: must be IP:PORT"),
    ("media: {port_min: 80}", "media.port_min: must be between 1024 and 65535 (got 80)"),
    ("media: {port_min: 40000}", "media.port_max: must be above port_min 40000 (got 39999)"),
    (
        "media: {port_min: 30000, port_max: 30099}",
        "media.port_max: 30000..30099 holds 100 ports: fewer than 2 per call for "
        "calls.max_calls 500",
    ),
    ("media: {no_rtp_timeout: 0}", "media.no_rtp_timeout: must be between 5 and 3600 seconds"),
    ("calls: {min_se: 60}", "calls.min_se: must be between 90 and 86400 seconds (got 60)"),
    ("calls: {session_expires: 120, min_se: 300}", "calls.session_expires: must be at least"),
    ("calls: {failover_timeout: 0}", "calls.failover_timeout: must be between 1 and 120"),
    ("calls: {max_calls: 0}", "calls.max_calls: must be between 1 and 100000 (got 0)"),
    ("calls: {max_cals: 5}", "calls.max_cals: unknown setting (did you mean 'max_calls'?)"),
]


@pytest.mark.parametrize(("section", "message"), MEDIA_ERRORS)
def test_media_and_calls_errors(write_config: WriteConfig, section: str, message: str) -> None:
    path = write_config(BASE + section + "\n")
    (error,) = errors_of(path)
    assert error.startswith(f"{path}:{FIRST}: {message}"), error


def test_media_and_calls_as_written(write_config: WriteConfig) -> None:
    path = write_config(
        BASE
        + "media:\n  rtpengine: '[::1]:2224'\n  port_min: 40000\n  port_max: 40999\n"
        + "  no_rtp_timeout: 30\n"
        + "calls: {failover_timeout: 4, session_expires: 600, min_se: 120, max_calls: 200}\n"
    )
    config = load_config(path)
    assert config.media == MediaConfig(("::1", 2224), 40000, 40999, 30)
    assert config.calls == CallsConfig(4, 600, 120, 200)
    assert not [w for w in config.warnings if w.field.startswith("media")]


def test_sip_port_in_the_rtp_range_warns(write_config: WriteConfig) -> None:
    path = write_config(BASE + "media: {port_min: 5000, port_max: 9999}\n")
    (warning,) = [str(w) for w in load_config(path).warnings if w.field == "media.port_min"]
    assert warning.startswith(
        f"{path}:{FIRST}: media.port_min: warning: the RTP ports 5000..9999 include SIP port "
        "5060 (sbc.listen[0])"
    )


def test_few_ports_per_call_warns(write_config: WriteConfig) -> None:
    path = write_config(BASE + "media: {port_min: 30000, port_max: 31499}\n")
    (warning,) = [str(w) for w in load_config(path).warnings if w.field == "media.port_max"]
    assert warning.startswith(f"{path}:{FIRST}: media.port_max: warning: 30000..31499 holds")
    assert "rtpengine uses 4 per call" in warning


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("srtp: true", "connections[0].srtp: srtp needs transport tls: the SRTP keys travel"),
        (
            "identity: asserted",
            "connections[0].identity: must be one of pai, ppi, none (got 'asserted')",
        ),
        ("srtp: yes please", "connections[0].srtp: must be true or false"),
    ],
)
def test_telekom_media_and_identity(write_config: WriteConfig, extra: str, message: str) -> None:
    base = BASE.replace(", password: p}", f", password: p, {extra}}}")
    path = write_config(base)
    (error,) = errors_of(path)
    assert error.startswith(f"{path}:5: {message}"), error


def test_telekom_srtp_over_tls(write_config: WriteConfig) -> None:
    base = BASE.replace(", password: p}", ", password: p, srtp: true, transport: tls}")
    telekom = load_config(write_config(base)).connections[0]
    assert (telekom.srtp, telekom.transport) == (True, "tls")


def test_teams_fixes_srtp_and_identity(write_config: WriteConfig) -> None:
    path = write_config(BASE.replace("teams-generic}", "teams-generic, srtp: false}"))
    (error,) = errors_of(path)
    assert error == f"{path}:6: connections[1].srtp: is fixed by profile teams-generic (True)"


def test_generic_srtp_names_the_transport_it_needs(write_config: WriteConfig) -> None:
    path = write_config(BASE.replace("host: 192.0.2.20}", "host: 192.0.2.20, srtp: true}"))
    (error,) = errors_of(path)
    assert error.startswith(f"{path}:7: connections[2].srtp: srtp needs transport tls")
