"""Emergency calls (110, 112): which calls are one, and which number they present.

An emergency call must get through: it is never refused for a limit, and the carrier
must see a number of the trunk, because the emergency centre is chosen from the
network-provided number and the line's registered address (notes/field-2026.md, German
carriers) and a carrier refuses an identity that is not the trunk's (403/488).

Which dial strings are emergency numbers is a connection setting (`emergency_numbers`,
110 and 112 by default). The number is known before routing (the limits are checked
first), so a call is an emergency call when its called number is in the list of the
connection it came from or of any connection it could leave by (every non-Teams peer):
a carrier profile's list counts for calls from Teams. Teams may write the number as
dialled (112), with a plus (+112) or with a country code (+49112); all three match.
"""

from __future__ import annotations

from collections.abc import Collection

from ..config import Config, Connection
from ..sip import SipUri, TelUri, Uri
from .numbers import E164, clean


def emergency_numbers(config: Config, source: Connection) -> frozenset[str]:
    """The dial strings that make a call from `source` an emergency call."""
    numbers = set(source.emergency_numbers)
    for conn in config.connections:
        if conn.kind != "teams":
            numbers.update(conn.emergency_numbers)
    return frozenset(numbers)


def emergency_number(raw: str, numbers: Collection[str],
                     country_codes: Collection[str] = ()) -> str | None:
    """The emergency dial string `raw` stands for ('+112', '+49 112' -> '112'), or None."""
    number = clean(raw)
    plus = number.startswith("+")
    digits = number[1:] if plus else number
    if digits in numbers:
        return digits
    if plus:
        for code in country_codes:
            if digits.startswith(code) and digits[len(code):] in numbers:
                return digits[len(code):]
    return None


def dialled(uri: Uri, numbers: Collection[str],
            country_codes: Collection[str] = ()) -> str | None:
    """The emergency number a Request-URI calls (sip:+112@...;user=phone -> '112')."""
    user = uri.number if isinstance(uri, TelUri) else (
        uri.user if isinstance(uri, SipUri) else None)
    if not user:
        return None
    return emergency_number(user.partition(";")[0], numbers, country_codes)


def country_codes(config: Config) -> frozenset[str]:
    """The country codes of every number plan: '+49112' is 112 dialled in Germany."""
    return frozenset(c.numbers.country_code for c in config.connections if c.numbers)


def trunk_number(conn: Connection) -> str | None:
    """The E.164 number of the trunk `conn`: the configured one, else its registration
    user (Telekom's Registrierungsrufnummer) when that is E.164; None: none known."""
    if conn.trunk_number:
        return conn.trunk_number
    reg = conn.registration
    if reg is not None and E164.match(clean(reg.user)):
        return clean(reg.user)
    return None
