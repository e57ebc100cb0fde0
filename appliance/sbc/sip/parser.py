"""Bytes to `Request` / `Response` (RFC 3261 §7), with strict size bounds.

`parse_datagram` is the UDP entry point: one datagram, one message; octets after
Content-Length are ignored (§18.3) and a missing Content-Length means "the rest of the
datagram". Streams go through `sbc.sip.framing.StreamFramer`, which reuses `split_head`
and `build_message` from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import abnf
from .errors import SipPeerError
from .fields import parse_uint
from .headers import Headers
from .message import Request, Response
from .uri import SipUri, parse_uri


@dataclass(frozen=True)
class Limits:
    """Bounds on what a peer may make us hold; beyond them we answer 513 or 400."""

    max_message_size: int = 65536
    max_header_count: int = 256
    max_line_length: int = 8192  # one header field after unfolding, or the start line


DEFAULT_LIMITS = Limits()

#   message-header  =  field-name HCOLON field-value CRLF  (field-name is a token)
#   HCOLON  =  *( SP / HTAB ) ":" SWS
_HEADER_LINE = re.compile(rf"({abnf.TOKEN})[ \t]*:[ \t]*(.*)\Z", re.DOTALL)
#   Status-Line  =  SIP-Version SP Status-Code SP Reason-Phrase CRLF
#   Status-Code  =  3DIGIT ; (an empty reason phrase may also lose its SP)
_STATUS_LINE = re.compile(rf"{abnf.SIP_VERSION} ([1-6][0-9][0-9])(?: (.*))?\Z", re.DOTALL)
#   Request-Line  =  Method SP Request-URI SP SIP-Version CRLF
_VERSION = re.compile(abnf.SIP_VERSION + r"\Z")
# Reason-Phrase = *(reserved / unreserved / escaped / UTF8-NONASCII / UTF8-CONT / SP / HTAB)
_REASON_BAD = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def is_response_start(data: bytes) -> bool:
    """Whether bytes start like a Status-Line (decides 'answer' versus 'drop')."""
    return data.lstrip(b"\r\n")[:4].upper() == b"SIP/"


def _status(is_response: bool) -> int | None:
    return None if is_response else 400


def split_head(head: bytes, limits: Limits) -> tuple[str, Headers, SipPeerError | None]:
    """Split a header section (no final CRLFCRLF) into start line and unfolded headers.

    Limits are enforced at once (raising); a malformed header line is remembered and
    returned, so that the rest of the headers are still read and an answer can be built.
    """
    is_response = is_response_start(head)
    status = _status(is_response)
    if b"\n" in head.replace(b"\r\n", b"") or b"\r" in head.replace(b"\r\n", b""):
        raise SipPeerError(status, "bare CR or LF in the header section")
    lines = head.split(b"\r\n")
    start = abnf.decode(lines[0])
    if len(lines[0]) > limits.max_line_length:
        raise SipPeerError(status, "start line too long")
    fields: list[bytes] = []
    for line in lines[1:]:
        if line[:1] in (b" ", b"\t"):
            if not fields:
                raise SipPeerError(status, "continuation line before any header")
            fields[-1] = fields[-1] + b" " + line.lstrip(b" \t")
        else:
            fields.append(line)
            if len(fields) > limits.max_header_count:
                raise SipPeerError(status, "too many header fields")
        if len(fields[-1]) > limits.max_line_length:
            raise SipPeerError(status, "header field too long")
    headers = Headers()
    first_error: SipPeerError | None = None
    for raw in fields:
        match = _HEADER_LINE.match(abnf.decode(raw))
        if match is None:
            if first_error is None:
                first_error = SipPeerError(status, f"malformed header line {raw[:40]!r}")
            continue
        headers.add(match.group(1), match.group(2).rstrip(" \t"))
    if first_error is not None:
        first_error.headers = headers
    return start, headers, first_error


def build_message(start: str, headers: Headers) -> Request | Response:
    """Interpret the start line; errors carry ``headers`` so a request can be answered."""
    if start[:4].upper() == "SIP/":
        match = _STATUS_LINE.match(start)
        if match is None:
            raise SipPeerError(None, "malformed Status-Line", headers=headers)
        if (match.group(1), match.group(2)) != ("2", "0"):
            raise SipPeerError(None, "response with a SIP version other than 2.0")
        reason = match.group(4) or ""
        if _REASON_BAD.search(reason):
            raise SipPeerError(None, "control character in the reason phrase")
        return Response(status=int(match.group(3)), reason=reason, headers=headers)
    parts = start.split(" ")
    if len(parts) != 3 or not all(parts):
        raise SipPeerError(400, "Request-Line is not Method SP Request-URI SP SIP-Version",
                           headers=headers)
    method, uri_text, version = parts
    if not abnf.token_full.match(method):
        raise SipPeerError(400, "bad method token", headers=headers)
    version_match = _VERSION.match(version)
    if version_match is None:
        raise SipPeerError(400, f"bad SIP-Version {version[:20]!r}", headers=headers)
    if version_match.groups() != ("2", "0"):
        raise SipPeerError(505, f"unsupported version {version[:20]!r}", headers=headers)
    try:
        uri = parse_uri(uri_text)
    except SipPeerError as err:
        raise err.with_context(status=400, headers=headers) from None
    if isinstance(uri, SipUri) and uri.headers:
        # RFC 3261 §19.1.1 table: headers are not allowed in a Request-URI.
        raise SipPeerError(400, "headers in the Request-URI", headers=headers)
    return Request(method=method, uri=uri, headers=headers)


def content_length(headers: Headers, is_response: bool) -> int | None:
    """The one Content-Length value, or None when absent (several: peer error)."""
    values = headers.get_all("Content-Length")
    if not values:
        return None
    status = _status(is_response)
    if len(values) > 1:
        raise SipPeerError(status, "more than one Content-Length", headers=headers)
    try:
        return parse_uint(values[0], "Content-Length", 2**32 - 1)
    except SipPeerError as err:
        raise err.with_context(status=status, headers=headers) from None


def parse_datagram(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Request | Response:
    """Parse one UDP datagram. Raises `SipPeerError` and nothing else on bad input.

    Tolerated: CRLFs before the start line (§7.5), and a datagram whose header section
    ends the datagram without the empty line (RFC 4475's baddn.dat is such a one).
    """
    is_response = is_response_start(data)
    status = _status(is_response)
    if len(data) > limits.max_message_size:
        raise SipPeerError(513 if status else None, "datagram larger than the size limit")
    data = data.lstrip(b"\r\n")  # RFC 3261 §7.5: CRLFs before the start line are ignored
    if not data:
        raise SipPeerError(None, "empty datagram or keep-alive")
    end = data.find(b"\r\n\r\n")
    if end < 0 and data.endswith(b"\r\n"):
        end = len(data) - 2  # tolerated: the empty line is missing at the very end
    head = data[:end] if end >= 0 else data
    start, headers, line_error = split_head(head, limits)
    if line_error is not None:
        raise line_error
    message = build_message(start, headers)
    if end < 0:
        raise SipPeerError(status, "no empty line after the header section", headers=headers)
    rest = data[end + 4 :]
    length = content_length(headers, is_response)
    if length is None:
        message.body = rest
    elif length > len(rest):
        raise SipPeerError(status, "Content-Length larger than the datagram", headers=headers)
    else:
        message.body = rest[:length]
    return message
