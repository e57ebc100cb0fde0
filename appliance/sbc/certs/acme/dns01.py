"""The DNS-01 answer (RFC 8555 §8.4) by RFC 2136 dynamic update, signed with TSIG
(RFC 8945), for boxes that cannot take port 80.

    with DnsUpdater(zone, server, port, key) as dns:
        dns.add("_acme-challenge.sbc.example.org", "<key authorization digest>")
        ...  # the CA looks the TXT record up; it is deleted on the way out

The records go to `dns_server`, which must be the zone's primary (or accept updates for
it); its secondaries get them by NOTIFY, usually within seconds. The TTL is short so a
resolver does not keep an old answer across renewals.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType

import dns.exception
import dns.name
import dns.query
import dns.rcode
import dns.tsig
import dns.update

TTL = 60
TIMEOUT = 10.0


class DnsUpdateError(Exception):
    """The server refused or did not answer the update; the message says which."""


@dataclass(frozen=True)
class TsigKey:
    name: str
    secret: str  # base64, as `tsig-keygen` / `keymgr` print it
    algorithm: str = "hmac-sha256"

    def key(self) -> dns.tsig.Key:
        return dns.tsig.Key(self.name, self.secret, self.algorithm)


class DnsUpdater:
    """Adds TXT records in `zone` while the `with` body runs, deletes them afterwards."""

    def __init__(self, zone: str, server: str, port: int, key: TsigKey) -> None:
        self.zone = dns.name.from_text(zone)
        self.server, self.port, self.key = server, port, key
        self.added: list[tuple[dns.name.Name, str]] = []

    def add(self, name: str, value: str) -> None:
        """A TXT record `name` (absolute, inside the zone) holding `value`."""
        owner = dns.name.from_text(name)
        if not owner.is_subdomain(self.zone):
            raise DnsUpdateError(f"{name} is not inside the zone {self.zone}; "
                                 "set acme.dns_zone to the zone that holds it")
        update = self._update()
        update.add(owner, TTL, "TXT", f'"{value}"')
        self._send(update, f"adding TXT {name}")
        self.added.append((owner, value))

    def remove_all(self) -> None:
        """Delete what `add` put in (each value, not other TXT records of the name)."""
        problems = []
        for owner, value in self.added:
            update = self._update()
            update.delete(owner, "TXT", f'"{value}"')
            try:
                self._send(update, f"deleting TXT {owner}")
            except DnsUpdateError as exc:
                problems.append(str(exc))
        self.added.clear()
        if problems:
            raise DnsUpdateError("; ".join(problems))

    def _update(self) -> dns.update.Update:
        return dns.update.Update(self.zone, keyring=self.key.key())

    def _send(self, update: dns.update.Update, what: str) -> None:
        try:
            answer = dns.query.tcp(update, self.server, timeout=TIMEOUT, port=self.port)
        except (dns.exception.DNSException, OSError) as exc:
            raise DnsUpdateError(f"{what} at {self.server}:{self.port}: {exc}") from exc
        if answer.rcode() != dns.rcode.NOERROR:
            raise DnsUpdateError(f"{what}: {self.server}:{self.port} answered "
                                 f"{dns.rcode.to_text(answer.rcode())} (check the TSIG key "
                                 "and the server's update policy for the zone)")

    def __enter__(self) -> DnsUpdater:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc is None:
            self.remove_all()
            return
        try:
            self.remove_all()
        except DnsUpdateError:
            pass  # the first failure is the one to report
