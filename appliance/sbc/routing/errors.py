"""The one error of routing: a call we cannot place, with the status to answer it with."""

from __future__ import annotations

from ..sip.errors import SipPeerError


class RouteError(SipPeerError):
    """A call cannot be routed: 404 no route, 484 a called number that is not one, 400 a
    calling number that is not one, 500 a route that rewrote a number into garbage.

    It is a `SipPeerError`, so the place that turns peer errors into answers handles it
    too; `status` is always set here (never a silent drop) and `reason` is plain words
    for the log line and the CDR.
    """

    status: int

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(status, reason)
