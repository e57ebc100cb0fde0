"""Who calls whom, read from an incoming INVITE and put into E.164.

Called: the Request-URI's user part (or tel: number). A registered trunk may instead
send the INVITE to the Contact we registered (sip:<line number>@sbc); then the dialled
number is in To, so To wins when the Request-URI holds just the registration user.
Calling: P-Asserted-Identity (the peer vouches for it) before From. Privacy: a Privacy
header asking to hide the identity, or an anonymous From (RFC 3323 §4.1.1.3).
Emergency: the called number is one of the emergency dial strings in any of its forms
(`emergency.emergency_number`); it is then routed as the bare dial string (112).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TypeVar

from ..config import Config, Connection, NumberPlan
from ..sip import Address, Request, SipPeerError, SipUri, TelUri, Uri, parse_address
from .emergency import country_codes, emergency_number, emergency_numbers
from .errors import RouteError
from .numbers import clean, normalise

T = TypeVar("T")

# RFC 3323 §4.2 priv-values that hide who calls ("session" and "critical" do not).
_HIDING = frozenset({"id", "header", "user"})
# From users that mean "no number": the first three also mean "withheld".
_WITHHELD = frozenset({"anonymous", "restricted", "private"})
_UNKNOWN = frozenset({"unknown", "unavailable"})


@dataclass(frozen=True)
class CallParty:
    """Numbers as found in an incoming INVITE, already E.164 where the plan allows."""

    called: str
    calling: str | None  # None: anonymous or no number
    privacy: bool
    emergency: bool = False  # the called number is an emergency number (110, 112)


def _read(get: Callable[[], T], what: str) -> T:
    try:
        return get()
    except SipPeerError as err:
        raise RouteError(400, f"bad {what}: {err.reason}") from None


def _user(uri: Uri) -> str | None:
    """The number-ish part of a URI: a tel: number or a SIP user without its ';' params."""
    if isinstance(uri, TelUri):
        return uri.number.partition(";")[0]
    if isinstance(uri, SipUri) and uri.user is not None:
        return uri.user.partition(";")[0]
    return None


def _called(request: Request, source: Connection, emergency: Collection[str],
            country_codes: Collection[str]) -> tuple[str, bool]:
    uri = request.uri
    if not isinstance(uri, SipUri | TelUri):
        raise RouteError(416, f"cannot route a {uri.scheme}: Request-URI")
    raw = _user(uri)
    if not raw:
        raise RouteError(484, f"no called number in the Request-URI {str(uri)[:80]}")
    reg = source.registration
    if reg is not None and clean(raw) == clean(reg.user):
        to_user = _user(_read(lambda: request.to_addr, "To").uri)
        if to_user and clean(to_user) != clean(raw):
            raw = to_user
    found = emergency_number(raw, emergency, country_codes)
    if found is not None:
        return found, True
    return normalise(raw, source.numbers, what="called", status=484), False


def _privacy(request: Request) -> bool:
    values = {
        v.strip().lower()
        for line in request.headers.get_all("Privacy")
        for v in line.replace(",", ";").split(";")
    }
    return bool(values & _HIDING)


def _asserted(request: Request, plan: NumberPlan | None) -> str | None:
    """The first P-Asserted-Identity that holds a number; broken values are skipped (the
    From header is still there), not fatal."""
    for value in request.headers.values("P-Asserted-Identity"):
        try:
            user = _user(parse_address(value).uri)
            if user and user.lower() not in _WITHHELD | _UNKNOWN:
                return normalise(user, plan, what="asserted calling", status=400)
        except SipPeerError:  # RouteError included
            continue
    return None


def _anonymous(address: Address) -> bool:
    """From holds no identity at all: sip:anonymous@anonymous.invalid and its cousins."""
    uri = address.uri
    user = (_user(uri) or "").lower()
    host = uri.host.lower() if isinstance(uri, SipUri) else ""
    return user in _WITHHELD or host == "anonymous.invalid"


def parties_of(request: Request, source: Connection, *, emergency: Collection[str] = (),
               country_codes: Collection[str] = ()) -> CallParty:
    """The call's parties from `request` as `source` sent it; `emergency`: the emergency
    dial strings (`emergency.emergency_numbers`), `country_codes` those of the plans.

    Raises RouteError: 484 when the called number is missing or not a number, 416 for a
    Request-URI that is not sip:/sips:/tel:, 400 for a broken From or a From number that
    is not a number (a name such as sip:alice@pbx is not routable to the PSTN).
    """
    called, urgent = _called(request, source, emergency, country_codes)
    from_addr = _read(lambda: request.from_addr, "From")
    withheld = _anonymous(from_addr)
    shown_as = (from_addr.display_name or "").strip().lower()
    privacy = withheld or shown_as == "anonymous" or _privacy(request)
    calling = _asserted(request, source.numbers)
    if calling is None and not withheld:
        user = _user(from_addr.uri)
        if user and user.lower() not in _UNKNOWN:
            calling = normalise(user, source.numbers, what="calling", status=400)
    return CallParty(called, calling, privacy, urgent)


def call_parties(config: Config, request: Request, source: Connection) -> CallParty:
    """`parties_of` with this config's emergency numbers and country codes: what a call
    and `sbc routes test` both use, so a test of 112 answers as the call would."""
    return parties_of(request, source, emergency=emergency_numbers(config, source),
                      country_codes=country_codes(config))
