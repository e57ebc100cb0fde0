"""URIs: `SipUri` (sip, sips), `TelUri` (tel) and `AbsoluteUri` (any other scheme).

Fields hold unescaped text (``%41`` becomes ``A``), so code compares and builds URIs
without thinking about escaping; `str()` escapes again (RFC 3261 §19.1.2). Equality in
the RFC's sense (§19.1.4) is `uri_equal`, not ``==``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote as _unescape_str

from . import abnf
from .errors import SipPeerError

#   unreserved  =  alphanum / mark
#   mark        =  "-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")"
#   escaped     =  "%" HEXDIG HEXDIG
_UNRESERVED = "A-Za-z0-9\\-_.!~*'()"
_ESCAPED = "%[0-9A-Fa-f]{2}"

#   user             =  1*( unreserved / escaped / user-unreserved )
#   user-unreserved  =  "&" / "=" / "+" / "$" / "," / ";" / "?" / "/"
_USER = re.compile(rf"(?:[{_UNRESERVED}&=+$,;?/]|{_ESCAPED})+\Z")
#   password         =  *( unreserved / escaped / "&" / "=" / "+" / "$" / "," )
_PASSWORD = re.compile(rf"(?:[{_UNRESERVED}&=+$,]|{_ESCAPED})*\Z")
#   pname / pvalue   =  1*paramchar
#   paramchar        =  param-unreserved / unreserved / escaped
#   param-unreserved =  "[" / "]" / "/" / ":" / "&" / "+" / "$"
_PARAMCHARS = re.compile(rf"(?:[{_UNRESERVED}\[\]/:&+$]|{_ESCAPED})+\Z")
#   hname  =  1*( hnv-unreserved / unreserved / escaped )
#   hvalue =  *( hnv-unreserved / unreserved / escaped )
#   hnv-unreserved  =  "[" / "]" / "/" / "?" / ":" / "+" / "$"
_HNAME = re.compile(rf"(?:[{_UNRESERVED}\[\]/?:+$]|{_ESCAPED})+\Z")
_HVALUE = re.compile(rf"(?:[{_UNRESERVED}\[\]/?:+$]|{_ESCAPED})*\Z")
#   telephone-subscriber (RFC 3966), loosely: digits, visual separators, * # and hex
_TEL_NUMBER = re.compile(r"\+?[0-9A-Fa-f*#\-.()]+\Z")
#   absoluteURI    =  scheme ":" ( hier-part / opaque-part ); no spaces, quotes or <>
_ABSOLUTE = re.compile(rf"({abnf.SCHEME}):([^\s\"<>\x00-\x1f\x7f]+)\Z")
_PORT = re.compile(abnf.PORT + r"\Z")

_SAFE_UNRESERVED = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()"
)
_SAFE_USER = _SAFE_UNRESERVED | frozenset("&=+$,;?/")
_SAFE_PASSWORD = _SAFE_UNRESERVED | frozenset("&=+$,")
_SAFE_PARAM = _SAFE_UNRESERVED | frozenset("[]/:&+$")
_SAFE_HEADER = _SAFE_UNRESERVED | frozenset("[]/?:+$")


def _bad(reason: str) -> SipPeerError:
    return SipPeerError(400, reason)


def unescape(text: str) -> str:
    """Resolve %HH escapes (already checked well-formed); bytes that are not UTF-8 survive."""
    return _unescape_str(text, encoding="utf-8", errors="surrogateescape") if "%" in text else text


def escape(text: str, safe: frozenset[str]) -> str:
    """Escape every character outside ``safe`` as %HH of its UTF-8 bytes."""
    if safe.issuperset(text):
        return text
    out = []
    for ch in text:
        if ch in safe:
            out.append(ch)
        else:
            out.extend(f"%{b:02X}" for b in abnf.encode(ch))
    return "".join(out)


def _params_to_str(params: dict[str, str | None]) -> str:
    return "".join(
        ";" + escape(k, _SAFE_PARAM) + ("" if v is None else "=" + escape(v, _SAFE_PARAM))
        for k, v in params.items()
    )


@dataclass
class SipUri:
    """A sip: or sips: URI (RFC 3261 §19.1.1). Params keys are lower-case."""

    host: str
    user: str | None = None
    password: str | None = None
    port: int | None = None
    params: dict[str, str | None] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    scheme: str = "sip"

    @property
    def transport(self) -> str | None:
        value = self.params.get("transport")
        return value.lower() if value else None

    @property
    def lr(self) -> bool:
        return "lr" in self.params

    @property
    def maddr(self) -> str | None:
        return self.params.get("maddr")

    @property
    def secure(self) -> bool:
        return self.scheme == "sips"

    def hostport(self) -> str:
        return self.host if self.port is None else f"{self.host}:{self.port}"

    def copy(self, **changes: object) -> SipUri:
        """A copy (params and headers copied too) with ``changes`` applied."""
        new = SipUri(
            host=self.host,
            user=self.user,
            password=self.password,
            port=self.port,
            params=dict(self.params),
            headers=dict(self.headers),
            scheme=self.scheme,
        )
        for name, value in changes.items():
            setattr(new, name, value)
        return new

    def __str__(self) -> str:
        out = [self.scheme, ":"]
        if self.user is not None:
            out.append(escape(self.user, _SAFE_USER))
            if self.password is not None:
                out += [":", escape(self.password, _SAFE_PASSWORD)]
            out.append("@")
        out.append(self.hostport())
        out.append(_params_to_str(self.params))
        if self.headers:
            out.append(
                "?"
                + "&".join(
                    escape(k, _SAFE_HEADER) + "=" + escape(v, _SAFE_HEADER)
                    for k, v in self.headers.items()
                )
            )
        return "".join(out)


@dataclass
class TelUri:
    """A tel: URI (RFC 3966): the number and its parameters."""

    number: str
    params: dict[str, str | None] = field(default_factory=dict)
    scheme: str = "tel"

    def __str__(self) -> str:
        return f"tel:{self.number}{_params_to_str(self.params)}"


@dataclass
class AbsoluteUri:
    """Any other scheme, kept opaque (headers may carry any scheme, RFC 4475 §3.3.4)."""

    scheme: str
    rest: str

    def __str__(self) -> str:
        return f"{self.scheme}:{self.rest}"


Uri = SipUri | TelUri | AbsoluteUri


def _parse_params(text: str, what: str) -> dict[str, str | None]:
    params: dict[str, str | None] = {}
    if not text:
        return params
    for part in text.split(";"):
        name, eq, value = part.partition("=")
        if not _PARAMCHARS.match(name) or (eq and not _PARAMCHARS.match(value)):
            raise _bad(f"bad {what} parameter {part!r}")
        params.setdefault(unescape(name).lower(), unescape(value) if eq else None)
    return params


def _parse_sip(scheme: str, rest: str) -> SipUri:
    if rest.count("@") > 1:
        raise _bad("unescaped '@' in a SIP URI")
    user = password = None
    if "@" in rest:
        userinfo, _, rest = rest.partition("@")
        user_text, colon, pass_text = userinfo.partition(":")
        if not _USER.match(user_text) or (colon and not _PASSWORD.match(pass_text)):
            raise _bad("bad user part in a SIP URI")
        user = unescape(user_text)
        password = unescape(pass_text) if colon else None
    rest, qmark, header_text = rest.partition("?")
    hostport, _, param_text = rest.partition(";")
    if hostport.startswith("["):
        end = hostport.find("]")
        host, port_text = hostport[: end + 1], hostport[end + 1 :]
        if end < 0 or (port_text and not port_text.startswith(":")):
            raise _bad("bad IPv6 reference in a SIP URI")
        port_text = port_text[1:]
        has_port = bool(hostport[end + 1 :])
    else:
        host, colon, port_text = hostport.partition(":")
        has_port = bool(colon)
    if not abnf.host_full.match(host):
        raise _bad(f"bad host {host!r} in a SIP URI")
    port = None
    if has_port:
        if not _PORT.match(port_text) or int(port_text) > 65535:
            raise _bad("bad port in a SIP URI")
        port = int(port_text)
    headers: dict[str, str] = {}
    if qmark:
        for part in header_text.split("&"):
            name, eq, value = part.partition("=")
            if not eq or not _HNAME.match(name) or not _HVALUE.match(value):
                raise _bad(f"bad header {part!r} in a SIP URI")
            headers[unescape(name)] = unescape(value)
    return SipUri(
        host=host,
        user=user,
        password=password,
        port=port,
        params=_parse_params(param_text, "URI"),
        headers=headers,
        scheme=scheme,
    )


def parse_uri(text: str) -> Uri:
    """Parse a URI; raise `SipPeerError` (400) when it is malformed."""
    match = _ABSOLUTE.match(text)
    if match is None:
        raise _bad(f"malformed URI {text[:80]!r}")
    scheme, rest = match.group(1).lower(), match.group(2)
    if scheme in ("sip", "sips"):
        return _parse_sip(scheme, rest)
    if scheme == "tel":
        number, _, param_text = rest.partition(";")
        if not _TEL_NUMBER.match(number):
            raise _bad("bad tel URI number")
        return TelUri(number=number, params=_parse_params(param_text, "tel URI"))
    return AbsoluteUri(scheme=scheme, rest=rest)


# RFC 3261 §19.1.4: these URI parameters must match when either URI has them.
_MUST_MATCH_PARAMS = ("user", "ttl", "method", "maddr", "transport")


def uri_equal(a: Uri, b: Uri) -> bool:
    """URI equivalence per RFC 3261 §19.1.4 (sip/sips) and plain comparison otherwise."""
    if isinstance(a, SipUri) and isinstance(b, SipUri):
        if (a.scheme, a.user, a.password, a.port) != (b.scheme, b.user, b.password, b.port):
            return False
        if a.host.lower() != b.host.lower():
            return False
        for name in set(a.params) | set(b.params):
            in_both = name in a.params and name in b.params
            if name in _MUST_MATCH_PARAMS or in_both:
                va, vb = a.params.get(name, "\0"), b.params.get(name, "\0")
                if (va or "").lower() != (vb or "").lower() or (va is None) != (vb is None):
                    return False
        ha = {k.lower(): v.lower() for k, v in a.headers.items()}
        hb = {k.lower(): v.lower() for k, v in b.headers.items()}
        return ha == hb
    if isinstance(a, TelUri) and isinstance(b, TelUri):
        strip = str.maketrans("", "", "-.()")
        pa = {k: (v or "").lower() for k, v in a.params.items()}
        pb = {k: (v or "").lower() for k, v in b.params.items()}
        return a.number.translate(strip).lower() == b.number.translate(strip).lower() and pa == pb
    return str(a) == str(b)
