"""Who the SBC says it is in every request and response it writes (AT-1).

The FQDN goes into Via sent-by, Contact and From, never an IP address: Teams answers an
IP there with 403 or ignores the SBC. The port next to it is the configured listening
port of the transport used, and for TLS always the configured TLS port (Microsoft
connects back to the Contact's host and port). `X-MS-SBC` and other per-connection
headers come from the connection's profile (`Connection.headers`).

What the SBC advertises (Allow, Supported, Accept) is decided here once:

- Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REFER, NOTIFY, UPDATE, INFO. REFER and
  NOTIFY are listed because Teams reads capabilities from Allow and only hands transfers
  to an SBC that lists REFER (the B2BUA handles it); PRACK is left out until 100rel is
  supported. Methods outside this list get 405 with this Allow.
- Supported: replaces (Teams may send INVITE with Replaces), timer, norefersub.
- Accept: application/sdp.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .. import PRODUCT, __version__
from ..config.model import DEFAULT_PORTS
from ..sip import (
    Address,
    Request,
    ServerPolicy,
    SipUri,
    Uri,
    Via,
    build_request,
    new_branch,
)
from ..sip.ids import RandomBytes

ALLOW = ("INVITE", "ACK", "CANCEL", "BYE", "OPTIONS", "REFER", "NOTIFY", "UPDATE", "INFO")
SUPPORTED = ("replaces", "timer", "norefersub")
ACCEPT = ("application/sdp", "multipart/mixed")  # multipart: emergency calls with location

POLICY = ServerPolicy(
    allowed_methods=frozenset(ALLOW),
    supported=frozenset(SUPPORTED),
    accept=ACCEPT,
)


def capability_headers() -> list[tuple[str, str]]:
    """Allow, Accept and Supported, as sent on OPTIONS (both ways) and their answers."""
    return [
        ("Allow", ", ".join(ALLOW)),
        ("Accept", ", ".join(ACCEPT)),
        ("Supported", ", ".join(SUPPORTED)),
    ]


@dataclass(frozen=True)
class SbcIdentity:
    """The FQDN and the configured listening port per transport."""

    fqdn: str
    ports: Mapping[str, int] = field(default_factory=dict)
    user_agent: str = f"{PRODUCT}/{__version__}"

    def port(self, transport: str) -> int:
        """The configured listening port for `transport` (the default port if none)."""
        transport = transport.lower()
        return self.ports.get(transport, DEFAULT_PORTS.get(transport, 5060))

    def via(self, transport: str, random: RandomBytes) -> Via:
        """Via with the FQDN and our port; `rport` on UDP so answers come to our socket."""
        params: dict[str, str | None] = {"branch": new_branch(random)}
        if transport.lower() == "udp":
            params["rport"] = None
        return Via(transport.upper(), self.fqdn, self.port(transport), params)

    def contact_uri(self, transport: str, user: str | None = None) -> SipUri:
        """sip:[user@]FQDN:PORT;transport=... (no transport parameter for UDP)."""
        transport = transport.lower()
        params: dict[str, str | None] = {}
        if transport != "udp":
            params["transport"] = transport
        return SipUri(host=self.fqdn, user=user, port=self.port(transport), params=params)

    def contact(self, transport: str, user: str | None = None) -> Address:
        return Address(self.contact_uri(transport, user))

    def options_contact(self) -> Address:
        """The Contact of our OPTIONS answers: always <sip:FQDN:TLS-PORT;transport=tls>.

        Also when the OPTIONS came over UDP or TCP: the issue fixes the port to the TLS
        listening port, and a Contact naming the TLS port with transport=udp or tcp would
        point at a socket that does not exist. An OPTIONS answer creates no dialog, so
        this Contact only tells the asker where the SBC's TLS service is; that is the one
        coherent pair, and the one Teams checks.
        """
        return self.contact("tls")

    def from_address(self, tag: str, user: str | None = None) -> Address:
        return Address(SipUri(host=self.fqdn, user=user), params={"tag": tag})

    def request(
        self,
        method: str,
        uri: Uri,
        *,
        transport: str,
        random: RandomBytes,
        from_addr: Address,
        to_addr: Address,
        call_id: str,
        cseq: int,
        contact: Address | None = None,
        headers: Iterable[tuple[str, str]] = (),
        connection_headers: Iterable[tuple[str, str]] = (),
    ) -> Request:
        """A new out-of-dialog request stamped with our Via and User-Agent."""
        extra = [*headers, ("User-Agent", self.user_agent), *connection_headers]
        return build_request(
            method,
            uri,
            from_addr=from_addr,
            to_addr=to_addr,
            call_id=call_id,
            cseq=cseq,
            via=self.via(transport, random),
            contact=contact,
            headers=extra,
        )
