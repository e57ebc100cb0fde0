"""RFC 3261 §25 grammar as regular expressions, one rule per name (the h11 `_abnf` idea).

The parser unfolds header lines before anything here sees them (a fold is one SP,
RFC 3261 §7.3.1), so LWS and SWS below are plain runs of SP / HTAB. Text is `str`
decoded from UTF-8 with ``surrogateescape``, so bytes that are not UTF-8 survive a
round trip; such bytes show up as lone surrogates U+DC80..U+DCFF.
"""

from __future__ import annotations

import re

#   LWS  =  [*WSP CRLF] 1*WSP ; linear whitespace
#   SWS  =  [LWS] ; sep whitespace
LWS = r"[ \t]+"
SWS = r"[ \t]*"

#   alphanum  =  ALPHA / DIGIT
#   token       =  1*(alphanum / "-" / "." / "!" / "%" / "*"
#                  / "_" / "+" / "`" / "'" / "~" )
TOKEN = r"[A-Za-z0-9\-.!%*_+`'~]+"

#   UTF8-NONASCII   =  %xC0-DF 1UTF8-CONT / ... ; any non-ASCII, undecoded bytes included
NONASCII = "\u0080-\U0010ffff"

#   quoted-string  =  SWS DQUOTE *(qdtext / quoted-pair ) DQUOTE
#   qdtext         =  LWS / %x21 / %x23-5B / %x5D-7E / UTF8-NONASCII
#   quoted-pair    =  "\" (%x00-09 / %x0B-0C / %x0E-7F)
QUOTED_STRING = rf'"(?:[ \t\x21\x23-\x5b\x5d-\x7e{NONASCII}]|\\[\x00-\x09\x0b\x0c\x0e-\x7f])*"'

#   hostname         =  *( domainlabel "." ) toplabel [ "." ]
#   domainlabel      =  alphanum / alphanum *( alphanum / "-" ) alphanum
#   toplabel         =  ALPHA / ALPHA *( alphanum / "-" ) alphanum
#   IPv4address    =  1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT
#   IPv6reference  =  "[" IPv6address "]"
# (labels may also hold "_", which real DNS names carry; the top label is not checked
# for being alphabetic, so IPv4 addresses match the hostname rule too)
_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_\-]*[A-Za-z0-9_])?"
HOSTNAME = rf"{_LABEL}(?:\.{_LABEL})*\.?"
IPV6_REFERENCE = r"\[[0-9A-Fa-f:.]+\]"
HOST = rf"(?:{IPV6_REFERENCE}|{HOSTNAME})"

#   port           =  1*DIGIT
PORT = r"[0-9]{1,5}"

#   gen-value      =  token / host / quoted-string
# (plus a bare IPv6address, which via-received allows)
GEN_VALUE = rf"(?:{QUOTED_STRING}|{IPV6_REFERENCE}|[A-Za-z0-9\-.!%*_+`'~:]+)"

#   SIP-Version    =  "SIP" "/" 1*DIGIT "." 1*DIGIT
SIP_VERSION = r"[Ss][Ii][Pp]/([0-9]+)\.([0-9]+)"

#   scheme         =  ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
SCHEME = r"[A-Za-z][A-Za-z0-9+\-.]*"

token_re = re.compile(TOKEN)
token_full = re.compile(TOKEN + r"\Z")
host_full = re.compile(HOST + r"\Z")
quoted_string_re = re.compile(QUOTED_STRING)

#   SEMI    =  SWS ";" SWS ; semicolon
#   EQUAL   =  SWS "=" SWS ; equal
#   generic-param  =  token [ EQUAL gen-value ]
generic_param_re = re.compile(rf"{SWS};{SWS}({TOKEN})(?:{SWS}={SWS}({GEN_VALUE}))?")

_QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)
_NEEDS_QUOTING = re.compile(r'["\\]')


def unquote(text: str) -> str:
    """The content of a quoted-string, quoted-pairs resolved; other text unchanged."""
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return _QUOTED_PAIR.sub(r"\1", text[1:-1])
    return text


def quote(text: str) -> str:
    """``text`` as a quoted-string, escaping DQUOTE and backslash."""
    return '"' + _NEEDS_QUOTING.sub(lambda m: "\\" + m.group(0), text) + '"'


def decode(data: bytes) -> str:
    """Wire bytes to text: UTF-8, with undecodable bytes kept (surrogateescape)."""
    return data.decode("utf-8", "surrogateescape")


def encode(text: str) -> bytes:
    """Text back to the exact wire bytes `decode` came from."""
    return text.encode("utf-8", "surrogateescape")
