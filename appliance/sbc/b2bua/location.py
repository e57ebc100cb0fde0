"""A caller's location (RFC 6442) on its way through the B2BUA: kept or dropped per target.

Teams sends an emergency call of a tenant with emergency locations as a multipart/mixed
body (RFC 5621): the SDP plus an ``application/pidf+xml`` location, named by a
``Geolocation: <cid:...>`` header, with ``Geolocation-Routing`` saying whether proxies
may route by it. The SDP part goes through rtpengine like any SDP; the rest is the
location. Toward a peer whose profile says ``location: pass`` the INVITE carries the same
multipart with the rewritten SDP and both headers (Content-IDs kept, so the cid: still
points at its part); ``drop`` sends the plain SDP and neither header, which every peer
takes. A peer that answers 415 to the multipart is asked again without it
(`InviteAttempt.retry_without_location`): an emergency call must not fail over a body.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Connection
from ..sip import MULTIPART_MIXED, Message, Multipart, SipPeerError, parse_multipart
from .sdp import SDP

LOCATION_HEADERS = ("Geolocation", "Geolocation-Routing")


@dataclass(frozen=True)
class Location:
    """What an INVITE says about where the caller is, as it came."""

    headers: tuple[tuple[str, str], ...]  # Geolocation, Geolocation-Routing
    body: Multipart | None  # the whole multipart, SDP part included

    @property
    def present(self) -> bool:
        return bool(self.headers) or (self.body is not None and len(self.body.parts) > 1)

    def types(self) -> list[str]:
        """The body part types beside the SDP, for logs."""
        if self.body is None:
            return []
        return [p.content_type.essence for p in self.body.parts
                if p.content_type.essence != SDP]


@dataclass(frozen=True)
class Conveyed:
    """The location as it goes to one target: extra headers and the multipart body."""

    headers: tuple[tuple[str, str], ...]
    content_type: str
    body: bytes


NO_LOCATION = Location((), None)


def multipart_of(message: Message) -> Multipart | None:
    """The message's multipart/mixed body, or None (another type, or one that does not
    parse: a request's was checked by `validate_request` already)."""
    ctype = message.content_type
    if not message.body or ctype is None or ctype.essence != MULTIPART_MIXED:
        return None
    try:
        return parse_multipart(message.body, ctype)
    except SipPeerError:
        return None


def location_of(message: Message) -> Location:
    headers = tuple((name, value) for name in LOCATION_HEADERS
                    for value in message.headers.get_all(name))
    body = multipart_of(message)
    if not headers and body is None:
        return NO_LOCATION
    return Location(headers, body)


def conveyed(location: Location, target: Connection, sdp: bytes | None) -> Conveyed | None:
    """What goes to `target` beside `sdp` (already rewritten for it): None for the plain
    SDP and no location headers (``location: drop``, or nothing to pass)."""
    if target.location != "pass" or not location.present:
        return None
    body = location.body
    if body is None or sdp is None:  # by reference only (an http: URI): headers alone
        return Conveyed(location.headers, "", b"") if location.headers else None
    index = body.index(SDP)
    if index is None:
        return None
    out = body.with_body(index, sdp)
    return Conveyed(location.headers, out.content_type, out.to_bytes())
