"""The asyncio adapter: `lookup(name, rdtype)` over dnspython, cached by TTL.

Answers are cached exactly as long as their TTL says and no longer, so a peer that moves
(Microsoft maintenance, a carrier's new SBC) is followed; IPs are never pinned (AT-6).
Negative answers are cached for the SOA minimum (RFC 2308), capped; failures
(timeouts, SERVFAIL) are not cached at all, so the next call tries again.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass

import dns.asyncresolver
import dns.exception
import dns.message
import dns.rdatatype
import dns.resolver
from dns.rdtypes.IN.A import A
from dns.rdtypes.IN.AAAA import AAAA
from dns.rdtypes.IN.NAPTR import NAPTR
from dns.rdtypes.IN.SRV import SRV

from .records import DnsFailure, NaptrRecord, NxDomain, Record, SrvRecord

Clock = Callable[[], float]
MAX_ENTRIES = 4096


@dataclass(frozen=True)
class _Entry:
    expires: float
    records: tuple[Record, ...]
    nxdomain: bool = False


def _text(value: bytes | str) -> str:
    return value.decode("ascii", "replace") if isinstance(value, bytes) else value


def convert(rdata: object) -> Record | None:
    """One dnspython rdata as our record type (None for types we do not use)."""
    if isinstance(rdata, A | AAAA):
        return ipaddress.ip_address(rdata.address)
    if isinstance(rdata, SRV):
        target = rdata.target.to_text(omit_final_dot=True)
        return SrvRecord(rdata.priority, rdata.weight, rdata.port, target)
    if isinstance(rdata, NAPTR):
        return NaptrRecord(
            rdata.order,
            rdata.preference,
            _text(rdata.flags),
            _text(rdata.service),
            _text(rdata.regexp),
            rdata.replacement.to_text(omit_final_dot=True),
        )
    return None


def _soa_ttl(response: dns.message.Message | None) -> float | None:
    """The negative-caching TTL of a response: min(SOA TTL, SOA MINIMUM), RFC 2308 §5."""
    if response is None:
        return None
    for rrset in response.authority:
        if rrset.rdtype == dns.rdatatype.SOA and len(rrset):
            return float(min(rrset.ttl, rrset[0].minimum))
    return None


class DnsLookup:
    """Callable as `await lookup(name, rdtype)`; returns [] or raises NxDomain/DnsFailure."""

    def __init__(
        self,
        resolver: dns.asyncresolver.Resolver | None = None,
        *,
        clock: Clock = time.monotonic,
        negative_ttl: float = 30.0,
        max_negative_ttl: float = 300.0,
    ) -> None:
        self.resolver = resolver if resolver is not None else dns.asyncresolver.Resolver()
        self._clock = clock
        self._negative_ttl = negative_ttl
        self._max_negative_ttl = max_negative_ttl
        self._cache: dict[tuple[str, str], _Entry] = {}

    def clear(self) -> None:
        self._cache.clear()

    def _store(
        self, key: tuple[str, str], ttl: float, records: tuple[Record, ...], nx: bool = False
    ) -> None:
        if ttl <= 0:
            return
        now = self._clock()
        if len(self._cache) >= MAX_ENTRIES:
            self._cache = {k: e for k, e in self._cache.items() if e.expires > now}
        self._cache[key] = _Entry(now + ttl, records, nx)

    def _negative(self, response: dns.message.Message | None) -> float:
        ttl = _soa_ttl(response)
        return min(self._negative_ttl if ttl is None else ttl, self._max_negative_ttl)

    async def __call__(self, name: str, rdtype: str) -> list[Record]:
        key = (name.lower().rstrip("."), rdtype.upper())
        hit = self._cache.get(key)
        if hit is not None and hit.expires > self._clock():
            if hit.nxdomain:
                raise NxDomain(key[0], key[1])
            return list(hit.records)
        try:
            answer = await self.resolver.resolve(key[0] + ".", key[1], search=False)
        except dns.resolver.NXDOMAIN as exc:
            responses = list(exc.responses().values())
            self._store(key, self._negative(responses[0] if responses else None), (), True)
            raise NxDomain(key[0], key[1]) from None
        except dns.resolver.NoAnswer as exc:
            self._store(key, self._negative(exc.response()), ())
            return []
        except dns.exception.Timeout:
            raise DnsFailure(key[0], key[1], "timeout") from None
        except dns.resolver.NoNameservers:
            raise DnsFailure(key[0], key[1], "no DNS server answered (SERVFAIL/REFUSED)") from None
        except dns.exception.DNSException as exc:
            raise DnsFailure(key[0], key[1], str(exc) or type(exc).__name__) from None
        rrset = answer.rrset
        if rrset is None:
            return []
        records = tuple(r for r in (convert(rd) for rd in rrset) if r is not None)
        self._store(key, float(rrset.ttl), records)
        return list(records)
