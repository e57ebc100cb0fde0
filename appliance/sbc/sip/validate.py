"""What a server checks before acting on a message, and the answer each failure earns.

`validate_request` follows RFC 3261 §8.2 in order: syntax of the headers every request
needs (400), Max-Forwards (483), method (405), URI scheme (416), extensions (420),
content (415) and acceptable response bodies (406). `validate_response` says which
responses a UAC drops (§8.1.3.3). `error_response` turns a `SipPeerError` into the
answer, or None when the rule is to drop. Choices the RFC leaves open:

- A missing Max-Forwards is tolerated (RFC 2543 peers omit it; we then act as if 70).
- A Via branch without the z9hG4bK cookie is accepted here; the transaction layer
  matches such requests the RFC 2543 way (§17.2.3).
- Require and Proxy-Require are both checked: an SBC is the edge proxy of its domain,
  and an extension a proxy is asked for is one we cannot honour either.
- An ACK is never answered: every failure on an ACK is a drop.
- A multipart/mixed body (RFC 5621) is taken when it parses and holds a part of a type
  we read (the SDP of an emergency call beside its PIDF-LO, RFC 6442); the other parts
  are the B2BUA's to keep or drop. A malformed one earns 400, one without such a part 415.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .address import parse_address
from .builders import response_from_headers
from .errors import SipPeerError
from .fields import is_broadcast_host, parse_media_type, parse_tokens
from .message import Request, Response
from .multipart import MULTIPART_MIXED, parse_multipart
from .uri import AbsoluteUri, SipUri, TelUri

SINGLE_VALUE = ("To", "From", "Call-ID", "CSeq", "Max-Forwards", "Content-Type")
REQUIRED = ("To", "From", "Call-ID", "CSeq", "Via")


def _frozen(*items: str) -> frozenset[str]:
    return frozenset(items)


@dataclass(frozen=True)
class ServerPolicy:
    """What this server accepts; the defaults are an SBC that is no registrar."""

    allowed_methods: frozenset[str] = field(
        default_factory=lambda: _frozen(
            "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "PRACK", "UPDATE", "INFO",
            "NOTIFY", "REFER",
        )
    )
    supported: frozenset[str] = field(
        default_factory=lambda: _frozen("replaces", "timer", "norefersub")
    )
    uri_schemes: frozenset[str] = field(default_factory=lambda: _frozen("sip", "sips", "tel"))
    # Body types we read, for the methods whose bodies we must read.
    accept: tuple[str, ...] = ("application/sdp",)
    # Containers whose parts are checked against `accept` instead (RFC 5621).
    multipart: tuple[str, ...] = (MULTIPART_MIXED,)
    body_methods: frozenset[str] = field(
        default_factory=lambda: _frozen("INVITE", "ACK", "PRACK", "UPDATE")
    )
    check_proxy_require: bool = True


DEFAULT_POLICY = ServerPolicy()


def _fail(
    request: Request,
    status: int,
    reason: str,
    response_headers: Sequence[tuple[str, str]] = (),
) -> SipPeerError:
    return SipPeerError(
        None if request.method == "ACK" else status,
        reason,
        headers=request.headers,
        response_headers=response_headers,
    )


def _check_syntax(request: Request) -> None:
    """400s: required headers present once, parseable, CSeq agreeing with the method."""
    for name in REQUIRED:
        if name not in request.headers:
            raise _fail(request, 400, f"missing {name}")
    for name in SINGLE_VALUE:
        if request.headers.count(name) > 1:
            raise _fail(request, 400, f"more than one {name}")
    try:
        request.vias  # noqa: B018 - parse every Via
        cseq = request.cseq
        request.call_id  # noqa: B018
        request.from_addr  # noqa: B018
        request.to_addr  # noqa: B018
        request.max_forwards  # noqa: B018
        request.contacts  # noqa: B018
        request.routes  # noqa: B018
        request.record_routes  # noqa: B018
        request.content_type  # noqa: B018
    except SipPeerError as err:
        raise _fail(request, 400, err.reason) from None
    if cseq.method != request.method:
        raise _fail(request, 400, "CSeq method does not match the request method")


def _unsupported(request: Request, policy: ServerPolicy) -> list[str]:
    names = ["Require", "Proxy-Require"] if policy.check_proxy_require else ["Require"]
    tags: list[str] = []
    for name in names:
        try:
            values = parse_tokens(request.headers.values(name), name)
        except SipPeerError as err:
            raise _fail(request, 400, err.reason) from None
        tags += [t for t in values if t.lower() not in policy.supported and t not in tags]
    return tags


def _check_parts(request: Request, policy: ServerPolicy,
                 accept: list[tuple[str, str]]) -> None:
    assert request.content_type is not None
    try:
        body = parse_multipart(request.body, request.content_type)
    except SipPeerError as err:
        raise _fail(request, 400, err.reason) from None
    if not any(part.content_type.essence in policy.accept for part in body.parts):
        types = ", ".join(part.content_type.essence for part in body.parts)
        raise _fail(request, 415, f"no part of the multipart body is ours ({types})", accept)


def _check_content(request: Request, policy: ServerPolicy) -> None:
    if request.method not in policy.body_methods:
        return
    accept = [("Accept", ", ".join(policy.accept))]
    if request.body:
        encoding = [v.lower() for v in request.headers.values("Content-Encoding") if v]
        if any(e != "identity" for e in encoding):
            accept.append(("Accept-Encoding", "identity"))
            raise _fail(request, 415, "unsupported Content-Encoding", accept)
        ctype = request.content_type
        if ctype is not None and ctype.essence in policy.multipart:
            _check_parts(request, policy, accept)
        elif ctype is None or ctype.essence not in policy.accept:
            raise _fail(request, 415, f"unsupported Content-Type {ctype}", accept)
    if request.method == "INVITE" and "Accept" in request.headers:
        try:
            ranges = [parse_media_type(v) for v in request.headers.values("Accept") if v]
        except SipPeerError as err:
            raise _fail(request, 400, err.reason) from None
        if not any(r.matches(ours) for r in ranges for ours in policy.accept):
            raise _fail(request, 406, "Accept lists no body type we can answer with", accept)


def validate_request(
    request: Request, policy: ServerPolicy = DEFAULT_POLICY, *, for_us: bool = False
) -> None:
    """Raise `SipPeerError` with the status to answer when ``request`` must be refused.

    ``for_us``: the request is addressed to this server itself (an OPTIONS ping to our
    own URI), so Max-Forwards 0 is no reason to refuse it (§11, §16.3).
    """
    _check_syntax(request)
    if request.max_forwards == 0 and not for_us:
        raise _fail(request, 483, "Max-Forwards is 0")
    if request.method not in policy.allowed_methods:
        allow = ", ".join(sorted(policy.allowed_methods))
        raise _fail(request, 405, f"method {request.method} not allowed", [("Allow", allow)])
    uri = request.uri
    if uri.scheme not in policy.uri_schemes or isinstance(uri, AbsoluteUri):
        raise _fail(request, 416, f"unsupported URI scheme {uri.scheme!r}")
    if request.method not in ("ACK", "CANCEL"):
        unsupported = _unsupported(request, policy)
        if unsupported:
            raise _fail(
                request, 420, "unsupported extensions", [("Unsupported", ", ".join(unsupported))]
            )
    _check_content(request, policy)


def validate_response(response: Response, *, uac: bool = True) -> None:
    """Raise `SipPeerError` (a drop) when ``response`` must be discarded.

    ``uac``: we sent the request ourselves, so exactly one Via may come back (§8.1.3.3);
    an SBC is the UAC of everything it sends.
    """
    for name in REQUIRED:
        if name not in response.headers:
            raise SipPeerError(None, f"response without {name}")
    for name in SINGLE_VALUE:
        if response.headers.count(name) > 1:
            raise SipPeerError(None, f"response with more than one {name}")
    vias = response.vias
    response.cseq, response.call_id, response.from_addr, response.to_addr  # noqa: B018
    for via in vias:
        if is_broadcast_host(via.host) or is_broadcast_host(via.received or ""):
            raise SipPeerError(None, "broadcast or multicast address in a Via")
    if uac and len(vias) != 1:
        raise SipPeerError(None, "response to our request with more than one Via")


def error_response(err: SipPeerError, *, to_tag: str | None = None) -> Response | None:
    """The answer ``err`` calls for, or None: a drop, an ACK, or too little to answer with.

    The response copies Via, From, To, Call-ID and CSeq from the bad request as
    received; without a Via (the way back) or a CSeq there is no answer. ``to_tag``
    tags the To header (§8.2.6.2).
    """
    headers = err.headers
    if err.status is None or headers is None:
        return None
    cseq = headers.get("CSeq")
    if headers.get("Via") is None or cseq is None or cseq.split()[-1:] == ["ACK"]:
        return None  # no way back, no way to match it, or an ACK
    try:
        parse_address(headers.get("To") or "")
    except SipPeerError:
        to_tag = None  # we cannot tell whether it has a tag; keep it as it came
    return response_from_headers(
        headers, err.status, to_tag=to_tag, headers=err.response_headers
    )


__all__ = [
    "DEFAULT_POLICY",
    "ServerPolicy",
    "SipUri",
    "TelUri",
    "error_response",
    "validate_request",
    "validate_response",
]
