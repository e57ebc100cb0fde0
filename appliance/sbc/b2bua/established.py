"""`EstablishedCall`: a call once its dialogs exist: in-dialog requests (BYE, re-INVITE and
UPDATE through rtpengine or answered here, INFO, REFER), session refreshes, Replaces,
and the end (BYE both ways, the media session deleted, one CDR).

`b2bua.call.Call` adds the set-up (routing, attempts, failover) on top; `transfer` and
`refer` work through the public methods here (`send_in_dialog`, `next_tag`,
`put_in_place`, `hangup`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..config import Connection
from ..core.identity import ALLOW
from ..core.router import RequestContext
from ..media import MediaError, MediaSession
from ..sip import Response, State
from ..sip.dialog import Dialog, DialogState
from .attempt import InviteAttempt
from .cdr import CallRecord
from .leg import Leg, allows
from .sdp import SDP, origin, sdp_body
from .state import CallPhase, Phase
from .timers import uac_timer, uas_answer

if TYPE_CHECKING:
    from .manager import CallManager

log = logging.getLogger(__name__)


def is_open(ctx: RequestContext) -> bool:
    """The request still waits for its final answer."""
    return ctx.transaction.state in (State.TRYING, State.PROCEEDING)


class EstablishedCall:
    """The dialog side of a call; `Call.__init__` sets these."""

    manager: CallManager
    ctx: RequestContext
    id: str
    a: Leg
    b: Leg | None
    legs: dict[str, Leg]
    media: MediaSession | None
    record: CallRecord
    phase: CallPhase
    ended: bool
    acked: asyncio.Event
    busy: bool
    transferred: list[Leg]
    _tags: int

    @property
    def loop_now(self) -> float:
        return asyncio.get_running_loop().time()

    def other(self, leg: Leg) -> Leg | None:
        if leg is self.a:
            return self.b
        return self.a

    async def _late_cleanup(self) -> None:
        """The call ended (CANCEL, BYE) while an offer was on its way to rtpengine: that
        offer may have created the session again after it was deleted. Delete it once
        more (idempotent) so that nothing leaks; not when nothing can have come after
        the delete that ended the call (the usual case: one delete per call)."""
        if self.ended and self.media is not None and self.media.needs_delete:
            try:
                await self.media.delete()
            except Exception:
                log.exception("call %s: could not delete its media session", self.id)

    def put_in_place(self, old: Leg, new: Leg) -> None:
        """`new` takes `old`'s place in the call (a transfer, a Replaces)."""
        del self.legs[old.tag]
        self.legs[new.tag] = new
        if self.a is old:
            self.a = new
        else:
            self.b = new
        self.manager.register(self, new)

    def next_tag(self) -> str:
        """A media tag for a new leg ("c1", "c2", ...), never used before in this call, so
        that rtpengine never mistakes it for a leg that was replaced."""
        self._tags += 1
        return f"c{self._tags}"

    async def confirm(self, leg: Leg, attempt: InviteAttempt, response: Response) -> None:
        """`leg` answered our INVITE with `response` (2xx): its dialog, the ACK, and its
        session timer. The SDP is the caller's business."""
        sig = self.manager.sig
        assert attempt.request is not None
        leg.dialog = Dialog.from_uac(attempt.request, response)
        leg.dialog.state = DialogState.CONFIRMED
        leg.peer = await sig.peer_for_dialog(leg.dialog, leg.transport, leg.peer)
        ack = leg.dialog.create_ack(attempt.request, sig.via(leg.transport))
        sig.send_direct(ack, leg.peer)
        attempt.acked(ack)
        leg.timer = uac_timer(response, self.manager.timer_settings)
        leg.refreshed = self.loop_now
        leg.peer_allows = allows(response.headers.get("Allow"))

    # -- in-dialog requests -------------------------------------------------------------------

    async def on_request(self, leg: Leg, ctx: RequestContext) -> None:
        method = ctx.request.method
        try:
            if method == "BYE" and leg in self.transferred:
                ctx.respond(200)  # the transferor leaves; the call goes on without it
                self.transferred.remove(leg)
                if leg.dialog is not None:
                    leg.dialog.terminate()
                self.manager.unregister(leg)
            elif method == "BYE":
                ctx.respond(200)
                await self.hangup("answered", "caller" if leg is self.a else "callee", skip=leg)
            elif method in ("INVITE", "UPDATE"):
                await self._offer_answer(leg, ctx)
            elif method == "INFO":
                await self._forward(leg, ctx)
            elif method == "REFER":
                from .transfer import Transfer
                await Transfer(self, leg, ctx).run()
            else:
                ctx.respond(200)
        except MediaError as exc:
            log.error("call %s: media relay failed: %s", self.id, exc)
            if is_open(ctx):
                ctx.respond(500, "Media Relay Failed")
        finally:
            await self._late_cleanup()

    def on_ack(self, leg: Leg, sdp: bytes | None) -> None:
        if leg is self.a:
            self.acked.set()
        if sdp is not None and leg.sdp_in is None and self.media is not None:
            other = self.other(leg)
            if other is not None:
                leg.sdp_in = sdp
                self.manager.spawn(self._late_answer(sdp, leg, other))

    async def _late_answer(self, sdp: bytes, leg: Leg, other: Leg) -> None:
        """The late offerer's answer (in its ACK) goes to rtpengine; if that fails the
        call has no media toward it, so it ends rather than stays silent."""
        assert self.media is not None
        try:
            await self.media.late_answer(sdp, by=leg.tag, to=other.tag)
        except (MediaError, ValueError) as exc:
            log.error("call %s: the SDP in the ACK was not taken: %s", self.id, exc)
            await self.hangup("failed", "sbc")

    async def _offer_answer(self, leg: Leg, ctx: RequestContext) -> None:
        request = ctx.request
        manager = self.manager
        timer_headers, timer = uas_answer(request, manager.timer_settings)
        if timer is not None:
            leg.timer = timer
        sdp = sdp_body(request)
        contact = ("Contact", str(manager.sig.contact(leg.transport, leg.contact_user)))
        if sdp is None or origin(sdp) == origin(leg.sdp_in):
            # A session refresh: answer here, with the SDP this side already has.
            leg.refreshed = self.loop_now
            # A re-INVITE must get an SDP back (an answer, or the offer to one without SDP);
            # an UPDATE only when it carried one.
            body = leg.sdp_out if request.method == "INVITE" or sdp is not None else None
            ctx.respond(200, headers=[contact, *timer_headers,
                                      *([("Content-Type", SDP)] if body else [])],
                        body=body or b"")
            return
        other = self.other(leg)
        if self.busy or other is None or other.dialog is None or self.media is None:
            ctx.respond(491)
            return
        self.busy = True
        try:
            offer = await self.media.offer(sdp, by=leg.tag, to=other.tag)
            if self._answer_here(leg, other, offer):
                # ICE only (a restart to a media processor, the final candidates after
                # forking): the other side's SDP would not change, so it never hears of it
                assert other.sdp_in is not None
                back = await self.media.answer(other.sdp_in, by=other.tag, to=leg.tag)
                leg.sdp_in, leg.sdp_out = sdp, back
                leg.refreshed = self.loop_now
                ctx.respond(200, headers=[contact, *timer_headers, ("Content-Type", SDP)],
                            body=back)
                return
            response = await self.send_in_dialog(other, request.method, body=offer)
            if response is None:
                ctx.respond(500, "Peer Did Not Answer")
                return
            if not 200 <= response.status < 300:
                ctx.respond(response.status, response.reason)
                return
            answer = sdp_body(response)
            if answer is None:
                ctx.respond(488)
                return
            back = await self.media.answer(answer, by=other.tag, to=leg.tag)
            leg.sdp_in, leg.sdp_out = sdp, back
            other.sdp_out, other.sdp_in = offer, answer
            leg.refreshed = other.refreshed = self.loop_now
            ctx.respond(200, headers=[contact, *timer_headers, ("Content-Type", SDP)], body=back)
        finally:
            self.busy = False

    def _answer_here(self, leg: Leg, other: Leg, offer: bytes) -> bool:
        """A new offer from a media-bypass leg whose rewritten SDP is what the other side
        already has (rtpengine keeps ports and keys): answered with that side's last SDP."""
        assert self.media is not None
        profile = self.media.profiles.get(leg.tag)
        return (profile is not None and profile.ice_lite and other.sdp_in is not None
                and offer == other.sdp_out)

    async def _forward(self, leg: Leg, ctx: RequestContext) -> None:
        other = self.other(leg)
        if other is None or other.dialog is None:
            ctx.respond(481)
            return
        request = ctx.request
        ctype = request.headers.get("Content-Type")
        response = await self.send_in_dialog(
            other, request.method, body=request.body or None, content_type=ctype)
        if response is None:
            ctx.respond(408)
        else:
            ctx.respond(response.status, response.reason)

    async def send_in_dialog(
        self, leg: Leg, method: str, *, body: bytes | None = None,
        content_type: str | None = SDP, headers: Iterable[tuple[str, str]] = (),
        timeout: float = 32.0,
    ) -> Response | None:
        """A request inside `leg`'s dialog; the final response, or None on failure.
        A 2xx to a re-INVITE is ACKed here."""
        sig = self.manager.sig
        dialog = leg.dialog
        if dialog is None or dialog.state is DialogState.TERMINATED:
            return None
        request = dialog.create_request(
            method, sig.via(leg.transport),
            headers=[*headers, *leg.conn.headers],
            body=body or b"", content_type=content_type if body else None,
        )
        peer = await sig.peer_for_dialog(dialog, leg.transport, leg.peer)
        outcome = await sig.request(request, peer, timeout)
        response = outcome.response
        if response is None:
            log.info("call %s: %s to %s failed: %s", self.id, method, leg.conn.name, outcome.error)
            return None
        dialog.receive_response(request, response)
        if method == "INVITE" and 200 <= response.status < 300:
            sig.send_direct(dialog.create_ack(request, sig.via(leg.transport)), peer)
        return response

    async def replace(self, old: Leg, ctx: RequestContext, source: Connection) -> None:
        """An INVITE with Replaces for `old`: the new dialog takes its place (media
        relinked in rtpengine), `old` gets BYE. The other party sees no change."""
        other = self.other(old)
        sdp = sdp_body(ctx.request)
        if (not self.phase.answered or other is None or self.media is None or sdp is None
                or self.busy):
            ctx.respond(488 if sdp is None else 491)
            return
        self.busy = True
        try:
            tag = self.next_tag()
            leg = Leg(tag, source, ctx.source.transport, ctx.source, number=old.number,
                      withheld=old.withheld, contact_user=old.contact_user)
            self.media.profiles[tag] = self.manager.profile(source)
            await self.media.offer(sdp, by=tag, to=other.tag)
            answer = await self.media.answer(other.sdp_in or b"", by=other.tag, to=tag)
            leg.sdp_in, leg.sdp_out = sdp, answer
            timer_headers, leg.timer = uas_answer(ctx.request, self.manager.timer_settings)
            leg.refreshed = self.loop_now
            contact = self.manager.sig.contact(leg.transport, leg.contact_user)
            response = ctx.response(200, headers=[
                ("Contact", str(contact)), ("Allow", ", ".join(ALLOW)), *timer_headers,
                ("Content-Type", SDP)], body=answer)
            self.manager.sig.engine.respond(ctx.transaction, response)
            leg.dialog = Dialog.from_uas(ctx.request, response, contact)
            leg.dialog.state = DialogState.CONFIRMED
            leg.peer = await self.manager.sig.peer_for_dialog(leg.dialog, leg.transport,
                                                              leg.peer)
            self.put_in_place(old, leg)
            self.manager.unregister(old)
            self.record.attempts.append(f"replaced by a new {source.name} dialog")
        finally:
            self.busy = False
        await self._bye(old)

    # -- refreshes and the end ------------------------------------------------------------------

    async def refresh(self, leg: Leg) -> None:
        """We are the refresher on `leg`: UPDATE without SDP if it allows UPDATE, else a
        re-INVITE with the SDP it already has (RFC 4028 §9)."""
        leg.refreshed = self.loop_now  # also when it fails: expiry will end the call
        if "UPDATE" in leg.peer_allows:
            response = await self.send_in_dialog(leg, "UPDATE", body=None,
                                                  headers=self._timer_headers(leg))
        else:
            response = await self.send_in_dialog(leg, "INVITE", body=leg.sdp_out,
                                                  headers=self._timer_headers(leg))
        if response is not None and response.status == 481:
            await self.hangup("session-expired", "sbc")

    def _timer_headers(self, leg: Leg) -> list[tuple[str, str]]:
        if leg.timer is None:
            return []
        return [("Session-Expires", f"{leg.timer.interval};refresher=uac"), ("Supported", "timer")]

    async def _bye(self, leg: Leg) -> None:
        if leg.dialog is None or leg.dialog.state is DialogState.TERMINATED:
            return
        try:
            await self.send_in_dialog(leg, "BYE", body=None, timeout=8.0)
        except Exception:
            log.exception("call %s: BYE to %s failed", self.id, leg.conn.name)
        if leg.dialog is not None:
            leg.dialog.terminate()

    async def hangup(self, cause: str, ended_by: str, *, skip: Leg | None = None) -> None:
        """End an answered call: BYE to every leg but `skip` (which hung up), cleanup."""
        if self.ended:
            return
        if skip is not None and skip.dialog is not None:
            skip.dialog.terminate()
        if cause != "answered":
            self.record.cause = cause
        byes = [self._bye(leg) for leg in self.legs.values() if leg is not skip]
        self.ended = True
        await asyncio.gather(*byes)
        await self._finish(ended_by)

    async def _finish(self, ended_by: str) -> None:
        """Delete the media session, forget the dialogs, write the CDR (once)."""
        if self.record.ended is not None:
            return
        self.ended = True
        self.phase.to(Phase.ENDED)
        self.record.ended = time.time()
        self.record.ended_by = self.record.ended_by or ended_by
        if self.media is not None:
            try:
                await self.media.delete()
            except Exception:
                log.exception("call %s: could not delete its media session", self.id)
        self.manager.finished(self)
