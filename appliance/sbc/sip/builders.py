"""Building messages: responses to a request (RFC 3261 §8.2.6), new requests (§8.1.1),
the ACK a client transaction sends for a non-2xx final response (§17.1.1.3) and CANCEL
(§9.1). Headers copied from a request are copied as received, byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterable

from .address import Address, parse_address
from .errors import SipPeerError, SipUsageError
from .fields import CSeq, Via
from .headers import Headers
from .message import Request, Response
from .uri import Uri


def _with_tag(to_value: str, to_tag: str) -> str:
    try:
        if parse_address(to_value).tag is not None:
            return to_value
    except SipPeerError:
        pass
    return f"{to_value};tag={to_tag}"


def response_from_headers(
    source: Headers,
    status: int,
    reason: str | None = None,
    *,
    to_tag: str | None = None,
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
) -> Response:
    """A response whose Via, From, To, Call-ID and CSeq come from ``source``.

    Headers missing from ``source`` are left out, so that even a request without
    From or To gets its 400 (RFC 4475 §3.3.1).
    """
    out = Headers()
    for value in source.get_all("Via"):
        out.add("Via", value)
    for name in ("From", "To", "Call-ID", "CSeq"):
        found = source.get(name)
        if found is None:
            continue  # only when answering a request that lacks it with a 400
        value = found
        if name == "To" and to_tag is not None and status != 100:
            value = _with_tag(value, to_tag)
        out.add(name, value)
    if status == 100 and "Timestamp" in source:
        out.add("Timestamp", source.get("Timestamp") or "")  # §8.2.6.1
    for name, value in headers:
        out.add(name, value)
    return Response(status=status, reason=reason, headers=out, body=body)


def build_response(
    request: Request,
    status: int,
    reason: str | None = None,
    *,
    to_tag: str | None = None,
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
) -> Response:
    """Answer ``request``: Via, From, To (with ``to_tag`` unless it has one), Call-ID, CSeq.

    A UAS must tag every response but 100 (§8.2.6.2); pass ``to_tag`` for those.
    ``headers`` are added after the copied ones (Contact, Allow, Content-Type, ...).
    """
    return response_from_headers(
        request.headers, status, reason, to_tag=to_tag, headers=headers, body=body
    )


def build_request(
    method: str,
    uri: Uri,
    *,
    from_addr: Address,
    to_addr: Address,
    call_id: str,
    cseq: int,
    via: Via,
    contact: Address | None = None,
    routes: Iterable[Address] = (),
    max_forwards: int = 70,
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
    content_type: str | None = None,
) -> Request:
    """A new request (§8.1.1). ``via`` must carry a branch from `ids.new_branch`."""
    if not via.has_cookie:
        raise SipUsageError("a new request needs a Via branch with the z9hG4bK cookie")
    out = Headers()
    out.add("Via", str(via))
    out.add("Max-Forwards", str(max_forwards))
    for route in routes:
        out.add("Route", str(route))
    out.add("From", str(from_addr))
    out.add("To", str(to_addr))
    out.add("Call-ID", call_id)
    out.add("CSeq", str(CSeq(cseq, method)))
    if contact is not None:
        out.add("Contact", str(contact))
    for name, value in headers:
        out.add(name, value)
    if body and content_type is None:
        raise SipUsageError("a body needs a Content-Type")
    if content_type is not None:
        out.add("Content-Type", content_type)
    return Request(method=method, uri=uri, headers=out, body=body)


def _copy_route(request: Request, out: Headers) -> None:
    for value in request.headers.get_all("Route"):
        out.add("Route", value)


def build_ack(invite: Request, response: Response) -> Request:
    """The ACK for a non-2xx final response, sent by the INVITE client transaction.

    §17.1.1.3: same Request-URI, Call-ID, From, CSeq number and top Via (so the same
    branch) as the INVITE, To from the response, and the INVITE's Route headers.
    """
    out = Headers()
    out.add("Via", invite.headers.values("Via")[0])
    out.add("Max-Forwards", "70")
    _copy_route(invite, out)
    out.add("From", invite.headers.get("From") or "")
    out.add("To", response.headers.get("To") or "")
    out.add("Call-ID", invite.headers.get("Call-ID") or "")
    out.add("CSeq", str(CSeq(invite.cseq.number, "ACK")))
    return Request(method="ACK", uri=invite.uri, headers=out)


def build_cancel(request: Request) -> Request:
    """CANCEL for ``request`` (§9.1): same Request-URI, Call-ID, To, From, CSeq number,
    Route headers and a single Via equal to the request's top Via."""
    if request.method in ("ACK", "CANCEL"):
        raise SipUsageError(f"{request.method} cannot be cancelled")
    out = Headers()
    out.add("Via", request.headers.values("Via")[0])
    out.add("Max-Forwards", "70")
    _copy_route(request, out)
    for name in ("From", "To", "Call-ID"):
        out.add(name, request.headers.get(name) or "")
    out.add("CSeq", str(CSeq(request.cseq.number, "CANCEL")))
    return Request(method="CANCEL", uri=request.uri, headers=out)
