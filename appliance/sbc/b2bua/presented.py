"""What the SBC tells each side about the other party, beyond From and To (which
`routing.addressing` writes): the user part of our Contact, the Privacy mark of a
withheld caller, and the transferor (Referred-By) of a transfer.

A withheld number (RFC 3323 §4-5, RFC 3325 §5/§7) leaves the SBC in one header only:
the identity header the target's profile names (`Connection.identity`: pai or ppi; the
profile trusts that peer with it), next to ``Privacy: id``. Everything else is built so
that it cannot carry the number:

- Contact identifies the SBC, not a party. Toward the side we call its user part is the
  trunk's registration user (the line we registered, so the carrier finds its binding)
  or none; toward the caller it is the number the caller dialled. A caller's number is
  never a Contact user: a peer or its callee may show it, and nothing marks it private.
- ``Privacy: id`` goes with every call whose caller withheld the number, also where no
  identity header goes (Teams: identity none), so the request itself says so.
- Referred-By names the transferor, and only Teams reads it (Microsoft's Direct Routing
  SIP document: the proxy fills in the transferor from it); no carrier gets Teams' MRIs.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..config import Connection
from ..sip import Request, SipPeerError
from .refer import parse_referred_by

PRIVACY_ID = ("Privacy", "id")


def callee_contact_user(conn: Connection) -> str | None:
    """The user part of our Contact toward a side we call: its registration user or none."""
    reg = conn.registration
    return reg.user if reg is not None else None


def marked(headers: Iterable[tuple[str, str]], withheld: bool) -> tuple[tuple[str, str], ...]:
    """`headers` plus ``Privacy: id`` when the caller withheld the number and no Privacy
    header is there yet."""
    out = tuple(headers)
    if withheld and not any(name.lower() == "privacy" for name, _ in out):
        out += (PRIVACY_ID,)
    return out


def referred_by(refer: Request, conn: Connection) -> list[tuple[str, str]]:
    """The REFER's Referred-By as it came (RFC 3892 §3) when the new call goes to Teams;
    one that does not parse is left out rather than failing the transfer."""
    value = refer.headers.get("Referred-By")
    if conn.kind != "teams" or value is None:
        return []
    try:
        parse_referred_by(value)
    except SipPeerError:
        return []
    return [("Referred-By", value)]
