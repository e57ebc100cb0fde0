"""What the outgoing INVITE says about whom it is for and whom it is from, per target.

Numbers leave in the target's own format (national for a national carrier, E.164 for
Teams) and always as `;user=phone` SIP URIs. Toward Teams every host we write is our FQDN
or Microsoft's, never an IP (AT-1). A withheld caller is `sip:anonymous@anonymous.invalid`
in From (RFC 3323 §4.1.1.3); peers that take an identity header still get the number
there, marked `Privacy: id` so they keep it from the callee.

An emergency call presents the trunk's own number (`emergency.trunk_number`) as the
calling identity: in the identity header when the target takes one (From keeps the
caller's number, or stays anonymous for a withheld caller), else in From. German
carriers route the emergency centre by that network-provided number and refuse an
identity that is not the trunk's. With no trunk number known the caller's is used.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Connection
from ..sip import Address, SipUri
from .emergency import trunk_number
from .numbers import to_peer
from .rules import RouteDecision

IDENTITY_HEADERS = {"pai": "P-Asserted-Identity", "ppi": "P-Preferred-Identity"}


@dataclass(frozen=True)
class Addressing:
    """Request-URI, To, From and identity headers for one target of a call."""

    request_uri: SipUri
    to_addr: Address
    from_addr: Address
    headers: tuple[tuple[str, str], ...]


def anonymous() -> Address:
    return Address(SipUri("anonymous.invalid", user="anonymous"), display_name="Anonymous")


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _home(target: Connection) -> tuple[str, int | None]:
    """The peer's domain for our URIs: the registration domain (its own, so no port) or
    the host with its port."""
    reg = target.registration
    if reg is not None and reg.domain != target.host:
        return _bracket(reg.domain), None
    return _bracket(target.host), target.port


def _phone(number: str, host: str, port: int | None = None, **params: str) -> SipUri:
    return SipUri(host, user=number, port=port, params={"user": "phone", **params})


def addressing(target: Connection, decision: RouteDecision, sbc_fqdn: str) -> Addressing:
    """Where and as whom to send `decision` to `target`; `sbc_fqdn` is `config.sbc.fqdn`."""
    host, port = _home(target)
    called = to_peer(decision.called, target.numbers)
    extra = {} if target.transport == "udp" else {"transport": target.transport}
    from_host = sbc_fqdn if target.kind == "teams" else host
    identity = caller = None
    if decision.calling is not None:
        caller = identity = _phone(to_peer(decision.calling, target.numbers), from_host)
    from_trunk = False
    trunk = trunk_number(target) if decision.emergency and target.kind != "teams" else None
    if trunk is not None:
        identity = _phone(to_peer(trunk, target.numbers), from_host)
        if target.identity == "none":  # From is the only identity this peer reads
            caller, from_trunk = identity, True
    if caller is None or (decision.privacy and not from_trunk):
        from_addr = anonymous()
    else:
        from_addr = Address(caller.copy())
    headers: list[tuple[str, str]] = []
    if target.identity != "none":
        if identity is not None:
            headers.append((IDENTITY_HEADERS[target.identity], f"<{identity}>"))
        if decision.privacy:
            headers.append(("Privacy", "id"))
    return Addressing(
        request_uri=_phone(called, host, port, **extra),
        to_addr=Address(_phone(called, host)),
        from_addr=from_addr,
        headers=tuple(headers),
    )
