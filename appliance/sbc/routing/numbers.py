"""Phone numbers as they come in (any format, with separators) to E.164, and back.

Routing works in E.164 only; each peer's `NumberPlan` says how it writes numbers, so
'030 1234-56' from a national carrier and '+49 30 123456' from Teams both become
'+4930123456'. A dial string that is not a full number (110, *31#) stays as
it is: there is no country code to add.
"""

from __future__ import annotations

import re

from ..config import NumberPlan
from .errors import RouteError

# RFC 3966 §3: visual-separator = "-" / "." / "(" / ")"; people also type spaces.
_SEPARATORS = str.maketrans("", "", "-.() ")
# ITU-T E.164 §6: country code first (never 0), at most 15 digits in all; fewer than 6
# is a country code with hardly a subscriber number (the config's e164 check agrees).
E164 = re.compile(r"\+[1-9][0-9]{5,14}\Z")
# Short codes, extensions, feature codes: digits, '*' and '#'; bounded like a long number
# with its prefixes (00 + 15 digits + a few).
DIAL_STRING = re.compile(r"[0-9*#]{1,24}\Z")
_SHAPE = re.compile(r"\+[0-9]+\Z|[0-9*#]+\Z")


def clean(raw: str) -> str:
    """Drop visual separators: '+49 (30) 123-45.6' -> '+4930123456'."""
    return raw.translate(_SEPARATORS)


def is_number(number: str) -> bool:
    """E.164 or a dial string, as routing keeps numbers."""
    return bool(E164.match(number) or DIAL_STRING.match(number))


def normalise(raw: str, plan: NumberPlan | None, *, what: str, status: int) -> str:
    """`raw` as E.164 by the sender's plan; RouteError(`status`) naming `what` if it is not
    a phone number. Without a plan (Teams) only '+' numbers are E.164; others stay."""
    number = clean(raw)
    shown = raw[:40]
    if not number:
        raise RouteError(status, f"{what} number is empty")
    if not _SHAPE.match(number):
        raise RouteError(status, f"{what} number {shown!r} is not a phone number")
    if plan is not None:
        number = plan.to_e164(number)
    if number.startswith("+"):
        if not E164.match(number):
            digits = len(number) - 1
            why = "more than 15 digits" if digits > 15 else "fewer than 6 digits"
            if number.startswith("+0"):
                why = "no country code: it starts with 0"
            raise RouteError(status, f"{what} number {shown!r} is not E.164 ({why})")
    elif not DIAL_STRING.match(number):
        raise RouteError(status, f"{what} number {shown!r} is longer than 24 digits")
    return number


def to_peer(number: str, plan: NumberPlan | None) -> str:
    """An E.164 number the way a peer writes it ('+4930...' -> '030...' for national)."""
    return plan.from_e164(number) if plan is not None else number
