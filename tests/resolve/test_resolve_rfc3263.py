"""RFC 3263 with a fake DNS: NAPTR -> SRV -> A, SRV only, A only, TLS, failures."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest
from sbc.config.model import HostEntry
from sbc.resolve import Destination, ResolveError, Target, resolve, resolve_async

from .fakedns import FakeDns, a, naptr, srv

REG = "reg.sip-trunk.telekom.de"


def first(randint_a: int, randint_b: int) -> int:
    """A random source that always picks the first candidate."""
    return randint_a


def tcp(ip: str, port: int, sni: str | None = REG) -> Target:
    return Target("tcp", ipaddress.ip_address(ip), port, sni)


def telekom_zone() -> FakeDns:
    """NAPTR offering UDP, TCP and TLS, each to its SRV name, two SRV targets for TCP."""
    return FakeDns(
        {
            (REG, "NAPTR"): [
                naptr(10, 50, "SIP+D2U", f"_sip._udp.{REG}"),
                naptr(10, 10, "SIP+D2T", f"_sip._tcp.{REG}"),
                naptr(20, 10, "SIPS+D2T", f"_sips._tcp.{REG}"),
            ],
            (f"_sip._udp.{REG}", "SRV"): [srv(10, 0, 5060, "udp1.example.net")],
            (f"_sip._tcp.{REG}", "SRV"): [
                srv(20, 0, 5060, "tcp2.example.net"),
                srv(10, 0, 5060, "tcp1.example.net"),
            ],
            (f"_sips._tcp.{REG}", "SRV"): [srv(10, 0, 5061, "tls1.example.net")],
            ("tcp1.example.net", "A"): a("217.0.0.1"),
            ("tcp2.example.net", "A"): a("217.0.0.2"),
            ("tls1.example.net", "A"): a("217.0.0.3"),
            ("udp1.example.net", "A"): a("217.0.0.4"),
        }
    )


def test_telekom_naptr_srv_a_over_tcp() -> None:
    dns = telekom_zone()
    targets = resolve(Destination(REG), dns, transports=("tcp",), randint=first, ipv6=False)
    assert targets == [tcp("217.0.0.1", 5060), tcp("217.0.0.2", 5060)]
    assert dns.queries == [
        (REG, "NAPTR"),
        (f"_sip._tcp.{REG}", "SRV"),
        ("tcp1.example.net", "A"),
        ("tcp2.example.net", "A"),
    ]


def test_naptr_order_then_preference_across_transports() -> None:
    dns = telekom_zone()
    targets = resolve(Destination(REG), dns, randint=first, ipv6=False)
    assert [(t.transport, str(t.ip)) for t in targets] == [
        ("tcp", "217.0.0.1"),  # order 10, preference 10
        ("tcp", "217.0.0.2"),
        ("udp", "217.0.0.4"),  # order 10, preference 50
        ("tls", "217.0.0.3"),  # order 20
    ]
    # SNI is the domain we asked for, never the SRV target (RFC 5922).
    assert {t.sni for t in targets} == {REG}


def test_naptr_without_our_transport_falls_back_to_srv() -> None:
    dns = FakeDns(
        {
            ("example.com", "NAPTR"): [naptr(10, 10, "SIP+D2U", "_sip._udp.example.com")],
            ("_sip._tcp.example.com", "SRV"): [srv(0, 0, 5070, "pbx.example.com")],
            ("pbx.example.com", "A"): a("192.0.2.1"),
        }
    )
    targets = resolve(Destination("example.com"), dns, transports=("tcp",), ipv6=False)
    assert targets == [tcp("192.0.2.1", 5070, "example.com")]


def test_naptr_non_s_flags_and_unknown_services_are_ignored() -> None:
    dns = FakeDns(
        {
            ("example.com", "NAPTR"): [
                naptr(1, 1, "SIP+D2T", "_weird.example.com", flags="a"),
                naptr(2, 1, "E2U+sip", "_sip._tcp.example.com"),
                naptr(3, 1, "SIP+D2T", "_sip._tcp.example.com"),
            ],
            ("_sip._tcp.example.com", "SRV"): [srv(0, 0, 5060, "pbx.example.com")],
            ("pbx.example.com", "A"): a("192.0.2.1"),
        }
    )
    targets = resolve(Destination("example.com"), dns, transports=("tcp",), ipv6=False)
    assert targets == [tcp("192.0.2.1", 5060, "example.com")]
    assert ("_weird.example.com", "SRV") not in dns.queries


def test_srv_only() -> None:
    dns = FakeDns(
        {
            ("_sip._tcp.example.com", "SRV"): [srv(0, 0, 5080, "pbx.example.com")],
            ("pbx.example.com", "A"): a("192.0.2.1"),
            ("pbx.example.com", "AAAA"): a("2001:db8::1"),
        }
    )
    targets = resolve(Destination("example.com"), dns, transports=("tls", "tcp", "udp"))
    assert [(t.transport, str(t.ip), t.port) for t in targets] == [
        ("tcp", "192.0.2.1", 5080),
        ("tcp", "2001:db8::1", 5080),
    ]
    assert dns.queries[:4] == [
        ("example.com", "NAPTR"),
        ("_sips._tcp.example.com", "SRV"),
        ("_sip._tcp.example.com", "SRV"),
        ("pbx.example.com", "A"),
    ]


def test_a_only_uses_default_port_and_udp_for_sip() -> None:
    dns = FakeDns({("pbx.example.com", "A"): a("192.0.2.9")})
    (target,) = resolve(Destination("pbx.example.com"), dns, ipv6=False)
    assert (target.transport, str(target.ip), target.port) == ("udp", "192.0.2.9", 5060)
    (target,) = resolve(Destination("pbx.example.com"), dns, transports=("tcp",), ipv6=False)
    assert (target.transport, target.port) == ("tcp", 5060)


def test_tls_sips_and_transport_param() -> None:
    dns = FakeDns(
        {
            ("_sips._tcp.example.com", "SRV"): [srv(0, 0, 5061, "sbc.example.com")],
            ("sbc.example.com", "A"): a("192.0.2.5"),
            ("other.example.com", "A"): a("192.0.2.6"),
        }
    )
    (target,) = resolve(Destination("example.com", secure=True), dns, ipv6=False)
    assert target == Target("tls", ipaddress.ip_address("192.0.2.5"), 5061, "example.com")
    # transport=tls given: straight to SRV, no NAPTR (RFC 3263 §4.1).
    dns.queries.clear()
    (target,) = resolve(Destination("example.com", transport="tls"), dns, ipv6=False)
    assert target.port == 5061 and dns.queries[0] == ("_sips._tcp.example.com", "SRV")
    # No SRV: A with the TLS default port.
    (target,) = resolve(Destination("other.example.com", transport="tls"), dns, ipv6=False)
    assert (target.transport, str(target.ip), target.port) == ("tls", "192.0.2.6", 5061)


def test_port_given_means_a_records_only() -> None:
    dns = FakeDns({("sip.pstnhub.microsoft.com", "A"): a("52.114.148.0", "52.114.132.46")})
    dest = Destination("sip.pstnhub.microsoft.com", 5061)
    targets = resolve(dest, dns, transports=("tls",), ipv6=False)
    assert [(t.transport, str(t.ip), t.port, t.sni) for t in targets] == [
        ("tls", "52.114.148.0", 5061, "sip.pstnhub.microsoft.com"),
        ("tls", "52.114.132.46", 5061, "sip.pstnhub.microsoft.com"),
    ]
    assert dns.queries == [("sip.pstnhub.microsoft.com", "A")]


def test_numeric_addresses_need_no_dns() -> None:
    dns = FakeDns({})
    assert resolve(Destination("192.0.2.1"), dns) == [
        Target("udp", ipaddress.ip_address("192.0.2.1"), 5060, None)
    ]
    assert resolve(Destination("[2001:db8::5]", 5070, "tcp"), dns) == [
        Target("tcp", ipaddress.ip_address("2001:db8::5"), 5070, None)
    ]
    assert resolve(Destination("192.0.2.1", secure=True), dns)[0].port == 5061
    assert dns.queries == []


def test_host_map_short_circuits_and_pins_srv_targets() -> None:
    hosts = {
        REG: HostEntry(REG, ipaddress.ip_address("127.0.0.1"), 5080),
        "pbx.example.com": HostEntry("pbx.example.com", ipaddress.ip_address("127.0.0.2"), None),
    }
    dns = FakeDns({("_sip._tcp.example.com", "SRV"): [srv(0, 0, 5090, "pbx.example.com")]})
    (target,) = resolve(
        Destination("Reg.Sip-Trunk.Telekom.DE."), dns, transports=("tcp",), hosts=hosts
    )
    assert target == tcp("127.0.0.1", 5080)
    assert dns.queries == []
    (target,) = resolve(Destination("example.com"), dns, transports=("tcp",), hosts=hosts)
    assert target == tcp("127.0.0.2", 5090, "example.com")


def test_duplicates_are_removed() -> None:
    dns = FakeDns(
        {
            ("example.com", "NAPTR"): [
                naptr(10, 10, "SIP+D2T", "_sip._tcp.example.com"),
                naptr(10, 20, "SIP+D2T", "_sip._tcp.example.com"),
            ],
            ("_sip._tcp.example.com", "SRV"): [srv(0, 0, 5060, "pbx.example.com")],
            ("pbx.example.com", "A"): a("192.0.2.1"),
        }
    )
    assert len(resolve(Destination("example.com"), dns, transports=("tcp",), ipv6=False)) == 1


def test_nxdomain_is_a_clear_error() -> None:
    dns = FakeDns({}, nxdomain={"nowhere.example"})
    with pytest.raises(ResolveError) as info:
        resolve(Destination("nowhere.example"), dns, transports=("tcp",))
    assert str(info.value) == (
        "cannot resolve sip:nowhere.example: nowhere.example does not exist in DNS (NXDOMAIN) "
        "[NAPTR nowhere.example: no such domain (NXDOMAIN)]"
    )
    with pytest.raises(ResolveError, match="does not exist in DNS"):
        resolve(Destination("nowhere.example", 5060), dns)


def test_no_records_at_all() -> None:
    dns = FakeDns({})
    with pytest.raises(ResolveError) as info:
        resolve(Destination("empty.example"), dns, transports=("tcp",), ipv6=False)
    error = info.value
    assert error.summary == "no address for empty.example"
    assert error.reasons == (
        "NAPTR empty.example: no records",
        "SRV _sip._tcp.empty.example: no records",
        "A empty.example: no records",
    )


def test_srv_dot_target_means_no_service() -> None:
    dns = FakeDns(
        {
            ("_sip._tcp.example.com", "SRV"): [srv(0, 0, 0, ".")],
            ("example.com", "A"): a("192.0.2.1"),
        }
    )
    targets = resolve(Destination("example.com"), dns, transports=("tcp",), ipv6=False)
    assert targets == [tcp("192.0.2.1", 5060, "example.com")]


def test_timeouts_do_not_stop_the_procedure() -> None:
    dns = FakeDns(
        {
            ("_sip._tcp.example.com", "SRV"): [srv(0, 0, 5060, "pbx.example.com")],
            ("pbx.example.com", "A"): a("192.0.2.1"),
        },
        failing={("example.com", "NAPTR")},
    )
    assert resolve(Destination("example.com"), dns, transports=("tcp",), ipv6=False) == [
        tcp("192.0.2.1", 5060, "example.com")
    ]


def test_transport_restrictions() -> None:
    with pytest.raises(ResolveError, match="transport udp is not allowed"):
        resolve(Destination("example.com", transport="udp"), FakeDns({}), transports=("tcp",))
    with pytest.raises(ResolveError, match="no usable transport"):
        resolve(Destination("example.com", secure=True), FakeDns({}), transports=("tcp",))


def test_async_driver_gives_the_same_answer() -> None:
    dns = telekom_zone()
    dest = Destination(REG)
    targets = asyncio.run(
        resolve_async(dest, dns.aio, transports=("tcp",), randint=first, ipv6=False)
    )
    assert targets == [tcp("217.0.0.1", 5060), tcp("217.0.0.2", 5060)]
