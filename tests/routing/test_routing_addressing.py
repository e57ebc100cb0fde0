"""Request-URI, To, From and identity headers toward Teams, Telekom and a national PBX."""

from __future__ import annotations

import pytest
from sbc.config import Config
from sbc.routing import Addressing, RouteDecision, addressing

from .conftest import BASE, config_of, conn

FQDN = "sbc.example.com"


def decision(
    config: Config,
    calling: str | None = "+4940111222",
    privacy: bool = False,
    called: str = "+4930123456789",
) -> RouteDecision:
    return RouteDecision("r", called, calling, privacy, config.connections)


def shown(a: Addressing) -> tuple[str, str, str, tuple[tuple[str, str], ...]]:
    return str(a.request_uri), str(a.to_addr), str(a.from_addr), a.headers


def test_teams(config: Config) -> None:
    a = addressing(conn(config, "Teams2"), decision(config), FQDN)
    assert shown(a) == (
        "sip:+4930123456789@sip2.pstnhub.microsoft.com:5061;user=phone;transport=tls",
        "<sip:+4930123456789@sip2.pstnhub.microsoft.com;user=phone>",
        "<sip:+4940111222@sbc.example.com;user=phone>",  # our FQDN, never an IP (AT-1)
        (),  # identity none: From only
    )


def test_teams_withheld(config: Config) -> None:
    a = addressing(conn(config, "Teams1"), decision(config, privacy=True), FQDN)
    assert str(a.from_addr) == '"Anonymous" <sip:anonymous@anonymous.invalid>'
    assert a.headers == ()


def test_telekom_e164_with_ppi(config: Config) -> None:
    a = addressing(conn(config, "Telekom"), decision(config, "+4930123456780"), FQDN)
    assert shown(a) == (
        "sip:+4930123456789@sip-trunk.telekom.de;user=phone;transport=tcp",
        "<sip:+4930123456789@sip-trunk.telekom.de;user=phone>",
        "<sip:+4930123456780@sip-trunk.telekom.de;user=phone>",
        (("P-Preferred-Identity", "<sip:+4930123456780@sip-trunk.telekom.de;user=phone>"),),
    )


def test_telekom_withheld_keeps_the_number_in_ppi(config: Config) -> None:
    a = addressing(conn(config, "Telekom"), decision(config, "+4930123456780", True), FQDN)
    assert str(a.from_addr) == '"Anonymous" <sip:anonymous@anonymous.invalid>'
    assert a.headers == (
        ("P-Preferred-Identity", "<sip:+4930123456780@sip-trunk.telekom.de;user=phone>"),
        ("Privacy", "id"),
    )


def test_anonymous_without_a_number(config: Config) -> None:
    a = addressing(conn(config, "Telekom"), decision(config, None, True), FQDN)
    assert a.headers == (("Privacy", "id"),)
    unknown = addressing(conn(config, "Telekom"), decision(config, None, False), FQDN)
    assert str(unknown.from_addr).endswith("<sip:anonymous@anonymous.invalid>")
    assert unknown.headers == ()


def test_telekom_national_over_tls_with_pai() -> None:
    config = config_of(
        base=BASE.replace(
            "    password: secret\n",
            "    password: secret\n    number_format: national\n    transport: tls\n"
            "    srtp: true\n    identity: pai\n",
        )
    )
    telekom = conn(config, "Telekom")
    assert (telekom.srtp, telekom.identity) == (True, "pai")
    a = addressing(telekom, decision(config, "+44207123456"), FQDN)
    assert shown(a) == (
        "sip:030123456789@sip-trunk.telekom.de;user=phone;transport=tls",
        "<sip:030123456789@sip-trunk.telekom.de;user=phone>",
        "<sip:0044207123456@sip-trunk.telekom.de;user=phone>",
        (("P-Asserted-Identity", "<sip:0044207123456@sip-trunk.telekom.de;user=phone>"),),
    )


@pytest.mark.parametrize(
    ("host", "port", "transport", "ruri"),
    [
        ("192.0.2.20", None, "udp", "sip:0401112223@192.0.2.20;user=phone"),
        ("192.0.2.20", 5080, "tcp", "sip:0401112223@192.0.2.20:5080;user=phone;transport=tcp"),
        ("2001:db8::1", 5060, "udp", "sip:0401112223@[2001:db8::1]:5060;user=phone"),
    ],
)
def test_national_peer_by_address(host: str, port: int | None, transport: str, ruri: str) -> None:
    pbx = BASE.replace(
        "    host: 192.0.2.20\n", f"    host: '{host}'\n    transport: {transport}\n"
    )
    if port:
        pbx += f"    port: {port}\n"
    config = config_of(base=pbx)
    a = addressing(conn(config, "Pbx"), decision(config, "110", called="+49401112223"), FQDN)
    assert str(a.request_uri) == ruri
    assert "5080" not in str(a.to_addr) and "transport" not in str(a.to_addr)
    assert str(a.from_addr).startswith("<sip:110@")  # a dial string is sent as it is
    assert a.headers[0][0] == "P-Asserted-Identity"  # the generic profile's default
