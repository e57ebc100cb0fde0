"""`Call`: one call through the SBC, from the INVITE that came in to the last BYE.

Setup: route (sbc.routing), ask rtpengine for the other side's SDP, then try the
targets in order (`InviteAttempt`): 18x and 2xx go back to the caller with SDP from
rtpengine; 408/503/504, a transport failure or no provisional answer within
`calls.failover_timeout` move on to the next target; any other final answer (603
above all) goes back to the caller and ends the call: no retry, no failover.

Established: BYE from one side is answered and sent to the other; a re-INVITE or
UPDATE with a new SDP goes to the other side through rtpengine (hold, resume); one
without SDP, or with the SDP unchanged, is a session refresh answered here. REFER is
handled by `transfer.Transfer`. Every end (BYE, error, no RTP, session expiry, SBC
stop) deletes the rtpengine session and writes one CDR.

Emergency calls (110, 112; `routing.emergency`) try every target, also those backing
off, present the trunk's number (`routing.addressing`), are logged at WARNING with what
became of the caller's location (`location`: passed on or dropped per target profile),
and carry ``emergency=`` and ``location=`` in their CDR.
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
from ..resolve import ResolveError
from ..routing import (
    RouteDecision,
    RouteError,
    Verdict,
    addressing,
    call_parties,
    decide,
)
from ..routing import retry_after as retry_after_of
from ..routing import verdict as verdict_of
from ..sip import Response, SipPeerError, SipUri, State
from ..sip.dialog import Dialog, DialogState
from .attempt import Failure, InviteAttempt, final_outcome
from .cdr import CallRecord
from .leg import Leg, allows
from .location import NO_LOCATION, Conveyed, Location, conveyed, location_of
from .presented import callee_contact_user, marked
from .sdp import SDP, origin, sdp_body
from .timers import uac_timer, uas_answer, uas_too_small

if TYPE_CHECKING:
    from .manager import CallManager

log = logging.getLogger(__name__)

NEXT, DONE = "next", "done"


def _final_for_caller(status: int) -> int:
    """What the caller hears when a target refuses: the same answer, except those
    that mean nothing to the caller (our credentials refused, redirects, 422)."""
    if status in (401, 407):
        return 403
    if 300 <= status < 400:
        return 480
    if status == 422:
        return 500
    return status


def _open(ctx: RequestContext) -> bool:
    """The request still waits for its final answer."""
    return ctx.transaction.state in (State.TRYING, State.PROCEEDING)


class Call:
    def __init__(self, manager: CallManager, ctx: RequestContext, source: Connection) -> None:
        self.manager = manager
        self.ctx = ctx
        self.id = manager.new_id()
        request = ctx.request
        self.a = Leg("a", source, ctx.source.transport, ctx.source)
        self.b: Leg | None = None
        self.legs: dict[str, Leg] = {"a": self.a}
        self.media: MediaSession | None = None
        self.attempt: InviteAttempt | None = None
        self.decision: RouteDecision | None = None
        self.record = CallRecord(
            call_id=self.id, started=time.time(), answered=None, ended=None,
            source=source.name, target=None, route=None, calling=None,
            called=request.uri.user if isinstance(request.uri, SipUri) and request.uri.user
            else str(request.uri),
            status=None, cause="failed", ended_by=None, attempts=[],
        )
        self.state = "routing"
        self.cancelled = False
        self.ended = False
        self.answered_at: float | None = None  # loop time
        self.acked = asyncio.Event()
        self.busy = False  # an offer/answer exchange is under way (re-INVITE glare: 491)
        self.last_failure: int | None = None
        self.transferred: list[Leg] = []  # legs replaced by a transfer, until their BYE
        self.location: Location = NO_LOCATION  # the caller's, as it came (emergency calls)
        self._tags = 0  # media tags handed out beyond "a" and "b" (next_tag)

    # -- helpers --------------------------------------------------------------------------

    @property
    def loop_now(self) -> float:
        return asyncio.get_running_loop().time()

    def other(self, leg: Leg) -> Leg | None:
        if leg is self.a:
            return self.b
        return self.a

    def respond_a(self, status: int, reason: str | None = None, *,
                  headers: Iterable[tuple[str, str]] = (), body: bytes | None = None) -> Response:
        extra = list(headers)
        if 100 < status < 300:
            # A dialog-creating answer echoes the Record-Route set (RFC 3261 §12.1.1), so a
            # carrier's proxy that record-routed stays in the path of the caller's ACK/BYE.
            extra = [("Record-Route", value)
                     for value in self.ctx.request.headers.get_all("Record-Route")] + extra
        if body is not None:
            extra.append(("Content-Type", SDP))
        response = self.ctx.response(status, reason, headers=extra, body=body or b"")
        self.manager.sig.engine.respond(self.ctx.transaction, response)
        return response

    def _a_contact(self) -> tuple[str, str]:
        return ("Contact", str(self.manager.sig.contact(self.a.transport, self.a.contact_user)))

    # -- setup ----------------------------------------------------------------------------

    async def run(self) -> None:
        try:
            await self._setup()
        except MediaError as exc:
            log.error("call %s: media relay failed: %s", self.id, exc)
            self.record.attempts.append(f"media: {exc}")
            await self._fail(503, "Media Relay Unavailable", "failed")
        except Exception:
            log.exception("call %s failed", self.id)
            await self._fail(500, None, "failed")
        finally:
            await self._late_cleanup()

    async def _late_cleanup(self) -> None:
        """The call ended (CANCEL, BYE) while an offer was on its way to rtpengine: that
        offer may have created the session again after it was deleted. Delete it once
        more (idempotent) so that nothing leaks."""
        if self.ended and self.media is not None:
            try:
                await self.media.delete()
            except Exception:
                log.exception("call %s: could not delete its media session", self.id)

    async def _setup(self) -> None:
        manager = self.manager
        request = self.ctx.request
        settings = manager.timer_settings
        min_se = uas_too_small(request, settings)
        if min_se is not None:
            await self._fail(422, None, "failed", headers=[("Min-SE", str(min_se))])
            return
        try:
            party = call_parties(manager.config, request, self.a.conn)
            self.record.calling = party.calling
            self.record.called = party.called
            decision = decide(manager.config, self.a.conn, party)
        except RouteError as exc:
            log.info("call %s from %s: %s", self.id, self.a.conn.name, exc.reason)
            self.record.attempts.append(exc.reason)
            await self._fail(exc.status, None, "no-route")
            return
        self.decision = decision
        self.record.route = decision.route
        self.record.calling = decision.calling
        self.record.called = decision.called
        self.a.number = decision.calling
        self.a.withheld = decision.privacy
        self.a.contact_user = decision.called  # what the caller dialled (presented.py)
        self.location = location_of(request)
        if decision.emergency:
            self._emergency(decision)
        targets = manager.usable(decision.targets, emergency=decision.emergency)
        if not targets:
            names = ", ".join(t.name for t in decision.targets)
            self.record.attempts.append(f"no usable target ({names} down)")
            await self._fail(503, None, "unreachable")
            return
        self.a.sdp_in = sdp_body(request)
        self.a.peer_allows = allows(request.headers.get("Allow"))
        self.media = manager.relay.session(self.id, {"a": manager.profile(self.a.conn)})
        self.state = "trying"
        for target in targets:
            if self.cancelled or self.ended:
                return
            if await self._try(target, decision) == DONE:
                return
        if self.cancelled or self.ended:
            return
        status = self.last_failure if self.last_failure in (408, 504) else 503
        await self._fail(status, None, "unreachable")

    def _emergency(self, decision: RouteDecision) -> None:
        self.record.emergency = decision.called
        self.record.location = "none"
        found = self.location
        what = (f"location present ({', '.join([*found.types(), *dict(found.headers)])})"
                if found.present else "no location")
        log.warning("call %s: EMERGENCY call to %s from %s (caller %s%s): %s; targets %s",
                    self.id, decision.called, self.a.conn.name, decision.calling or "unknown",
                    ", withheld" if decision.privacy else "", what,
                    ", ".join(t.name for t in decision.targets))

    def _location_for(self, target: Connection, sdp: bytes | None,
                      decision: RouteDecision) -> Conveyed | None:
        """What of the caller's location goes to `target`, noted in the CDR."""
        out = conveyed(self.location, target, sdp)
        if decision.emergency:
            self.record.location = ("none" if not self.location.present
                                    else "passed" if out is not None else "dropped")
            log.warning("call %s: emergency call to %s goes to %s, location %s",
                        self.id, decision.called, target.name, self.record.location)
        return out

    async def _try(self, target: Connection, decision: RouteDecision) -> str:
        manager = self.manager
        sig = manager.sig
        assert self.media is not None
        leg = Leg("b", target, target.transport, self.a.peer, number=decision.called,
                  contact_user=callee_contact_user(target))
        self.media.profiles["b"] = manager.profile(target)
        try:
            peer = await sig.peer_for_connection(target)
        except ResolveError as exc:
            self.record.attempts.append(f"{target.name} DNS: {exc}")
            return NEXT
        leg.peer = peer
        sdp_b = await self.media.offer(self.a.sdp_in, by="a", to="b")
        leg.sdp_out = sdp_b
        where = addressing(target, decision, sig.fqdn)
        incoming_mf = self.ctx.request.max_forwards
        attempt = InviteAttempt(
            sig, target,
            uri=where.request_uri, from_addr=where.from_addr, to_addr=where.to_addr,
            headers=marked(where.headers, decision.privacy),
            contact=sig.contact(target.transport, leg.contact_user),
            sdp=sdp_b, timers=manager.timer_settings,
            max_forwards=max(1, min(70, (incoming_mf if incoming_mf is not None else 70) - 1)),
            location=self._location_for(target, sdp_b, decision),
        )
        self.attempt = attempt
        self.b = leg
        self.legs["b"] = leg
        attempt.send(peer)

        async def provisional(response: Response) -> None:
            await self._provisional(leg, attempt, response)

        event = await final_outcome(attempt, manager.failover_timeout,
                                    on_provisional=provisional,
                                    stopped=lambda: self.cancelled or self.ended)
        if attempt.location_refused:
            self.record.location = "refused"
            self.record.attempts.append(f"{target.name} 415 to the location")
        if event is None:
            self.record.attempts.append(
                f"{target.name} no answer in {manager.failover_timeout:g} s")
            return NEXT
        if isinstance(event, Failure):
            self.record.attempts.append(f"{target.name} {event.reason}")
            return DONE if self.cancelled else NEXT
        status = event.status
        if status < 300:
            if self.cancelled or self.ended:
                attempt.abandoned = True
                await attempt._ack_and_bye(event)
                return DONE
            await self._answered(leg, attempt, event)
            return DONE
        self.record.attempts.append(f"{target.name} {status}")
        if self.cancelled:
            return DONE
        if verdict_of(status, rang=attempt.provisional) is Verdict.NEXT:
            manager.backoff.note(target.name, retry_after_of(event), self.loop_now)
            self.last_failure = status
            return NEXT
        cause = {603: "declined", 486: "busy", 600: "busy"}.get(status, "failed")
        await self._fail(_final_for_caller(status), event.reason, cause, target=target)
        return DONE

    async def _provisional(self, leg: Leg, attempt: InviteAttempt, response: Response) -> None:
        assert self.media is not None and attempt.request is not None
        if response.to_addr.tag and leg.dialog is None:
            try:
                leg.dialog = Dialog.from_uac(attempt.request, response, attempt.contact)
            except SipPeerError as err:  # an early dialog is not needed: pass the 18x on
                log.info("call %s: no early dialog with %s: %s", self.id, leg.conn.name,
                         err.reason)
        self.state = "early"
        sdp = sdp_body(response)
        headers = [self._a_contact(), ("Allow", ", ".join(ALLOW))]
        if sdp is not None and self.a.sdp_in is not None:
            leg.sdp_in = sdp
            self.a.sdp_out = await self.media.answer(sdp, by="b", to="a")
            if not self.cancelled and not self.ended:
                self.respond_a(response.status, response.reason, headers=headers,
                               body=self.a.sdp_out)
            return
        status = 180 if response.status == 183 else response.status
        self.respond_a(status, None if status != response.status else response.reason,
                       headers=headers)

    async def _answered(self, leg: Leg, attempt: InviteAttempt, response: Response) -> None:
        manager = self.manager
        sig = manager.sig
        assert self.media is not None
        await self.confirm(leg, attempt, response)
        self.record.target = leg.conn.name
        self.record.attempts.append(f"{leg.conn.name} {response.status}")
        sdp_b = sdp_body(response)
        if sdp_b is None:
            sdp_b = leg.sdp_in  # the answer came in a reliable 18x already
        if sdp_b is None:
            raise MediaError(f"{leg.conn.name} answered without SDP")
        leg.sdp_in = sdp_b
        try:
            sdp_a = await self.media.answer(sdp_b, by="b", to="a")
        except MediaError:
            await self._bye(leg)
            raise
        self.a.sdp_out = sdp_a
        timer_headers, self.a.timer = uas_answer(self.ctx.request, manager.timer_settings)
        self.a.refreshed = self.loop_now
        headers = [self._a_contact(), ("Allow", ", ".join(ALLOW)), ("Supported", "timer"),
                   *timer_headers]
        if self.cancelled or self.ended:
            await self._bye(leg)
            return
        response_a = self.respond_a(200, None, headers=headers, body=sdp_a)
        self.a.dialog = Dialog.from_uas(
            self.ctx.request, response_a,
            manager.sig.contact(self.a.transport, self.a.contact_user))
        self.a.dialog.state = DialogState.CONFIRMED
        self.a.peer = await sig.peer_for_dialog(self.a.dialog, self.a.transport, self.a.peer)
        self.state = "answered"
        self.answered_at = self.loop_now
        self.record.answered = time.time()
        self.record.status = 200
        self.record.cause = "answered"
        manager.register(self, self.a)
        manager.register(self, leg)
        manager.counters.call_answered()
        if not self.ctx.source.reliable:
            manager.spawn(self._repeat_200(response_a))

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

    async def _repeat_200(self, response: Response) -> None:
        """Our 2xx over UDP goes again at T1, 2*T1, ... (max T2) until the ACK (§13.3.1.4);
        no ACK within 64*T1 ends the call."""
        timers = self.manager.sig.engine.layer.config
        deadline = 64 * timers.t1  # = the server transaction's Timer L
        interval, waited = timers.t1, 0.0
        while not self.ended:
            wait = min(interval, deadline - waited)
            if wait <= 0:
                break
            try:
                await asyncio.wait_for(self.acked.wait(), wait)
                return
            except TimeoutError:
                waited += wait
            if waited >= deadline or self.ctx.transaction.terminated:
                break
            self.manager.sig.engine.respond(self.ctx.transaction, response)
            interval = min(2 * interval, timers.t2)
        if not self.acked.is_set() and not self.ended:
            log.info("call %s: no ACK for our 200; ending it", self.id)
            await self.hangup("failed", "sbc")

    async def _fail(self, status: int, reason: str | None, cause: str, *,
                    headers: Iterable[tuple[str, str]] = (),
                    target: Connection | None = None) -> None:
        """End a call that never got answered: final answer to the caller, cleanup."""
        if not self.cancelled and not self.ended and _open(self.ctx):
            self.respond_a(status, reason, headers=headers)
        self.record.status = status
        self.record.cause = cause
        if target is not None:
            self.record.target = target.name
        await self._finish("sbc" if cause != "declined" else "callee")

    # -- the caller gives up ----------------------------------------------------------------

    def cancel(self) -> None:
        """CANCEL from the caller (the core answered it 200): 487, and CANCEL onward."""
        if self.cancelled or self.state == "answered":
            return
        self.cancelled = True
        self.respond_a(487)
        self.record.status = 487
        self.record.cause = "cancelled"
        if self.attempt is not None:
            self.attempt.cancel()
        self.manager.spawn(self._finish("caller"))

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
            if _open(ctx):
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
            response = await self._send_in_dialog(other, request.method, body=offer)
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
        response = await self._send_in_dialog(
            other, request.method, body=request.body or None, content_type=ctype)
        if response is None:
            ctx.respond(408)
        else:
            ctx.respond(response.status, response.reason)

    async def _send_in_dialog(
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
        if (self.state != "answered" or other is None or self.media is None or sdp is None
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
            response = await self._send_in_dialog(leg, "UPDATE", body=None,
                                                  headers=self._timer_headers(leg))
        else:
            response = await self._send_in_dialog(leg, "INVITE", body=leg.sdp_out,
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
            await self._send_in_dialog(leg, "BYE", body=None, timeout=8.0)
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
        self.state = "ended"
        self.record.ended = time.time()
        self.record.ended_by = self.record.ended_by or ended_by
        if self.media is not None:
            try:
                await self.media.delete()
            except Exception:
                log.exception("call %s: could not delete its media session", self.id)
        self.manager.finished(self)

    def status(self) -> dict[str, object]:
        return {
            "id": self.id,
            "state": self.state,
            "route": self.record.route,
            "calling": self.record.calling,
            "called": self.record.called,
            "started": self.record.started,
            "answered": self.record.answered,
            "legs": [leg.status() for leg in self.legs.values()],
        }
