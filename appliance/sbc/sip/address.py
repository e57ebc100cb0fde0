"""name-addr / addr-spec values (From, To, Contact, Route, Record-Route, ...).

RFC 3261 §20.10: when the URI is not in angle brackets, everything after the first
semicolon is a header parameter, and the URI may not hold a comma, semicolon or
question mark, which is why ``Contact: sip:u@h?Route=...`` is rejected.

`parse_echoed_address` is the one lenient reader: From and To of a response echo our
own request, and all we need from them is the tag, so a URI we cannot parse there is
kept as written instead of costing us the response (and its ACK).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from . import abnf
from .errors import SipPeerError
from .headers import split_list
from .uri import AbsoluteUri, SipUri, TelUri, Uri, parse_uri

#   name-addr      =  [ display-name ] LAQUOT addr-spec RAQUOT
#   display-name   =  *(token LWS)/ quoted-string
#   LAQUOT  =  SWS "<"; RAQUOT  =  ">" SWS
_DISPLAY_TOKENS = re.compile(rf"({abnf.TOKEN}(?:{abnf.LWS}{abnf.TOKEN})*)?{abnf.SWS}<")
_QUOTED_DISPLAY = re.compile(rf"({abnf.QUOTED_STRING}){abnf.SWS}<")
#   addr-spec      =  SIP-URI / SIPS-URI / absoluteURI (ending where parameters start)
_ADDR_SPEC = re.compile(r"[^\s;<>\"]+")
# What an echoed URI we cannot parse must still be: a scheme, then no space, quote,
# angle bracket or control character (so it can go out again unchanged, and safely).
_OPAQUE = re.compile(rf"({abnf.SCHEME}):([^\s\"<>\x00-\x1f\x7f]+)\Z")


def _bad(reason: str) -> SipPeerError:
    return SipPeerError(400, reason)


def parse_params(text: str, pos: int, what: str) -> dict[str, str | None]:
    """Parse ``*( SEMI generic-param )`` from ``pos`` to the end of ``text``.

    Names are lower-cased; values are kept as written (quoted strings keep quotes,
    see `abnf.unquote`). A repeated name keeps its first value.
    """
    params: dict[str, str | None] = {}
    end = len(text.rstrip(" \t"))
    while pos < end:
        match = abnf.generic_param_re.match(text, pos)
        if match is None:
            raise _bad(f"malformed parameters in {what}: {text[pos:pos + 40]!r}")
        params.setdefault(match.group(1).lower(), match.group(2))
        pos = match.end()
    return params


def params_to_str(params: dict[str, str | None]) -> str:
    return "".join(f";{k}" if v is None else f";{k}={v}" for k, v in params.items())


@dataclass
class Address:
    """A display name, a URI and header parameters (``tag``, ``expires``, ``q``, ...)."""

    uri: Uri
    display_name: str | None = None
    params: dict[str, str | None] = field(default_factory=dict)

    @property
    def tag(self) -> str | None:
        return self.params.get("tag")

    def with_tag(self, tag: str) -> Address:
        """A copy carrying ``tag``."""
        return Address(self.uri, self.display_name, {**self.params, "tag": tag})

    def __str__(self) -> str:
        name = "" if self.display_name is None else abnf.quote(self.display_name) + " "
        return f"{name}<{self.uri}>{params_to_str(self.params)}"


def parse_address(text: str) -> Address:
    """Parse one name-addr or addr-spec with its header parameters."""
    return _parse_address(text, parse_uri, strict=True)


def _parse_address(text: str, make_uri: Callable[[str], Uri], *, strict: bool) -> Address:
    """The name-addr / addr-spec grammar with `make_uri` for the URI part; `strict` adds
    the addr-spec rules (no '?' or ',' outside <>, nothing but parameters after it)."""
    text = text.strip(" \t")
    display: str | None = None
    match = _QUOTED_DISPLAY.match(text) or _DISPLAY_TOKENS.match(text)
    if match is not None:
        raw_display = match.group(1)
        if raw_display is not None:
            display = abnf.unquote(raw_display) if raw_display.startswith('"') else raw_display
        close = text.find(">", match.end())
        if close < 0:
            raise _bad("unterminated '<' in an address")
        uri = make_uri(text[match.end() : close])
        pos = close + 1
    else:
        spec = _ADDR_SPEC.match(text)
        if spec is None:
            raise _bad(f"malformed address {text[:60]!r}")
        uri_text = spec.group(0)
        if strict and ("?" in uri_text or "," in uri_text):
            raise _bad("an addr-spec holding '?' or ',' must be enclosed in <>")
        uri = make_uri(uri_text)
        pos = spec.end()
        rest = text[pos:].lstrip(" \t")
        if strict and rest and not rest.startswith(";"):
            raise _bad(f"unexpected text after an addr-spec: {rest[:40]!r}")
    return Address(uri=uri, display_name=display, params=parse_params(text, pos, "an address"))


def _opaque(text: str) -> AbsoluteUri:
    match = _OPAQUE.match(text)
    if match is None:
        raise _bad(f"malformed URI {text[:80]!r}")
    return AbsoluteUri(scheme=match.group(1).lower(), rest=match.group(2))


def parse_echoed_address(text: str) -> Address:
    """From or To of a response to our request: strict where it parses, else the URI is
    kept opaque (an `AbsoluteUri` that prints as it came) while the display name and
    the parameters, the tag above all, are still read strictly.

    A peer echoes the URI we sent (RFC 3261 §8.2.6.2); rejecting a 200 over it means
    no ACK, a failover to the next proxy and a call that fails although it was answered.
    """
    try:
        return parse_address(text)
    except SipPeerError:
        return _parse_address(text, _opaque, strict=False)


def parse_address_list(values: list[str]) -> list[Address]:
    """Parse the (already split) values of a list header of addresses."""
    out = []
    for value in values:
        if not value:
            raise _bad("empty element in an address list")
        out.append(parse_address(value))
    return out


def parse_contact_values(lines: list[str]) -> tuple[list[Address], bool]:
    """Contact lines to ``(addresses, wildcard)``; ``*`` is allowed only on its own."""
    values = [part for line in lines for part in split_list(line)]
    if any(v == "*" for v in values):
        if len(values) != 1:
            raise _bad("Contact '*' mixed with other contacts")
        return [], True
    return parse_address_list(values), False


__all__ = [
    "AbsoluteUri",
    "Address",
    "SipUri",
    "TelUri",
    "parse_address",
    "parse_address_list",
    "parse_contact_values",
    "parse_echoed_address",
    "parse_params",
]
