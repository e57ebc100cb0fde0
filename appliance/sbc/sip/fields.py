"""Structured header values: Via, CSeq, scalars, option-tag lists, media types."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

from . import abnf
from .address import params_to_str, parse_params
from .errors import SipPeerError

MAGIC_COOKIE = "z9hG4bK"


def _bad(reason: str) -> SipPeerError:
    return SipPeerError(400, reason)


#   via-parm          =  sent-protocol LWS sent-by *( SEMI via-params )
#   sent-protocol     =  protocol-name SLASH protocol-version SLASH transport
#   SLASH   =  SWS "/" SWS ; slash
#   sent-by           =  host [ COLON port ]
#   COLON   =  SWS ":" SWS ; colon
_VIA = re.compile(
    rf"({abnf.TOKEN}){abnf.SWS}/{abnf.SWS}({abnf.TOKEN}){abnf.SWS}/{abnf.SWS}({abnf.TOKEN})"
    rf"{abnf.LWS}({abnf.HOST})(?:{abnf.SWS}:{abnf.SWS}({abnf.PORT}))?"
)


@dataclass
class Via:
    """One Via value. ``params`` keys are lower-case; flags (``rport``) map to None."""

    transport: str
    host: str
    port: int | None = None
    params: dict[str, str | None] = field(default_factory=dict)
    protocol: str = "SIP"
    version: str = "2.0"

    @property
    def branch(self) -> str | None:
        return self.params.get("branch")

    @property
    def received(self) -> str | None:
        return self.params.get("received")

    @property
    def rport(self) -> int | None:
        """The rport value filled in by a server (RFC 3581), None if absent or empty."""
        value = self.params.get("rport")
        return int(value) if value is not None and value.isdigit() else None

    @property
    def has_cookie(self) -> bool:
        """True for an RFC 3261 branch: the magic cookie and something after it."""
        branch = self.branch
        return branch is not None and branch.startswith(MAGIC_COOKIE) and len(branch) > 7

    def sent_by(self) -> str:
        return self.host if self.port is None else f"{self.host}:{self.port}"

    def __str__(self) -> str:
        return (
            f"{self.protocol}/{self.version}/{self.transport} {self.sent_by()}"
            f"{params_to_str(self.params)}"
        )


def parse_via(value: str) -> Via:
    """Parse one via-parm (a value already split from its list)."""
    value = value.strip(" \t")
    match = _VIA.match(value)
    if match is None:
        raise _bad(f"malformed Via {value[:60]!r}")
    port = match.group(5)
    if port is not None and int(port) > 65535:
        raise _bad("Via port out of range")
    params = parse_params(value, match.end(), "Via")
    for name in ("branch", "received", "maddr", "ttl"):
        if name in params and params[name] is None:
            raise _bad(f"Via parameter {name} needs a value")
    rport = params.get("rport")
    if rport is not None and (not rport.isdigit() or int(rport) > 65535):
        raise _bad("bad Via rport")
    return Via(
        protocol=match.group(1),
        version=match.group(2),
        transport=match.group(3).upper(),
        host=match.group(4),
        port=int(port) if port is not None else None,
        params=params,
    )


def is_broadcast_host(host: str) -> bool:
    """True for the limited broadcast address or a multicast address."""
    try:
        addr = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv4Address) and addr == ipaddress.IPv4Address(
        "255.255.255.255"
    ):
        return True
    return addr.is_multicast


#   CSeq  =  "CSeq" HCOLON 1*DIGIT LWS Method
_CSEQ = re.compile(rf"([0-9]+){abnf.LWS}({abnf.TOKEN})\Z")
CSEQ_LIMIT = 2**31  # RFC 3261 §8.1.1.5: a 32-bit number less than 2**31


@dataclass(frozen=True)
class CSeq:
    number: int
    method: str

    def __str__(self) -> str:
        return f"{self.number} {self.method}"


def parse_cseq(value: str) -> CSeq:
    match = _CSEQ.match(value.strip(" \t"))
    if match is None:
        raise _bad(f"malformed CSeq {value[:40]!r}")
    digits = match.group(1)
    if len(digits) > 10 or int(digits) >= CSEQ_LIMIT:
        raise _bad("CSeq number too large")
    return CSeq(int(digits), match.group(2))


def parse_uint(value: str, what: str, limit: int) -> int:
    """A 1*DIGIT scalar not above ``limit`` (Max-Forwards, Content-Length, Expires)."""
    value = value.strip(" \t")
    if not value.isascii() or not value.isdigit() or len(value) > 10 or int(value) > limit:
        raise _bad(f"bad {what} value {value[:20]!r}")
    return int(value)


#   callid   =  word [ "@" word ]
#   word        =  1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" /
#                  "(" / ")" / "<" / ">" / ":" / "\" / DQUOTE / "/" / "[" / "]" / "?" / "{" / "}" )
_WORD = r"[A-Za-z0-9\-.!%*_+`'~()<>:\\\"/\[\]?{}]+"
_CALLID = re.compile(rf"{_WORD}(?:@{_WORD})?\Z")


def parse_call_id(value: str) -> str:
    value = value.strip(" \t")
    if not _CALLID.match(value):
        raise _bad(f"malformed Call-ID {value[:60]!r}")
    return value


def parse_tokens(values: list[str], what: str) -> list[str]:
    """Option tags or methods (Require, Supported, Allow): tokens, empties skipped."""
    out = []
    for value in values:
        if not value:
            continue
        if not abnf.token_full.match(value):
            raise _bad(f"bad token {value[:40]!r} in {what}")
        out.append(value)
    return out


#   media-type     =  m-type SLASH m-subtype *(SEMI m-parameter)
#   media-range    =  ( "*/*" / ( m-type SLASH "*" ) / ( m-type SLASH m-subtype ) )
#                     *( SEMI generic-param )
_MEDIA = re.compile(rf"({abnf.TOKEN}){abnf.SWS}/{abnf.SWS}({abnf.TOKEN})")


@dataclass(frozen=True)
class MediaType:
    type: str
    subtype: str
    params: tuple[tuple[str, str | None], ...] = ()

    @property
    def essence(self) -> str:
        """``type/subtype`` in lower case, for comparisons."""
        return f"{self.type}/{self.subtype}".lower()

    def matches(self, essence: str) -> bool:
        """Whether this (possibly wildcard) range covers ``essence``."""
        mine_type, mine_sub = self.essence.split("/")
        their_type, their_sub = essence.lower().split("/")
        return mine_type in ("*", their_type) and mine_sub in ("*", their_sub)

    def __str__(self) -> str:
        return f"{self.type}/{self.subtype}{params_to_str(dict(self.params))}"


def parse_media_type(value: str) -> MediaType:
    value = value.strip(" \t")
    match = _MEDIA.match(value)
    if match is None:
        raise _bad(f"malformed media type {value[:40]!r}")
    params = parse_params(value, match.end(), "a media type")
    return MediaType(match.group(1), match.group(2), tuple(params.items()))
