"""What the RFC 3263 procedure asks for and gets back, free of any DNS library.

The procedure yields `Query`s and receives `Answer`s; a driver does the I/O. Tests answer
from a dict, the appliance from dnspython (`sbc.resolve.dnslookup`).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Literal, Protocol

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Transport = Literal["udp", "tcp", "tls"]
RdType = Literal["NAPTR", "SRV", "A", "AAAA"]

DEFAULT_PORTS: dict[str, int] = {"udp": 5060, "tcp": 5060, "tls": 5061}


@dataclass(frozen=True)
class NaptrRecord:
    """RFC 3403 NAPTR; for SIP the flag is "s" and `replacement` is an SRV name."""

    order: int
    preference: int
    flags: str
    service: str
    regexp: str
    replacement: str


@dataclass(frozen=True)
class SrvRecord:
    """RFC 2782 SRV; `target` "." means "no such service here"."""

    priority: int
    weight: int
    port: int
    target: str


Record = NaptrRecord | SrvRecord | ipaddress.IPv4Address | ipaddress.IPv6Address


class DnsFailure(Exception):
    """A lookup that produced no answer for a reason other than "no records"."""

    reason = "failed"

    def __init__(self, name: str, rdtype: str, detail: str = "") -> None:
        self.name, self.rdtype, self.detail = name, rdtype, detail
        suffix = f" ({detail})" if detail else ""
        super().__init__(f"{rdtype} {name}: {self.reason}{suffix}")


class NxDomain(DnsFailure):
    """The name does not exist (RCODE 3)."""

    reason = "no such domain (NXDOMAIN)"


class ResolveError(Exception):
    """No target could be found for a SIP URI; `reasons` lists what each lookup said."""

    def __init__(self, uri: str, summary: str, reasons: tuple[str, ...] = ()) -> None:
        self.uri, self.summary, self.reasons = uri, summary, reasons
        detail = f" [{'; '.join(reasons)}]" if reasons else ""
        super().__init__(f"cannot resolve {uri}: {summary}{detail}")


@dataclass(frozen=True)
class Query:
    name: str
    rdtype: RdType


@dataclass(frozen=True)
class Answer:
    """Records for a query, or the failure that replaced them (never both)."""

    records: tuple[Record, ...] = ()
    error: DnsFailure | None = None


@dataclass(frozen=True)
class Destination:
    """The part of a SIP URI that RFC 3263 needs: host, port, transport param, sips:."""

    host: str
    port: int | None = None
    transport: Transport | None = None
    secure: bool = False

    def __str__(self) -> str:
        scheme = "sips" if self.secure else "sip"
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = f":{self.port}" if self.port else ""
        param = f";transport={self.transport}" if self.transport else ""
        return f"{scheme}:{host}{port}{param}"


@dataclass(frozen=True)
class Target:
    """Where to send: transport, address, port, and the TLS name to send and verify.

    `sni` is the URI's host, not the SRV target (RFC 5922 §4), and None for IP literals.
    """

    transport: Transport
    ip: IPAddress
    port: int
    sni: str | None

    @property
    def sockaddr(self) -> tuple[str, int]:
        return str(self.ip), self.port


class Pinned(Protocol):
    """A static host map entry (config's HostEntry fits): an address, maybe a port."""

    @property
    def address(self) -> IPAddress: ...

    @property
    def port(self) -> int | None: ...
