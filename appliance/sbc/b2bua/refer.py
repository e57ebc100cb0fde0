"""REFER from Teams (RFC 3515, AT-11): what the transfer target is, and the NOTIFYs that
report how the new call went.

Teams expects the SBC, as transferee, to set up the new call itself. Its Refer-To is a
SIP URI on the proxy's FQDN with either an E.164 user part
(``<sip:+4930123456@sip.pstnhub.microsoft.com;user=phone>``) or ``x-m``/``x-t``
parameters naming a Teams user and tenant, which must go back to Teams unchanged;
Microsoft says the header may be 400 characters long. An attended transfer embeds a
Replaces header in the URI (RFC 3891 §5: ``?Replaces=callid%3Bto-tag%3D..%3Bfrom-tag%3D..``),
which the URI parser has already unescaped by the time it reaches `parse_replaces`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..sip import abnf
from ..sip.address import Address, parse_address, parse_params
from ..sip.errors import SipPeerError
from ..sip.fields import parse_call_id
from ..sip.message import Request
from ..sip.reasons import reason_phrase
from ..sip.uri import SipUri

MAX_HEADER = 2048  # Teams sends up to ~400 characters; far more is not a transfer
TEAMS_PARAM_PREFIX = "x-"
SIPFRAG = "message/sipfrag;version=2.0"

# A phone number in a user part: an optional "+" and digits, with the visual
# separators of RFC 3966 (- . ( )) allowed and dropped.
_PHONE = re.compile(r"\+?[0-9\-.()]*[0-9][0-9\-.()]*\Z")
_SEPARATORS = str.maketrans("", "", "-.()")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def _bad(reason: str) -> SipPeerError:
    return SipPeerError(400, reason)


@dataclass(frozen=True)
class Replaces:
    """The dialog an attended transfer replaces (RFC 3891 §6.1)."""

    call_id: str
    to_tag: str
    from_tag: str
    early_only: bool = False


@dataclass(frozen=True)
class ReferTarget:
    """Where a REFER sends us."""

    uri: SipUri  # as given, parameters and embedded headers included
    number: str | None  # the user part when it is a phone number, separators dropped
    teams_params: dict[str, str] = field(default_factory=dict)  # x-m, x-t, ...
    replaces: Replaces | None = None  # from an embedded ?Replaces=
    headers: dict[str, str] = field(default_factory=dict)  # other embedded URI headers


def _number(uri: SipUri) -> str | None:
    """The user part as a number: digits (with a leading +) or anything user=phone
    marks as one (its own ;parameters cut off)."""
    if uri.user is None:
        return None
    user = uri.user.split(";", 1)[0] if uri.params.get("user") == "phone" else uri.user
    if not _PHONE.match(user):
        return None
    return user.translate(_SEPARATORS)


def _checked(value: str, what: str) -> str:
    if len(value) > MAX_HEADER:
        raise _bad(f"{what} is too long ({len(value)} characters)")
    return value


#   Refer-To  =  ("Refer-To" / "r") HCOLON ( name-addr / addr-spec ) *(SEMI refer-param)
#   refer-param  =  generic-param / feature-param
def parse_refer_to(value: str) -> ReferTarget:
    """Parse a Refer-To value; raise `SipPeerError` (400) when it is unusable."""
    address = parse_address(_checked(value, "Refer-To"))
    uri = address.uri
    if not isinstance(uri, SipUri):
        raise _bad(f"Refer-To is not a SIP URI: {str(uri)[:60]!r}")
    replaces: Replaces | None = None
    headers: dict[str, str] = {}
    for name, header_value in uri.headers.items():
        if name.lower() == "replaces":
            replaces = parse_replaces(header_value)
        else:
            headers[name] = header_value
    teams = {name: value or "" for name, value in uri.params.items()
             if name.startswith(TEAMS_PARAM_PREFIX)}
    return ReferTarget(uri=uri, number=_number(uri), teams_params=teams,
                       replaces=replaces, headers=headers)


def refer_target(request: Request) -> ReferTarget:
    """The target of a REFER: exactly one Refer-To (RFC 3515 §2.4.1), else 400.
    Errors carry the request's headers, so `error_response` can answer them."""
    try:
        values = request.headers.get_all("Refer-To")
        if len(values) != 1:
            raise _bad(f"a REFER needs exactly one Refer-To, it has {len(values)}")
        return parse_refer_to(values[0])
    except SipPeerError as err:
        raise err.with_context(status=400, headers=request.headers) from None


#   Referred-By  =  ("Referred-By" / "b") HCOLON referrer-uri
#                   *( SEMI (referredby-id-param / generic-param) )
def parse_referred_by(value: str) -> Address:
    """Parse Referred-By (RFC 3892); Teams puts x-m, x-t, x-ti, x-tt in its URI."""
    return parse_address(_checked(value, "Referred-By"))


#   Replaces        = "Replaces" HCOLON callid *(SEMI replaces-param)
#   replaces-param  = to-tag / from-tag / early-flag / generic-param
#   to-tag          = "to-tag" EQUAL token
#   from-tag        = "from-tag" EQUAL token
#   early-flag      = "early-only"
def parse_replaces(value: str) -> Replaces:
    """Parse a Replaces value; both tags are required (RFC 3891 §6.1), else 400."""
    value = _checked(value, "Replaces").strip(" \t")
    head, semi, _ = value.partition(";")
    call_id = parse_call_id(head)
    params = parse_params(value, len(head), "Replaces") if semi else {}
    tags = {}
    for name in ("to-tag", "from-tag"):
        tag = params.get(name)
        if tag is None or not abnf.token_full.match(tag):
            raise _bad(f"Replaces needs a {name}")
        tags[name] = tag
    return Replaces(call_id=call_id, to_tag=tags["to-tag"], from_tag=tags["from-tag"],
                    early_only="early-only" in params)


def sipfrag(status: int, reason: str | None = None) -> bytes:
    """A NOTIFY body: the status line of the new call's latest response (RFC 3515
    §2.4.5). A reason from a peer loses its control characters."""
    phrase = reason_phrase(status) if reason is None else _CONTROL.sub(" ", reason).strip()
    return abnf.encode(f"SIP/2.0 {status} {phrase}\r\n")


def notify_headers(terminated: bool, expires: int = 60, *,
                   event_id: int | None = None) -> list[tuple[str, str]]:
    """Event, Subscription-State and Content-Type of a refer NOTIFY (RFC 3515 §2.4.4).

    ``event_id`` is the REFER's CSeq number; RFC 3515 §2.4.6 needs it when the dialog
    has seen an earlier REFER.
    """
    event = "refer" if event_id is None else f"refer;id={event_id}"
    state = "terminated;reason=noresource" if terminated else f"active;expires={expires}"
    return [("Event", event), ("Subscription-State", state), ("Content-Type", SIPFRAG)]


#   Refer-Sub        = "Refer-Sub" HCOLON refer-sub-value *(SEMI exten)
#   refer-sub-value  = "true" / "false"
def refer_sub_wanted(request: Request) -> bool:
    """False when the REFER says ``Refer-Sub: false`` (RFC 4488): no NOTIFYs then.
    Anything else, a malformed value included, keeps the RFC 3515 default."""
    value = request.headers.get("Refer-Sub")
    return value is None or value.split(";", 1)[0].strip(" \t").lower() != "false"


def accept_headers(request: Request) -> list[tuple[str, str]]:
    """Extra headers for our 202 to a REFER: ``Refer-Sub: false`` when we agree to send
    no NOTIFYs (RFC 4488 §4 requires saying so)."""
    return [] if refer_sub_wanted(request) else [("Refer-Sub", "false")]
