"""Emergency calls (issue 11, item 2): 110/112 recognised in every form Teams writes them,
routed as the bare dial string, and presented with the trunk's own number (Telekom: the
line number in P-Preferred-Identity, also for a caller who withheld the number)."""

from __future__ import annotations

import pytest
from sbc.config import Config
from sbc.routing import (
    RouteDecision,
    addressing,
    country_codes,
    decide,
    dialled,
    emergency_number,
    emergency_numbers,
    parties_of,
    trunk_number,
)
from sbc.sip import parse_uri

from .conftest import BASE, config_of, conn, invite

FQDN = "sbc.example.com"


def with_other(entry: str) -> Config:
    """BASE plus one more connection written (indented) as in a test."""
    lines = [line[4:] for line in entry.splitlines() if line.strip()]
    return config_of("", base=BASE + "\n".join(lines) + "\n")
NUMBERS = frozenset({"110", "112"})


@pytest.mark.parametrize("raw, found", [
    ("112", "112"), ("+112", "112"), ("+49112", "112"), ("+49 110", "110"), ("1-1-0", "110"),
    ("0112", None), ("+4930112", None), ("113", None), ("+1112", None), ("", None),
])
def test_emergency_number_forms(raw: str, found: str | None) -> None:
    assert emergency_number(raw, NUMBERS, {"49"}) == found


def test_dialled_reads_sip_and_tel_uris() -> None:
    assert dialled(parse_uri("sip:+112@sbc.example.com;user=phone"), NUMBERS) == "112"
    assert dialled(parse_uri("tel:110"), NUMBERS) == "110"
    assert dialled(parse_uri("sip:sbc.example.com"), NUMBERS) is None


def test_the_lists_of_the_source_and_every_carrier_count() -> None:
    config = with_other("""
      - name: Other
        profile: generic
        host: 192.0.2.30
        emergency_numbers: ["911"]
    """)
    numbers = emergency_numbers(config, conn(config, "Teams1"))
    assert numbers == {"110", "112", "911"}
    assert country_codes(config) == {"49"}


def test_a_bad_emergency_list_names_the_field() -> None:
    from sbc.config import ConfigError

    with pytest.raises(ConfigError) as info:
        with_other("""
      - name: Other
        profile: generic
        host: 192.0.2.30
        emergency_numbers: ["11a"]
    """)
    assert "emergency_numbers" in str(info.value)


def test_teams_plus_112_is_routed_as_112(config: Config) -> None:
    teams = conn(config, "Teams1")
    request = invite("sip:+112@sbc.example.com;user=phone",
                     "<sip:+4930123456781@sip.pstnhub.microsoft.com;user=phone>;tag=1")
    party = parties_of(request, teams, emergency=emergency_numbers(config, teams),
                       country_codes=country_codes(config))
    assert party.called == "112" and party.emergency
    decision = decide(config, teams, party)
    assert decision.emergency and decision.called == "112"
    a = addressing(conn(config, "Telekom"), decision, FQDN)
    assert str(a.request_uri) == "sip:112@sip-trunk.telekom.de;user=phone;transport=tcp"


def test_an_ordinary_number_is_no_emergency(config: Config) -> None:
    teams = conn(config, "Teams1")
    party = parties_of(invite(), teams, emergency=NUMBERS)
    assert not party.emergency


def emergency(config: Config, calling: str | None, privacy: bool) -> RouteDecision:
    return RouteDecision("r", "112", calling, privacy, config.connections, emergency=True)


def test_telekom_gets_the_line_number_in_ppi_and_the_caller_in_from(config: Config) -> None:
    a = addressing(conn(config, "Telekom"), emergency(config, "+4940111222", False), FQDN)
    assert str(a.from_addr) == "<sip:+4940111222@sip-trunk.telekom.de;user=phone>"
    assert a.headers == (
        ("P-Preferred-Identity", "<sip:+4930123456780@sip-trunk.telekom.de;user=phone>"),)


def test_withheld_caller_stays_anonymous_but_ppi_has_the_line_number(config: Config) -> None:
    a = addressing(conn(config, "Telekom"), emergency(config, "+4940111222", True), FQDN)
    assert str(a.from_addr) == '"Anonymous" <sip:anonymous@anonymous.invalid>'
    assert a.headers == (
        ("P-Preferred-Identity", "<sip:+4930123456780@sip-trunk.telekom.de;user=phone>"),
        ("Privacy", "id"),
    )


def test_a_caller_without_any_number_still_presents_the_line_number(config: Config) -> None:
    a = addressing(conn(config, "Telekom"), emergency(config, None, False), FQDN)
    assert "anonymous" in str(a.from_addr)
    assert a.headers[0][1] == "<sip:+4930123456780@sip-trunk.telekom.de;user=phone>"


def test_configured_trunk_number_in_national_format_and_in_from_without_identity() -> None:
    config = with_other("""
      - name: Other
        profile: generic
        host: 192.0.2.30
        country_code: "49"
        number_format: national
        identity: none
        trunk_number: "+49301234500"
    """)
    other = conn(config, "Other")
    assert trunk_number(other) == "+49301234500"
    a = addressing(other, emergency(config, "+4940111222", True), FQDN)
    assert str(a.from_addr) == "<sip:0301234500@192.0.2.30;user=phone>"
    assert a.headers == ()  # Privacy: id is added for every withheld caller (presented.py)


def test_without_a_trunk_number_the_callers_number_is_used(config: Config) -> None:
    pbx = conn(config, "Pbx")
    assert trunk_number(pbx) is None
    a = addressing(pbx, emergency(config, "+4940111222", False), FQDN)
    assert a.headers == (("P-Asserted-Identity", "<sip:040111222@192.0.2.20;user=phone>"),)


def test_teams_never_gets_a_trunk_number(config: Config) -> None:
    a = addressing(conn(config, "Teams1"), emergency(config, "+4940111222", False), FQDN)
    assert str(a.from_addr) == "<sip:+4940111222@sbc.example.com;user=phone>"


def test_telekom_profile_drops_the_location_by_default(config: Config) -> None:
    telekom = conn(config, "Telekom")
    assert telekom.location == "drop" and telekom.emergency_numbers == ("110", "112")
    passing = config_of("", base=_telekom_with("location: pass"))
    assert conn(passing, "Telekom").location == "pass"


def _telekom_with(line: str) -> str:
    return BASE.replace('    password: secret\n', f'    password: secret\n    {line}\n', 1)
