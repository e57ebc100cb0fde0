"""multipart/mixed bodies (RFC 2046 §5.1, RFC 5621): split into parts, put back together.

Teams sends an emergency INVITE with SDP and a PIDF-LO location (RFC 6442) in one
multipart/mixed body. The SBC rewrites the SDP part (rtpengine) and keeps every other
part byte for byte, so the parts are split without interpreting them. A body that does
not follow the grammar is the peer's error (400); the number of parts and of headers per
part is bounded so that a crafted body costs no more than a plain one. Preamble and
epilogue carry nothing for SIP (RFC 5621 §3.1) and are not kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from . import abnf
from .errors import SipPeerError
from .fields import MediaType, parse_media_type

MULTIPART_MIXED = "multipart/mixed"
MAX_PARTS = 8  # SDP, a location, perhaps an ISUP or a second location: 8 is plenty
MAX_PART_HEADERS = 16
DEFAULT_TYPE = MediaType("text", "plain")  # RFC 2046 §5.1: a part without Content-Type

#   boundary := 0*69<bchars> bcharsnospace
#   bchars := bcharsnospace / " "
#   bcharsnospace := DIGIT / ALPHA / "'" / "(" / ")" / "+" / "_" / "," / "-" / "." /
#                    "/" / ":" / "=" / "?"
_BOUNDARY = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]\Z")
#   transport-padding := *LWSP-char
_PADDING = b" \t"
_HEADER = re.compile(rf"({abnf.TOKEN}){abnf.SWS}:{abnf.SWS}(.*)\Z", re.DOTALL)


def _bad(reason: str) -> SipPeerError:
    return SipPeerError(400, reason)


@dataclass(frozen=True)
class BodyPart:
    """One part: its MIME headers as they came (names as written) and its octets."""

    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for n, v in self.headers if n.lower() == wanted), None)

    @property
    def content_type(self) -> MediaType:
        value = self.header("Content-Type")
        return DEFAULT_TYPE if value is None else parse_media_type(value)

    @property
    def content_id(self) -> str | None:
        """The Content-ID without its angle brackets: what a ``cid:`` URI names."""
        value = self.header("Content-ID")
        return None if value is None else value.strip().strip("<>")

    def to_bytes(self) -> bytes:
        head = "".join(f"{name}: {value}\r\n" for name, value in self.headers)
        return abnf.encode(head) + b"\r\n" + self.body


@dataclass(frozen=True)
class Multipart:
    """A multipart body: its subtype (``mixed``), boundary and parts in order."""

    subtype: str
    boundary: str
    parts: tuple[BodyPart, ...]

    @property
    def content_type(self) -> str:
        """The Content-Type header value for `to_bytes()`."""
        return f"multipart/{self.subtype};boundary={abnf.quote(self.boundary)}"

    def index(self, essence: str) -> int | None:
        """The first part of type `essence` (``application/sdp``), or None."""
        return next((i for i, p in enumerate(self.parts)
                     if p.content_type.essence == essence), None)

    def with_body(self, index: int, body: bytes) -> Multipart:
        """The same multipart with part `index` carrying `body` (headers kept)."""
        parts = list(self.parts)
        parts[index] = replace(parts[index], body=body)
        return replace(self, parts=tuple(parts))

    def to_bytes(self) -> bytes:
        dash = b"--" + abnf.encode(self.boundary)
        out = b"".join(dash + b"\r\n" + part.to_bytes() + b"\r\n" for part in self.parts)
        return out + dash + b"--\r\n"


def _part_headers(raw: bytes) -> tuple[tuple[str, str], ...]:
    #   MIME-part-headers := *(header-field CRLF), folded lines joined (RFC 5322 §2.2.3)
    lines: list[str] = []
    for line in raw.replace(b"\r\n", b"\n").split(b"\n"):
        text = line.decode("utf-8", "surrogateescape")
        if text[:1] in (" ", "\t") and lines:
            lines[-1] += " " + text.strip(" \t")
        else:
            lines.append(text)
    if len(lines) > MAX_PART_HEADERS:
        raise _bad(f"a body part with more than {MAX_PART_HEADERS} headers")
    out = []
    for text in lines:
        match = _HEADER.match(text)
        if match is None:
            raise _bad(f"malformed body part header {text[:40]!r}")
        out.append((match.group(1), match.group(2).strip(" \t")))
    return tuple(out)


def _part(raw: bytes) -> BodyPart:
    #   body-part := MIME-part-headers [CRLF *OCTET]
    for blank in (b"\r\n", b"\n"):
        if raw.startswith(blank):
            return BodyPart((), raw[len(blank):])
    cut = min((i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0), default=-1)
    if cut < 0:
        head, body = raw, b""
    else:
        blank = b"\r\n\r\n" if raw.startswith(b"\r\n\r\n", cut) else b"\n\n"
        head, body = raw[:cut], raw[cut + len(blank):]
    part = BodyPart(_part_headers(head), body)
    try:
        part.content_type  # noqa: B018 - a part's type must parse: it is all we read
    except SipPeerError as err:
        raise _bad(f"body part: {err.reason}") from None
    return part


def _after_boundary(body: bytes, at: int) -> tuple[int, bool]:
    """Past a dash-boundary at `at`: (start of the next part, False), or (.., True) for
    the close-delimiter."""
    if body.startswith(b"--", at):
        return at + 2, True
    while at < len(body) and body[at] in _PADDING:
        at += 1
    for eol in (b"\r\n", b"\n"):
        if body.startswith(eol, at):
            return at + len(eol), False
    raise _bad("multipart boundary not followed by a line end")


def parse_multipart(body: bytes, ctype: MediaType, *, max_parts: int = MAX_PARTS) -> Multipart:
    """Split `body` of type `ctype` (multipart/*) into its parts; SipPeerError(400) when
    it is malformed or has more than `max_parts` parts."""
    #   multipart-body := [preamble CRLF] dash-boundary transport-padding CRLF body-part
    #                     *encapsulation close-delimiter transport-padding [CRLF epilogue]
    #   encapsulation := delimiter transport-padding CRLF body-part
    #   delimiter := CRLF dash-boundary ; close-delimiter := delimiter "--"
    params = {name.lower(): value for name, value in ctype.params}
    boundary = abnf.unquote(params.get("boundary") or "")
    if not boundary:
        raise _bad(f"{ctype.essence} body without a boundary parameter")
    if not _BOUNDARY.match(boundary):
        raise _bad(f"bad multipart boundary {boundary[:72]!r}")
    dash = b"--" + abnf.encode(boundary)
    if body.startswith(dash):
        at = 0
    else:
        found = body.find(b"\n" + dash)
        if found < 0:
            raise _bad("multipart body without its boundary")
        at = found + 1
    start, closed = _after_boundary(body, at + len(dash))
    parts: list[BodyPart] = []
    while not closed:
        found = body.find(b"\n" + dash, start)
        if found < 0:
            raise _bad("multipart body without its closing boundary")
        end = found - 1 if found > start and body[found - 1:found] == b"\r" else found
        if len(parts) == max_parts:
            raise _bad(f"multipart body with more than {max_parts} parts")
        parts.append(_part(body[start:end]))
        start, closed = _after_boundary(body, found + 1 + len(dash))
    if not parts:
        raise _bad("multipart body without a part")
    return Multipart(ctype.subtype.lower(), boundary, tuple(parts))


def build_multipart(parts: Iterable[BodyPart], boundary: str,
                    subtype: str = "mixed") -> Multipart:
    """A multipart of our own (tests, or a body the SBC composes)."""
    return Multipart(subtype, boundary, tuple(parts))
