"""One outgoing INVITE to one target, with the retries that stay on that target.

The first INVITE goes out; a 401/407 is answered once with digest credentials (the
carrier challenges INVITEs), a 422 with the Min-SE it asks for (RFC 4028 §7.4), a 415
to a body with the caller's location with the plain SDP alone (`location`), each as a
new transaction with the next CSeq in the same Call-ID. Everything that comes back
(responses, transport failures, timeouts) is queued in order for the call to read with
`next_event()`; a 2xx that arrives again (lost ACK, or a second fork) is ACKed here,
and a second fork is also sent BYE: the call keeps the first.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..config import Connection
from ..core.identity import ALLOW
from ..sip import (
    Address,
    ClientTransaction,
    DigestClient,
    Request,
    Response,
    new_call_id,
    new_tag,
)
from ..sip.dialog import Dialog
from ..transport import Peer
from .location import Conveyed
from .sdp import SDP
from .signalling import Signalling
from .timers import TimerSettings, request_headers, retry_interval_after_422

log = logging.getLogger(__name__)

MAX_AUTH_ROUNDS = 1
MAX_422_ROUNDS = 2


@dataclass(frozen=True)
class Failure:
    """No final response: `reason` in plain words; `timeout` when nothing answered."""

    reason: str
    timeout: bool


Event = Response | Failure


class InviteAttempt:
    def __init__(
        self,
        sig: Signalling,
        target: Connection,
        *,
        uri: object,
        from_addr: Address,
        to_addr: Address,
        headers: tuple[tuple[str, str], ...],
        contact: Address,
        sdp: bytes | None,
        timers: TimerSettings,
        max_forwards: int,
        location: Conveyed | None = None,
    ) -> None:
        self.sig = sig
        self.target = target
        self.uri = uri
        self.from_addr = from_addr.with_tag(new_tag(sig.engine.random))
        self.to_addr = to_addr
        self.headers = headers
        self.contact = contact
        self.sdp = sdp
        self.timers = timers
        self.max_forwards = max_forwards
        self.location = location  # None: plain SDP, no Geolocation headers
        self.location_refused = False  # the target answered 415 to it
        self.call_id = new_call_id(sig.engine.random, sig.fqdn)
        self.cseq = 0
        self.interval = timers.session_expires
        auth = target.auth
        self.digest = (
            DigestClient(auth.auth_user, auth.password, sig.engine.random) if auth else None
        )
        self.auth_rounds = 0
        self.rounds_422 = 0
        self.peer: Peer | None = None
        self.tx: ClientTransaction | None = None
        self.request: Request | None = None
        self.provisional = False  # a provisional other than 100 came
        self.answered_tag: str | None = None
        self.abandoned = False  # the call moved on: a late 2xx gets ACK and BYE
        self._ack: Request | None = None
        self._events: asyncio.Queue[Event] = asyncio.Queue()

    # -- sending ----------------------------------------------------------------------

    def _build(self, credentials: list[tuple[str, str]]) -> Request:
        self.cseq += 1
        transport = self.target.transport
        headers = [
            ("Allow", ", ".join(ALLOW)),
            ("Supported", "timer"),
            *request_headers(self.timers, self.interval,
                             min_se=self.interval if self.rounds_422 else None),
            *self.headers,
            *(self.location.headers if self.location is not None else ()),
            *credentials,
        ]
        request = self.sig.engine.identity.request(
            "INVITE",
            self.uri,  # type: ignore[arg-type]
            transport=transport,
            random=self.sig.engine.random,
            from_addr=self.from_addr,
            to_addr=self.to_addr,
            call_id=self.call_id,
            cseq=self.cseq,
            contact=self.contact,
            headers=headers,
            connection_headers=self.target.headers,
        )
        request.headers.set("Max-Forwards", str(self.max_forwards))
        if self.location is not None and self.location.body:
            request.headers.add("Content-Type", self.location.content_type)
            request.body = self.location.body
        elif self.sdp is not None:
            request.headers.add("Content-Type", SDP)
            request.body = self.sdp
        return request

    def send(self, peer: Peer, credentials: list[tuple[str, str]] | None = None) -> None:
        self.peer = peer
        self.request = self._build(credentials or [])
        self.tx = self.sig.send(self.request, peer, self)

    def retry_auth(self, response: Response) -> bool:
        """Send again with credentials for this challenge; False: give up (no
        credentials, or they were already refused)."""
        if self.digest is None or self.auth_rounds >= MAX_AUTH_ROUNDS or self.peer is None:
            return False
        assert self.request is not None
        answer = self.digest.answer(response, "INVITE", str(self.request.uri), self.request.body)
        if not answer:
            return False
        self.auth_rounds += 1
        self.send(self.peer, answer)
        return True

    def retry_422(self, interval: int | None) -> bool:
        if interval is None or self.rounds_422 >= MAX_422_ROUNDS or self.peer is None:
            return False
        self.rounds_422 += 1
        self.interval = interval
        self.send(self.peer)
        return True

    def retry_without_location(self) -> bool:
        """A 415 to our INVITE with the caller's location: send the plain SDP instead
        (RFC 5621 §5); False: there was no location to leave out."""
        if self.location is None or self.peer is None:
            return False
        self.location = None
        self.location_refused = True
        self.auth_rounds = 0  # the new request may be challenged again; once more only
        self.send(self.peer)
        return True

    def cancel(self) -> None:
        """Stop this attempt: CANCEL if a provisional came, else leave it to time out;
        either way a 2xx that still comes is ACKed and ended with BYE."""
        self.abandoned = True
        if self.tx is not None:
            self.sig.cancel(self.tx)

    # -- what comes back (ResponseHandler) ---------------------------------------------

    def on_response(self, response: Response) -> None:
        if 200 <= response.status < 300 and self.answered_tag is not None:
            self._repeat_2xx(response)
            return
        if 200 <= response.status < 300:
            self.answered_tag = response.to_addr.tag
            if self.abandoned:
                asyncio.get_running_loop().create_task(self._ack_and_bye(response))
                return
        elif 100 < response.status < 200:
            self.provisional = True
            if self.abandoned and self.tx is not None:
                self.sig.cancel(self.tx)
        self._events.put_nowait(response)

    def on_failure(self, reason: str, timeout: bool) -> None:
        self._events.put_nowait(Failure(reason, timeout))

    async def next_event(self) -> Event:
        return await self._events.get()

    # -- ACK ----------------------------------------------------------------------------

    def acked(self, ack: Request) -> None:
        """Remember our ACK so a repeated 2xx (our ACK was lost) gets it again."""
        self._ack = ack

    def _repeat_2xx(self, response: Response) -> None:
        if response.to_addr.tag == self.answered_tag:
            if self._ack is not None and self.peer is not None:
                self.sig.send_direct(self._ack, self.peer)
            return
        asyncio.get_running_loop().create_task(self._ack_and_bye(response))

    async def _ack_and_bye(self, response: Response) -> None:
        """A 2xx nobody wants (a second fork, or after we gave up): ACK it, then BYE."""
        if self.request is None or self.peer is None:
            return
        try:
            dialog = Dialog.from_uac(self.request, response, self.contact)
            transport = self.target.transport
            peer = await self.sig.peer_for_dialog(dialog, transport, self.peer)
            self.sig.send_direct(dialog.create_ack(self.request, self.sig.via(transport)), peer)
            bye = dialog.create_request("BYE", self.sig.via(transport))
            await self.sig.request(bye, peer, timeout=8.0)
        except Exception:
            log.exception("could not end an unwanted 2xx from %s", self.target.name)


async def final_outcome(
    attempt: InviteAttempt,
    failover_timeout: float,
    *,
    on_provisional: Callable[[Response], Awaitable[None]] | None = None,
    stopped: Callable[[], bool] = lambda: False,
) -> Response | Failure | None:
    """Read `attempt` until its outcome on this target: a 2xx or final failure (after the
    retries that stay here: credentials for 401/407, the Min-SE of a 422), or a Failure.
    None: nothing but 100 within `failover_timeout`; the attempt is then given up.
    Provisionals (not 100) go to `on_provisional`; once `stopped()` (the caller gave up)
    no retry is made and provisionals are not passed on."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + failover_timeout
    while True:
        wait = None if attempt.provisional else max(0.0, deadline - loop.time())
        try:
            event = await asyncio.wait_for(attempt.next_event(), wait)
        except TimeoutError:
            attempt.cancel()
            return None
        if isinstance(event, Failure):
            return event
        status = event.status
        if status == 100:
            continue
        if status < 200:
            if on_provisional is not None and not stopped():
                await on_provisional(event)
            continue
        if status < 300 or stopped():
            return event
        if status in (401, 407) and attempt.retry_auth(event):
            deadline = loop.time() + failover_timeout
            continue
        if status == 422 and attempt.retry_422(retry_interval_after_422(event, attempt.interval)):
            continue
        if status == 415 and attempt.retry_without_location():
            continue
        return event
