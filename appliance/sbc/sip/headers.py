"""`Headers`: an ordered multi-dict of header lines that keeps each value as received.

Names are stored in canonical spelling ("Call-ID", "WWW-Authenticate"; compact forms
expanded) so lookups and serialization agree; unknown names keep the sender's spelling
and match case-insensitively. One entry is one header line (after unfolding): list
headers written as ``Via: a, b`` stay one entry, and `Headers.values` splits them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from .errors import SipUsageError

# RFC 3261 §7.3.3 and the IANA SIP parameters registry: compact form -> full name.
COMPACT_FORMS: dict[str, str] = {
    "a": "Accept-Contact",
    "b": "Referred-By",
    "c": "Content-Type",
    "d": "Request-Disposition",
    "e": "Content-Encoding",
    "f": "From",
    "i": "Call-ID",
    "j": "Reject-Contact",
    "k": "Supported",
    "l": "Content-Length",
    "m": "Contact",
    "n": "Identity-Info",
    "o": "Event",
    "r": "Refer-To",
    "s": "Subject",
    "t": "To",
    "u": "Allow-Events",
    "v": "Via",
    "x": "Session-Expires",
    "y": "Identity",
}

_KNOWN_NAMES = (
    "Accept Accept-Contact Accept-Encoding Accept-Language Alert-Info Allow Allow-Events "
    "Authentication-Info Authorization Call-ID Call-Info Contact Content-Disposition "
    "Content-Encoding Content-Language Content-Length Content-Type CSeq Date Error-Info "
    "Event Expires From Identity Identity-Info In-Reply-To Max-Forwards Min-Expires Min-SE "
    "MIME-Version Organization P-Asserted-Identity P-Preferred-Identity Path Priority Privacy "
    "Proxy-Authenticate Proxy-Authorization Proxy-Require RAck Reason Record-Route "
    "Refer-To Referred-By Reject-Contact Replaces Reply-To Request-Disposition Require "
    "Retry-After Route RSeq Server Service-Route Session-Expires Subject "
    "Subscription-State Supported Timestamp To Unsupported User-Agent Via Warning "
    "WWW-Authenticate"
).split()

CANONICAL_NAMES: dict[str, str] = {name.lower(): name for name in _KNOWN_NAMES}

# Headers whose grammar is a comma-separated list (RFC 3261 §7.3.1: only these may be
# split or combined). Authorization and friends are not lists even though they hold commas.
LIST_HEADERS = frozenset(
    name.lower()
    for name in (
        "Accept Accept-Contact Accept-Encoding Accept-Language Alert-Info Allow Allow-Events "
        "Call-Info Contact Content-Encoding Content-Language Error-Info In-Reply-To "
        "P-Asserted-Identity P-Preferred-Identity Path Proxy-Require Reason Record-Route "
        "Reject-Contact Require Route Service-Route Supported Unsupported Via Warning"
    ).split()
)


def canonical_name(name: str) -> str:
    """The canonical spelling of a header name; compact forms expanded."""
    if len(name) == 1:
        full = COMPACT_FORMS.get(name.lower())
        if full is not None:
            return full
    return CANONICAL_NAMES.get(name.lower(), name)


_BAD_NAME = re.compile(r"[:\r\n \t]")
_NAMES: dict[str, tuple[str, str]] = {}  # a name as written -> (key, canonical name)
_MAX_NAMES = 4096  # names from the wire are few; a flood of odd ones is not remembered
_MAX_NAME_LENGTH = 64  # nor a long one (a name can be as long as a message)


def _names(name: str) -> tuple[str, str]:
    """(lookup key, canonical spelling) of a header name: compact forms expanded, the key
    in lower case. Worked out once per spelling, since every message adds and looks up
    the same few names many times."""
    known = _NAMES.get(name)
    if known is None:
        canonical = canonical_name(name)
        known = (canonical.lower(), canonical)
        if (len(_NAMES) < _MAX_NAMES and 0 < len(name) <= _MAX_NAME_LENGTH
                and not _BAD_NAME.search(name)):
            _NAMES[name] = known  # only good names: `_check` trusts the cache
    return known


def _key(name: str) -> str:
    return _names(name)[0]


def split_list(value: str) -> list[str]:
    """Split a list header value at commas outside quoted strings and <...>.

    Elements are stripped; empty elements are kept so that callers can reject them.
    Most values hold one element, or no quotes and angle brackets: those are split by
    `str` methods, not character by character.
    """
    if "," not in value:
        return [value.strip(" \t")]
    if '"' not in value and "<" not in value:
        return [part.strip(" \t") for part in value.split(",")]
    parts: list[str] = []
    start = 0
    in_quotes = in_angle = escaped = False
    for i, ch in enumerate(value):
        if in_quotes:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_quotes = False
        elif ch == '"':
            in_quotes = True
        elif ch == "<":
            in_angle = True
        elif ch == ">":
            in_angle = False
        elif ch == "," and not in_angle:
            parts.append(value[start:i].strip(" \t"))
            start = i + 1
    parts.append(value[start:].strip(" \t"))
    return parts


def _check(name: str, value: str) -> None:
    if name not in _NAMES and (not name or _BAD_NAME.search(name)):
        raise SipUsageError(f"bad header name {name!r}")  # a cached name was checked
    if "\r" in value or "\n" in value:
        raise SipUsageError(f"header {name} value holds CR or LF: {value!r}")


class Headers:
    """Header lines in order, each ``(canonical name, value as received)``. Each line
    keeps its lookup key from when it was added, so a lookup compares keys and never
    lower-cases names again."""

    __slots__ = ("_lines",)

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._lines: list[tuple[str, str, str]] = []  # (key, canonical name, value)
        for name, value in items:
            self.add(name, value)

    @staticmethod
    def _line(name: str, value: str) -> tuple[str, str, str]:
        _check(name, value)
        key, canonical = _names(name)
        return key, canonical, value

    def add(self, name: str, value: str) -> None:
        """Append a header line."""
        self._lines.append(self._line(name, value))

    def prepend(self, name: str, value: str) -> None:
        """Insert a line before the first line of the same header (or at the top).

        This is how a Via or Record-Route is pushed.
        """
        line = self._line(name, value)
        for i, (have, _, _) in enumerate(self._lines):
            if have == line[0]:
                self._lines.insert(i, line)
                return
        self._lines.insert(0, line)

    def set(self, name: str, value: str) -> None:
        """Replace every line of ``name`` with one line, where the first one was."""
        line = self._line(name, value)
        key = line[0]
        for i, (have, _, _) in enumerate(self._lines):
            if have == key:
                self._lines[i] = line
                self._lines[i + 1 :] = [it for it in self._lines[i + 1 :] if it[0] != key]
                return
        self._lines.append(line)

    def remove(self, name: str) -> int:
        """Drop every line of ``name``; return how many there were."""
        key = _key(name)
        before = len(self._lines)
        self._lines = [it for it in self._lines if it[0] != key]
        return before - len(self._lines)

    def replace_first(self, name: str, value: str) -> None:
        """Change the value of the first line of ``name`` (e.g. the top Via)."""
        _check(name, value)
        key = _key(name)
        for i, (have, canonical, _) in enumerate(self._lines):
            if have == key:
                self._lines[i] = (have, canonical, value)
                return
        raise SipUsageError(f"no {name} header to replace")

    def get(self, name: str, default: str | None = None) -> str | None:
        """The value of the first line of ``name``."""
        known = _NAMES.get(name)  # `_key` inline: the busiest lookup of all
        key = known[0] if known is not None else _key(name)
        for have, _, value in self._lines:
            if have == key:
                return value
        return default

    def get_all(self, name: str) -> list[str]:
        """The values of every line of ``name``, unsplit."""
        known = _NAMES.get(name)
        key = known[0] if known is not None else _key(name)
        return [value for have, _, value in self._lines if have == key]

    def values(self, name: str) -> list[str]:
        """Every value of ``name``: lines of list headers split at their commas."""
        lines = self.get_all(name)
        if _key(name) not in LIST_HEADERS:
            return lines
        return [part for line in lines for part in split_list(line)]

    def count(self, name: str) -> int:
        """How many lines of ``name`` there are."""
        return len(self.get_all(name))

    def copy(self) -> Headers:
        new = Headers()
        new._lines = list(self._lines)
        return new

    def items(self) -> list[tuple[str, str]]:
        return [(name, value) for _, name, value in self._lines]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.items())

    def __len__(self) -> int:
        return len(self._lines)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Headers) and self.items() == other.items()

    def __repr__(self) -> str:
        return f"Headers({self.items()!r})"
