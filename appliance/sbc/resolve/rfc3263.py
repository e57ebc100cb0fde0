"""RFC 3263 §4 "Locating a SIP server" as a sans-I/O procedure.

`procedure()` is a generator: it yields a `Query`, is sent back an `Answer`, and finally
returns the ordered `Target`s (or raises ResolveError). `resolve()` drives it with a plain
`lookup(name, rdtype)` callable, `resolve_async()` with an async one. Order of steps:

1. static host map (labs, tests): the name is pinned, no DNS at all;
2. numeric IP: that address (§4.2);
3. port given: A/AAAA of the host (§4.2);
4. transport given: SRV for that transport, else A/AAAA (§4.1, §4.2);
5. NAPTR (SIP+D2U, SIP+D2T, SIPS+D2T among our transports, by order/preference), each
   pointing to an SRV name; without usable NAPTR: SRV `_sip._udp`, `_sip._tcp`,
   `_sips._tcp` per transport; without SRV: A/AAAA with the default port (§4.1).
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Awaitable, Callable, Generator, Mapping, Sequence

from .records import (
    DEFAULT_PORTS,
    Answer,
    Destination,
    DnsFailure,
    IPAddress,
    NaptrRecord,
    NxDomain,
    Pinned,
    Query,
    RdType,
    Record,
    ResolveError,
    SrvRecord,
    Target,
    Transport,
)
from .srv import RandInt, order_srv

# RFC 3263 §4.1 / RFC 3261 §26.3: NAPTR service fields for SIP over UDP, TCP, TLS.
NAPTR_SERVICES: dict[str, Transport] = {"SIP+D2U": "udp", "SIP+D2T": "tcp", "SIPS+D2T": "tls"}
SRV_PREFIXES: dict[Transport, str] = {"udp": "_sip._udp", "tcp": "_sip._tcp", "tls": "_sips._tcp"}
ALL_TRANSPORTS: tuple[Transport, ...] = ("tls", "tcp", "udp")

Procedure = Generator[Query, Answer, list[Target]]
Lookup = Callable[[str, str], Sequence[Record]]
AsyncLookup = Callable[[str, str], Awaitable[Sequence[Record]]]


def _ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _name(name: str) -> str:
    return name.lower().rstrip(".")


class _Run:
    """One resolution: its inputs and the reasons collected for a failure message."""

    def __init__(
        self,
        dest: Destination,
        transports: Sequence[Transport],
        hosts: Mapping[str, Pinned],
        randint: RandInt,
        ipv6: bool,
    ) -> None:
        self.dest, self.hosts, self.randint, self.ipv6 = dest, hosts, randint, ipv6
        self.host = _name(dest.host)
        allowed = tuple(t for t in transports if t in DEFAULT_PORTS)
        if dest.secure:
            allowed = tuple(t for t in allowed if t == "tls")
        if dest.transport is not None:
            if dest.transport not in allowed:
                raise ResolveError(str(dest), f"transport {dest.transport} is not allowed here")
            allowed = (dest.transport,)
        if not allowed:
            raise ResolveError(str(dest), "no usable transport")
        self.allowed: tuple[Transport, ...] = allowed
        self.reasons: list[str] = []

    def fail(self, summary: str) -> ResolveError:
        return ResolveError(str(self.dest), summary, tuple(self.reasons))

    def default_transport(self) -> Transport:
        """§4.1 without NAPTR/SRV: UDP for sip:, TLS for sips: (if we may use them)."""
        if self.dest.transport is not None:
            return self.dest.transport
        return "udp" if "udp" in self.allowed else self.allowed[0]

    def ask(self, name: str, rdtype: RdType) -> Generator[Query, Answer, tuple[Record, ...]]:
        answer = yield Query(name, rdtype)
        if answer.error is not None:
            self.reasons.append(str(answer.error))
            if isinstance(answer.error, NxDomain) and name == self.host:
                raise self.fail(f"{self.host} does not exist in DNS (NXDOMAIN)")
            return ()
        if not answer.records:
            self.reasons.append(f"{rdtype} {name}: no records")
        return answer.records

    def addresses(self, name: str) -> Generator[Query, Answer, list[tuple[IPAddress, int | None]]]:
        """A then AAAA of `name`; a host map entry wins (with its port, if it has one)."""
        pinned = self.hosts.get(_name(name))
        if pinned is not None:
            return [(pinned.address, pinned.port)]
        found: list[tuple[IPAddress, int | None]] = []
        rdtypes: tuple[RdType, ...] = ("A", "AAAA") if self.ipv6 else ("A",)
        for rdtype in rdtypes:
            records = yield from self.ask(name, rdtype)
            found += [(r, None) for r in records if isinstance(r, IPAddress)]
        return found

    def srv(self, name: str, transport: Transport) -> Generator[Query, Answer, list[Target]]:
        records = [r for r in (yield from self.ask(name, "SRV")) if isinstance(r, SrvRecord)]
        if len(records) == 1 and records[0].target in (".", ""):
            self.reasons.append(f"SRV {name}: service not offered (target '.')")
            return []
        targets: list[Target] = []
        for record in order_srv(records, self.randint):
            for ip, pinned_port in (yield from self.addresses(record.target)):
                targets.append(Target(transport, ip, pinned_port or record.port, self.host))
        return targets

    def naptr(self) -> Generator[Query, Answer, list[Target]]:
        records = [
            r for r in (yield from self.ask(self.host, "NAPTR")) if isinstance(r, NaptrRecord)
        ]
        usable = sorted(
            (
                r
                for r in records
                if r.flags.lower() == "s"
                and NAPTR_SERVICES.get(r.service.upper()) in self.allowed
                and r.replacement not in (".", "")
            ),
            key=lambda r: (r.order, r.preference),
        )
        if records and not usable:
            self.reasons.append(f"NAPTR {self.host}: no record for {'/'.join(self.allowed)}")
        targets: list[Target] = []
        for record in usable:
            transport = NAPTR_SERVICES[record.service.upper()]
            targets += yield from self.srv(_name(record.replacement), transport)
        return targets


def _dedupe(targets: list[Target]) -> list[Target]:
    seen: set[tuple[str, IPAddress, int]] = set()
    out = []
    for t in targets:
        key = (t.transport, t.ip, t.port)
        if key not in seen:
            seen.add(key)
            out.append(t)
    return out


def procedure(
    dest: Destination,
    *,
    transports: Sequence[Transport] = ALL_TRANSPORTS,
    hosts: Mapping[str, Pinned] | None = None,
    randint: RandInt = random.randint,
    ipv6: bool = True,
) -> Procedure:
    """The targets for `dest`, best first, among `transports` (in our preference order)."""
    run = _Run(dest, transports, hosts or {}, randint, ipv6)
    ip = _ip(dest.host)
    sni = None if ip is not None else run.host
    pinned = None if ip is not None else run.hosts.get(run.host)
    if pinned is not None:  # step 1
        transport = run.default_transport()
        port = pinned.port or dest.port or DEFAULT_PORTS[transport]
        return [Target(transport, pinned.address, port, sni)]
    if ip is not None:  # step 2
        transport = run.default_transport()
        return [Target(transport, ip, dest.port or DEFAULT_PORTS[transport], None)]
    targets: list[Target] = []
    if dest.port is None and dest.transport is not None:  # step 4
        targets = yield from run.srv(f"{SRV_PREFIXES[dest.transport]}.{run.host}", dest.transport)
    elif dest.port is None:  # step 5
        targets = yield from run.naptr()
        if not targets:
            for transport in run.allowed:
                targets += yield from run.srv(f"{SRV_PREFIXES[transport]}.{run.host}", transport)
    if targets:
        return _dedupe(targets)
    transport = run.default_transport()  # step 3, or the A/AAAA fallback of 4 and 5
    port = dest.port or DEFAULT_PORTS[transport]
    found = yield from run.addresses(run.host)
    if not found:
        raise run.fail(f"no address for {run.host}")
    return _dedupe([Target(transport, address, port, sni) for address, _ in found])


def resolve(
    dest: Destination,
    lookup: Lookup,
    *,
    transports: Sequence[Transport] = ALL_TRANSPORTS,
    hosts: Mapping[str, Pinned] | None = None,
    randint: RandInt = random.randint,
    ipv6: bool = True,
) -> list[Target]:
    """Run the procedure with a synchronous `lookup(name, rdtype) -> records`.

    `lookup` returns [] for "no records" and raises NxDomain or DnsFailure otherwise.
    """
    proc = procedure(dest, transports=transports, hosts=hosts, randint=randint, ipv6=ipv6)
    try:
        query = next(proc)
        while True:
            try:
                answer = Answer(tuple(lookup(query.name, query.rdtype)))
            except DnsFailure as exc:
                answer = Answer((), exc)
            query = proc.send(answer)
    except StopIteration as done:
        return done.value


async def resolve_async(
    dest: Destination,
    lookup: AsyncLookup,
    *,
    transports: Sequence[Transport] = ALL_TRANSPORTS,
    hosts: Mapping[str, Pinned] | None = None,
    randint: RandInt = random.randint,
    ipv6: bool = True,
) -> list[Target]:
    """The same with an async lookup (the dnspython adapter)."""
    proc = procedure(dest, transports=transports, hosts=hosts, randint=randint, ipv6=ipv6)
    try:
        query = next(proc)
        while True:
            try:
                answer = Answer(tuple(await lookup(query.name, query.rdtype)))
            except DnsFailure as exc:
                answer = Answer((), exc)
            query = proc.send(answer)
    except StopIteration as done:
        return done.value
