"""The dnspython adapter against a DNS server this test runs on 127.0.0.1.

The server answers from a small zone (NAPTR, SRV, A with TTLs, SOA for negative answers)
and counts queries, so the TTL cache can be checked with an injected clock.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import dns.asyncresolver
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdatatype
import dns.rrset
import pytest
from sbc.config import load_config
from sbc.config.model import Connection
from sbc.resolve import (
    Destination,
    DnsFailure,
    DnsLookup,
    NaptrRecord,
    NxDomain,
    Record,
    SipResolver,
    SrvRecord,
    Target,
)
from sbc.resolve.dnslookup import convert

REG = "reg.sip-trunk.telekom.de"
ZONE: dict[tuple[str, str], tuple[int, list[str]]] = {
    (REG, "NAPTR"): (300, [f'10 10 "s" "SIP+D2T" "" _sip._tcp.{REG}.']),
    (f"_sip._tcp.{REG}", "SRV"): (300, ["10 0 5060 h1.sip-trunk.telekom.de."]),
    ("h1.sip-trunk.telekom.de", "A"): (60, ["217.0.20.1"]),
    ("sip.pstnhub.microsoft.com", "A"): (30, ["52.114.148.0"]),
}
SOA = "ns.test. hostmaster.test. 1 3600 600 86400 45"


class ZoneServer(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.queries: list[tuple[str, str]] = []
        self.transport: asyncio.DatagramTransport | None = None
        self.servfail = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        query = dns.message.from_wire(data)
        response = dns.message.make_response(query)
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        rdtype = dns.rdatatype.to_text(question.rdtype)
        self.queries.append((name, rdtype))
        if self.servfail:
            response.set_rcode(dns.rcode.SERVFAIL)
        elif (name, rdtype) in ZONE:
            ttl, texts = ZONE[(name, rdtype)]
            response.answer.append(dns.rrset.from_text(question.name, ttl, "IN", rdtype, *texts))
        else:
            known = any(n == name for n, _ in ZONE)
            if not known:
                response.set_rcode(dns.rcode.NXDOMAIN)
            response.authority.append(dns.rrset.from_text("test.", 120, "IN", "SOA", SOA))
        response.flags |= dns.flags.AA
        assert self.transport is not None
        self.transport.sendto(response.to_wire(), addr)


@asynccontextmanager
async def zone_server() -> AsyncIterator[tuple[ZoneServer, dns.asyncresolver.Resolver]]:
    loop = asyncio.get_running_loop()
    transport, server = await loop.create_datagram_endpoint(ZoneServer, local_addr=("127.0.0.1", 0))
    port = transport.get_extra_info("sockname")[1]
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = port
    resolver.lifetime = 2.0
    try:
        yield server, resolver
    finally:
        transport.close()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_convert_rdata() -> None:
    naptr = dns.rdata.from_text("IN", "NAPTR", f'10 20 "S" "SIPS+D2T" "" _sips._tcp.{REG}.')
    assert convert(naptr) == NaptrRecord(10, 20, "S", "SIPS+D2T", "", f"_sips._tcp.{REG}")
    srv = dns.rdata.from_text("IN", "SRV", "1 2 5061 .")
    assert convert(srv) == SrvRecord(1, 2, 5061, ".")
    assert convert(dns.rdata.from_text("IN", "AAAA", "2001:db8::1")) == ipaddress.ip_address(
        "2001:db8::1"
    )
    assert convert(dns.rdata.from_text("IN", "TXT", '"x"')) is None


def test_full_resolution_through_dnspython() -> None:
    async def main() -> None:
        async with zone_server() as (server, resolver):
            sip = SipResolver(lookup=DnsLookup(resolver), ipv6=False)
            targets = await sip.resolve(Destination(REG), ("tcp",))
            assert targets == [Target("tcp", ipaddress.ip_address("217.0.20.1"), 5060, REG)]
            assert server.queries == [
                (REG, "NAPTR"),
                (f"_sip._tcp.{REG}", "SRV"),
                ("h1.sip-trunk.telekom.de", "A"),
            ]

    asyncio.run(main())


def test_cache_respects_ttl() -> None:
    async def main() -> None:
        async with zone_server() as (server, resolver):
            clock = Clock()
            lookup = DnsLookup(resolver, clock=clock)
            name = "sip.pstnhub.microsoft.com"
            assert await lookup(name, "A") == [ipaddress.ip_address("52.114.148.0")]
            clock.now += 29
            await lookup(name, "A")
            assert server.queries.count((name, "A")) == 1  # cached within the TTL of 30 s
            clock.now += 2
            await lookup(name, "A")
            assert server.queries.count((name, "A")) == 2  # never beyond it

    asyncio.run(main())


def test_negative_answers() -> None:
    async def main() -> None:
        async with zone_server() as (server, resolver):
            clock = Clock()
            lookup = DnsLookup(resolver, clock=clock)
            with pytest.raises(NxDomain, match="NXDOMAIN"):
                await lookup("nowhere.test", "A")
            with pytest.raises(NxDomain):
                await lookup("nowhere.test", "A")
            assert server.queries.count(("nowhere.test", "A")) == 1
            # NODATA: the name exists, the type does not -> [] (cached by SOA minimum 45 s)
            assert await lookup(REG, "A") == []
            clock.now += 44
            assert await lookup(REG, "A") == []
            assert server.queries.count((REG, "A")) == 1
            clock.now += 2
            await lookup(REG, "A")
            assert server.queries.count((REG, "A")) == 2

    asyncio.run(main())


def test_failures_are_not_cached() -> None:
    async def main() -> None:
        async with zone_server() as (server, resolver):
            lookup = DnsLookup(resolver)
            server.servfail = True
            with pytest.raises(DnsFailure) as info:
                await lookup("sip.pstnhub.microsoft.com", "A")
            assert not isinstance(info.value, NxDomain)
            server.servfail = False
            assert await lookup("sip.pstnhub.microsoft.com", "A")

    asyncio.run(main())


def test_resolver_for_connections_uses_the_host_map() -> None:
    root = Path(__file__).resolve().parents[2]
    config = load_config(root / "examples" / "lab.yaml")

    async def no_dns(name: str, rdtype: str) -> list[Record]:
        raise AssertionError(f"unexpected DNS query {rdtype} {name}")

    async def main() -> dict[str, list[Target]]:
        sip = SipResolver(config.hosts, no_dns)
        out: dict[str, list[Target]] = {}
        for conn in config.connections:
            out[conn.name] = await sip.targets(conn)
        return out

    found = asyncio.run(main())
    got = {
        name: [(t.transport, str(t.ip), t.port, t.sni) for t in ts] for name, ts in found.items()
    }
    assert got == {
        "Telekom": [("tcp", "127.0.0.1", 5080, REG)],
        "Teams1": [("tls", "127.0.0.1", 5081, "sip.pstnhub.microsoft.com")],
        "Teams2": [("tls", "127.0.0.1", 5082, "sip2.pstnhub.microsoft.com")],
        "Teams3": [("tls", "127.0.0.1", 5083, "sip3.pstnhub.microsoft.com")],
    }
    assert isinstance(config.connections[0], Connection)
