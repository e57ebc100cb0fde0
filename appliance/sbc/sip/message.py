"""`Request` and `Response`: a start line, `Headers` and a body, plus typed accessors.

The accessors parse on demand and raise `SipPeerError`: 400 on a request, a drop
(``status=None``) on a response, with the headers attached so that the caller can
answer. They read the first line of single-value headers; `validate` checks that
there is only one. A response's From and To echo our own request and only their tags
matter, so a URI there that does not parse is kept opaque (`parse_echoed_address`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from . import abnf
from .address import (
    Address,
    parse_address,
    parse_address_list,
    parse_contact_values,
    parse_echoed_address,
)
from .errors import SipPeerError
from .fields import (
    CSeq,
    MediaType,
    Via,
    parse_call_id,
    parse_cseq,
    parse_media_type,
    parse_uint,
    parse_via,
)
from .headers import Headers
from .reasons import reason_phrase
from .uri import Uri

SIP_VERSION = "SIP/2.0"
T = TypeVar("T")

_PARSED: dict[tuple[str, str], object] = {}  # (kind, header value) -> parsed (see below)
_MAX_PARSED = 512  # some 50 calls' worth: the values of one call are read within ms


class _Fields:
    """Typed views of the headers, shared by requests and responses."""

    headers: Headers
    body: bytes
    # a request's From/To parse strictly, a response's leniently: never the same entry
    _from_kind = "request from"
    _to_kind = "request to"

    def _peer_status(self) -> int | None:
        return 400

    def _address(self, value: str) -> Address:
        """From and To of a request: strict (the core acts on them)."""
        return parse_address(value)

    def _parse(self, parse: Callable[[], T]) -> T:
        try:
            return parse()
        except SipPeerError as err:
            raise err.with_context(status=self._peer_status(), headers=self.headers) from None

    def _remembered(self, kind: str, value: str, parse: Callable[[], T]) -> T:
        """`parse()` once per header value while it is in use: a B2BUA reads From, To,
        CSeq and Call-ID of a message several times (validation, transaction, dialog,
        call), and the messages of one call carry the same values. The cache is the
        module's, bounded and emptied when full, so a message held for 32 s (a
        transaction's) keeps no parsed objects alive. The results are shared: nobody
        changes them (CSeq is frozen; an Address is copied, `with_tag`, before it is
        changed). Errors are not cached: a bad value raises on every read."""
        key = (kind, value)
        found = _PARSED.get(key)
        if found is None:
            found = self._parse(parse)
            if len(_PARSED) >= _MAX_PARSED:
                _PARSED.clear()
            _PARSED[key] = found
        return found  # type: ignore[return-value]

    def _required(self, name: str) -> str:
        value = self.headers.get(name)
        if value is None:
            raise SipPeerError(self._peer_status(), f"missing {name}", headers=self.headers)
        return value

    @property
    def vias(self) -> list[Via]:
        """Every Via value, top first."""
        values = self.headers.values("Via")
        if not values:
            raise SipPeerError(self._peer_status(), "missing Via", headers=self.headers)
        return self._parse(lambda: [parse_via(v) for v in values])

    @property
    def top_via(self) -> Via:
        values = self.headers.values("Via")
        if not values:
            raise SipPeerError(self._peer_status(), "missing Via", headers=self.headers)
        return self._parse(lambda: parse_via(values[0]))

    @property
    def call_id(self) -> str:
        value = self._required("Call-ID")
        return self._remembered("call-id", value, lambda: parse_call_id(value))

    @property
    def cseq(self) -> CSeq:
        value = self._required("CSeq")
        return self._remembered("cseq", value, lambda: parse_cseq(value))

    @property
    def from_addr(self) -> Address:
        value = self._required("From")
        return self._remembered(self._from_kind, value, lambda: self._address(value))

    @property
    def to_addr(self) -> Address:
        value = self._required("To")
        return self._remembered(self._to_kind, value, lambda: self._address(value))

    @property
    def contacts(self) -> list[Address]:
        """The Contact addresses ([] when absent or for the ``*`` wildcard)."""
        lines = self.headers.get_all("Contact")
        return self._parse(lambda: parse_contact_values(lines))[0]

    @property
    def contact_wildcard(self) -> bool:
        """True when Contact is ``*`` (a REGISTER removing every binding)."""
        lines = self.headers.get_all("Contact")
        return self._parse(lambda: parse_contact_values(lines))[1]

    @property
    def routes(self) -> list[Address]:
        values = self.headers.values("Route")
        return self._parse(lambda: parse_address_list(values))

    @property
    def record_routes(self) -> list[Address]:
        values = self.headers.values("Record-Route")
        return self._parse(lambda: parse_address_list(values))

    @property
    def max_forwards(self) -> int | None:
        value = self.headers.get("Max-Forwards")
        if value is None:
            return None
        return self._parse(lambda: parse_uint(value, "Max-Forwards", 255))

    @property
    def content_type(self) -> MediaType | None:
        value = self.headers.get("Content-Type")
        if value is None:
            return None
        return self._parse(lambda: parse_media_type(value))

    @property
    def expires(self) -> int | None:
        value = self.headers.get("Expires")
        if value is None:
            return None
        return self._parse(lambda: parse_uint(value, "Expires", 2**32 - 1))

    def _header_bytes(self) -> bytes:
        """Header lines in order with Content-Length set to the body's length."""
        lines = []
        wrote_length = False
        for name, value in self.headers:
            if name == "Content-Length":
                if wrote_length:
                    continue
                value, wrote_length = str(len(self.body)), True
            lines.append(f"{name}: {value}\r\n")
        if not wrote_length:
            lines.append(f"Content-Length: {len(self.body)}\r\n")
        return abnf.encode("".join(lines))


@dataclass
class Request(_Fields):
    """A SIP request. ``uri`` is the Request-URI."""

    method: str
    uri: Uri
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""

    def to_bytes(self) -> bytes:
        """Canonical wire form: full header names, Content-Length recomputed."""
        start = abnf.encode(f"{self.method} {self.uri} {SIP_VERSION}\r\n")
        return start + self._header_bytes() + b"\r\n" + self.body


@dataclass
class Response(_Fields):
    """A SIP response."""

    status: int
    reason: str | None = None  # None: the standard phrase
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""

    _from_kind = "response from"
    _to_kind = "response to"

    def _peer_status(self) -> int | None:
        return None  # a bad response is dropped, never answered

    def _address(self, value: str) -> Address:
        return parse_echoed_address(value)

    def to_bytes(self) -> bytes:
        """Canonical wire form: full header names, Content-Length recomputed."""
        reason = reason_phrase(self.status) if self.reason is None else self.reason
        start = abnf.encode(f"{SIP_VERSION} {self.status} {reason}\r\n")
        return start + self._header_bytes() + b"\r\n" + self.body


Message = Request | Response
