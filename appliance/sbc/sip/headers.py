"""`Headers`: an ordered multi-dict of header lines that keeps each value as received.

Names are stored in canonical spelling ("Call-ID", "WWW-Authenticate"; compact forms
expanded) so lookups and serialization agree; unknown names keep the sender's spelling
and match case-insensitively. One entry is one header line (after unfolding): list
headers written as ``Via: a, b`` stay one entry, and `Headers.values` splits them.
"""

from __future__ import annotations

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


def _key(name: str) -> str:
    return canonical_name(name).lower()


def split_list(value: str) -> list[str]:
    """Split a list header value at commas outside quoted strings and <...>.

    Elements are stripped; empty elements are kept so that callers can reject them.
    """
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
    if not name or any(c in name for c in ":\r\n \t"):
        raise SipUsageError(f"bad header name {name!r}")
    if "\r" in value or "\n" in value:
        raise SipUsageError(f"header {name} value holds CR or LF: {value!r}")


class Headers:
    """Header lines in order, each ``(canonical name, value as received)``."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items: list[tuple[str, str]] = []
        for name, value in items:
            self.add(name, value)

    def add(self, name: str, value: str) -> None:
        """Append a header line."""
        _check(name, value)
        self._items.append((canonical_name(name), value))

    def prepend(self, name: str, value: str) -> None:
        """Insert a line before the first line of the same header (or at the top).

        This is how a Via or Record-Route is pushed.
        """
        _check(name, value)
        key = _key(name)
        for i, (have, _) in enumerate(self._items):
            if have.lower() == key:
                self._items.insert(i, (canonical_name(name), value))
                return
        self._items.insert(0, (canonical_name(name), value))

    def set(self, name: str, value: str) -> None:
        """Replace every line of ``name`` with one line, where the first one was."""
        _check(name, value)
        key = _key(name)
        for i, (have, _) in enumerate(self._items):
            if have.lower() == key:
                self._items[i] = (canonical_name(name), value)
                self._items[i + 1 :] = [it for it in self._items[i + 1 :] if it[0].lower() != key]
                return
        self._items.append((canonical_name(name), value))

    def remove(self, name: str) -> int:
        """Drop every line of ``name``; return how many there were."""
        key = _key(name)
        before = len(self._items)
        self._items = [it for it in self._items if it[0].lower() != key]
        return before - len(self._items)

    def replace_first(self, name: str, value: str) -> None:
        """Change the value of the first line of ``name`` (e.g. the top Via)."""
        _check(name, value)
        key = _key(name)
        for i, (have, _) in enumerate(self._items):
            if have.lower() == key:
                self._items[i] = (have, value)
                return
        raise SipUsageError(f"no {name} header to replace")

    def get(self, name: str, default: str | None = None) -> str | None:
        """The value of the first line of ``name``."""
        key = _key(name)
        for have, value in self._items:
            if have.lower() == key:
                return value
        return default

    def get_all(self, name: str) -> list[str]:
        """The values of every line of ``name``, unsplit."""
        key = _key(name)
        return [value for have, value in self._items if have.lower() == key]

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
        new._items = list(self._items)
        return new

    def items(self) -> list[tuple[str, str]]:
        return list(self._items)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Headers) and self._items == other._items

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"
