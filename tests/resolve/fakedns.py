"""A DNS stand-in for the sans-I/O tests: answers from a dict, records every query."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from sbc.resolve import DnsFailure, NaptrRecord, NxDomain, Record, SrvRecord


def naptr(order: int, pref: int, service: str, replacement: str, flags: str = "s") -> NaptrRecord:
    return NaptrRecord(order, pref, flags, service, "", replacement)


def srv(priority: int, weight: int, port: int, target: str) -> SrvRecord:
    return SrvRecord(priority, weight, port, target)


def a(*addresses: str) -> list[Record]:
    return [ipaddress.ip_address(x) for x in addresses]


class FakeDns:
    def __init__(
        self,
        zone: dict[tuple[str, str], list[Record]],
        *,
        nxdomain: Iterable[str] = (),
        failing: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.zone = zone
        self.nxdomain = set(nxdomain)
        self.failing = set(failing)
        self.queries: list[tuple[str, str]] = []

    def __call__(self, name: str, rdtype: str) -> list[Record]:
        self.queries.append((name, rdtype))
        if (name, rdtype) in self.failing:
            raise DnsFailure(name, rdtype, "timeout")
        if name in self.nxdomain:
            raise NxDomain(name, rdtype)
        return list(self.zone.get((name, rdtype), []))

    async def aio(self, name: str, rdtype: str) -> list[Record]:
        return self(name, rdtype)
