"""Dialogs (RFC 3261 §12, §13.2.2.4, §13.3.1.4): identity, route set, remote target and
CSeq on each side, and the requests sent inside a dialog.

A B2BUA holds two of these per call, one per leg (`Dialog.from_uas` for the leg that
called us, `Dialog.from_uac` for the leg we called), and keys them by `DialogId`. The
dialog builds requests; sending them goes through `TransactionLayer` like any other.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

from .address import Address
from .endpoint import Endpoint
from .errors import SipPeerError, SipUsageError
from .fields import CSeq, Via
from .headers import Headers
from .message import Request, Response
from .transaction import EPSILON, Send, TimerConfig
from .uri import SipUri, Uri

# Methods whose requests and 2xx carry a Contact that replaces the remote target.
TARGET_REFRESH = frozenset({"INVITE", "UPDATE", "SUBSCRIBE", "NOTIFY", "REFER"})


@dataclass(frozen=True)
class DialogId:
    """Call-ID plus the two tags, seen from our side."""

    call_id: str
    local_tag: str
    remote_tag: str | None  # None only for an RFC 2543 peer that sent no From tag

    @classmethod
    def of_request(cls, request: Request) -> DialogId:
        """The dialog an incoming in-dialog request belongs to (local = its To tag)."""
        return cls(request.call_id, request.to_addr.tag or "", request.from_addr.tag)

    @classmethod
    def of_response(cls, response: Response) -> DialogId:
        """The dialog a response to our request belongs to (local = its From tag)."""
        return cls(response.call_id, response.from_addr.tag or "", response.to_addr.tag)


class DialogState(enum.Enum):
    EARLY = "early"
    CONFIRMED = "confirmed"
    TERMINATED = "terminated"


def _bare(address: Address) -> Address:
    """An address without its tag (the dialog adds tags itself)."""
    params = {k: v for k, v in address.params.items() if k != "tag"}
    return Address(address.uri, address.display_name, params)


def _first(contacts: list[Address]) -> Address | None:
    return contacts[0] if contacts else None


def _target(contacts: list[Address], what: str, status: int | None) -> Uri:
    if not contacts:
        raise SipPeerError(status, f"{what} without Contact: no remote target")
    return contacts[0].uri


@dataclass
class Dialog:
    id: DialogId
    local_uri: Address
    remote_uri: Address
    remote_target: Uri
    route_set: list[Address] = field(default_factory=list)
    local_cseq: int = 0  # the last CSeq we used; 0: none yet
    remote_cseq: int | None = None
    local_contact: Address | None = None
    secure: bool = False
    state: DialogState = DialogState.EARLY

    # -- creation -------------------------------------------------------------------

    @classmethod
    def from_uac(
        cls, request: Request, response: Response, local_contact: Address | None = None
    ) -> Dialog:
        """The dialog a 1xx-with-tag or 2xx creates for the request we sent (§12.1.2)."""
        local_tag = request.from_addr.tag
        if local_tag is None:
            raise SipUsageError("our request has no From tag")
        remote_tag = response.to_addr.tag
        if remote_tag is None:
            raise SipPeerError(None, "response without To tag creates no dialog")
        if response.status >= 300 or response.status < 101:
            raise SipUsageError(f"a {response.status} creates no dialog")
        confirmed = 200 <= response.status < 300
        contacts = response.contacts
        target = _target(contacts, "2xx", None) if confirmed or contacts else request.uri
        return cls(
            id=DialogId(request.call_id, local_tag, remote_tag),
            local_uri=_bare(request.from_addr),
            remote_uri=_bare(response.to_addr),
            remote_target=target,
            route_set=list(reversed(response.record_routes)),
            local_cseq=request.cseq.number,
            local_contact=local_contact or _first(request.contacts),
            secure=isinstance(request.uri, SipUri) and request.uri.secure,
            state=DialogState.CONFIRMED if confirmed else DialogState.EARLY,
        )

    @classmethod
    def from_uas(
        cls, request: Request, response: Response, local_contact: Address | None = None
    ) -> Dialog:
        """The dialog our 1xx-with-tag or 2xx creates for a request we got (§12.1.1)."""
        local_tag = response.to_addr.tag
        if local_tag is None:
            raise SipUsageError("our response needs a To tag to create a dialog")
        if response.status >= 300 or response.status < 101:
            raise SipUsageError(f"a {response.status} creates no dialog")
        return cls(
            id=DialogId(request.call_id, local_tag, request.from_addr.tag),
            local_uri=_bare(request.to_addr),
            remote_uri=_bare(request.from_addr),
            remote_target=_target(request.contacts, request.method, 400),
            route_set=request.record_routes,
            remote_cseq=request.cseq.number,
            local_contact=local_contact or _first(response.contacts),
            secure=isinstance(request.uri, SipUri) and request.uri.secure,
            state=DialogState.CONFIRMED if 200 <= response.status < 300 else DialogState.EARLY,
        )

    # -- what comes in --------------------------------------------------------------

    def receive_response(self, request: Request, response: Response) -> None:
        """A response to a request we sent in this dialog (or the early one).

        A 2xx to the INVITE that made an early dialog confirms it and recomputes the
        route set (§13.2.2.4); a 2xx to a target refresh replaces the remote target.
        """
        if not 200 <= response.status < 300:
            return
        if self.state is DialogState.EARLY and request.method == "INVITE":
            self.state = DialogState.CONFIRMED
            self.route_set = list(reversed(response.record_routes))
        if request.method in TARGET_REFRESH and response.contacts:
            self.remote_target = response.contacts[0].uri

    def receive_request(self, request: Request) -> None:
        """Check and absorb an in-dialog request (§12.2.2).

        Raises `SipPeerError` 500 for a CSeq lower than the last one (out of order).
        ACK and CANCEL reuse their INVITE's number and are not checked.
        """
        number = request.cseq.number
        if request.method not in ("ACK", "CANCEL"):
            if self.remote_cseq is not None and number < self.remote_cseq:
                raise SipPeerError(500, "CSeq lower than the dialog's", headers=request.headers)
            self.remote_cseq = number
        if request.method in TARGET_REFRESH and request.contacts:
            self.remote_target = request.contacts[0].uri
        if request.method == "ACK" and self.state is DialogState.EARLY:
            self.state = DialogState.CONFIRMED

    def terminate(self) -> None:
        self.state = DialogState.TERMINATED

    # -- what goes out --------------------------------------------------------------

    def next_hop(self) -> Uri:
        """The URI to resolve (RFC 3263) for the next request: the first route, else the
        remote target."""
        return self.route_set[0].uri if self.route_set else self.remote_target

    def _routing(self) -> tuple[Uri, list[Address]]:
        """Request-URI and Route headers (§12.2.1.1, loose and strict routing)."""
        if not self.route_set:
            return self.remote_target, []
        first = self.route_set[0].uri
        if isinstance(first, SipUri) and not first.lr:
            # A strict router: it goes in the Request-URI, the remote target last in Route.
            ruri = first.copy(headers={})
            ruri.params.pop("method", None)
            return ruri, [*self.route_set[1:], Address(self.remote_target)]
        return self.remote_target, list(self.route_set)

    def _build(
        self,
        method: str,
        cseq: int,
        via: Via,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        content_type: str | None,
        max_forwards: int,
    ) -> Request:
        if not via.has_cookie:
            raise SipUsageError("in-dialog requests need a fresh z9hG4bK branch")
        ruri, routes = self._routing()
        out = Headers()
        out.add("Via", str(via))
        out.add("Max-Forwards", str(max_forwards))
        for route in routes:
            out.add("Route", str(route))
        out.add("From", str(self.local_uri.with_tag(self.id.local_tag)))
        remote = self.remote_uri
        out.add("To", str(remote.with_tag(self.id.remote_tag) if self.id.remote_tag else remote))
        out.add("Call-ID", self.id.call_id)
        out.add("CSeq", str(CSeq(cseq, method)))
        if method in TARGET_REFRESH and self.local_contact is not None:
            out.add("Contact", str(self.local_contact))
        for name, value in headers:
            out.add(name, value)
        if body and content_type is None:
            raise SipUsageError("a body needs a Content-Type")
        if content_type is not None:
            out.add("Content-Type", content_type)
        return Request(method=method, uri=ruri, headers=out, body=body)

    def create_request(
        self,
        method: str,
        via: Via,
        *,
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
        content_type: str | None = None,
        max_forwards: int = 70,
    ) -> Request:
        """A new in-dialog request (BYE, re-INVITE, UPDATE, INFO, ...), next CSeq."""
        if method in ("ACK", "CANCEL"):
            raise SipUsageError(f"use create_ack / build_cancel for {method}")
        if self.state is DialogState.TERMINATED:
            raise SipUsageError("the dialog is terminated")
        self.local_cseq += 1
        return self._build(method, self.local_cseq, via, headers, body, content_type,
                           max_forwards)

    def create_ack(
        self,
        invite: Request,
        via: Via,
        *,
        body: bytes = b"",
        content_type: str | None = None,
    ) -> Request:
        """The ACK for a 2xx to ``invite`` (§13.2.2.4): the INVITE's CSeq number, a new
        branch, the dialog's routing, and the INVITE's credentials."""
        credentials = [
            (name, value)
            for name, value in invite.headers
            if name in ("Authorization", "Proxy-Authorization")
        ]
        return self._build("ACK", invite.cseq.number, via, credentials, body, content_type, 70)


@dataclass(frozen=True)
class AckTimeout:
    """No ACK came for our 2xx within 64*T1: the TU should send BYE (§13.3.1.4)."""

    response: Response


class PendingAck:
    """The UAS core's duty after sending a 2xx to an INVITE (§13.3.1.4): send it again
    at T1, 2*T1, ... capped at T2, until the ACK comes or 64*T1 has passed."""

    def __init__(self, response: Response, dest: Endpoint, config: TimerConfig, now: float):
        self.response = response
        self.dest = dest
        self._interval = config.t1
        self._next: float | None = None if dest.reliable else now + config.t1
        self._t2 = config.t2
        self._deadline: float | None = now + 64 * config.t1

    def next_timer(self) -> float | None:
        times = [t for t in (self._next, self._deadline) if t is not None]
        return min(times, default=None)

    def ack_received(self) -> None:
        self._next = self._deadline = None

    def handle_timer(self, now: float) -> list[Send | AckTimeout]:
        out: list[Send | AckTimeout] = []
        while self._deadline is not None:
            if self._next is not None and self._next < self._deadline and (
                self._next <= now + EPSILON
            ):
                out.append(Send(self.response, self.dest))
                self._interval = min(2 * self._interval, self._t2)
                self._next += self._interval
            elif self._deadline <= now + EPSILON:
                out.append(AckTimeout(self.response))
                self._next = self._deadline = None
            else:
                break
        return out
