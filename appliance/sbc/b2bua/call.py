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
from ..sip import Response, SipPeerError, SipUri
from ..sip.dialog import Dialog, DialogState
from .attempt import Failure, InviteAttempt, final_outcome
from .cdr import CallRecord
from .established import EstablishedCall, is_open
from .leg import Leg, allows
from .location import NO_LOCATION, Conveyed, Location, conveyed, location_of
from .presented import callee_contact_user, marked
from .sdp import SDP, sdp_body
from .state import AnswerRetransmit, CallPhase, Phase, Resend
from .timers import uas_answer, uas_too_small

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


class Call(EstablishedCall):
    """Set-up: the INVITE that came in, routing, the attempts toward each target and
    failover, until one answers (then `EstablishedCall` takes the dialog) or all fail."""

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
        self.phase = CallPhase()
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
        self.phase.to(Phase.TRYING)
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
        self.phase.to(Phase.EARLY)
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
        self.phase.to(Phase.ANSWERED)
        self.answered_at = self.loop_now
        self.record.answered = time.time()
        self.record.status = 200
        self.record.cause = "answered"
        manager.register(self, self.a)
        manager.register(self, leg)
        manager.counters.call_answered()
        if not self.ctx.source.reliable:
            manager.spawn(self._repeat_200(response_a))

    async def _repeat_200(self, response: Response) -> None:
        """Our 2xx over UDP goes again until the ACK (`AnswerRetransmit`, RFC 3261
        §13.3.1.4); no ACK within 64*T1 ends the call."""
        timers = self.manager.sig.engine.layer.config
        resend = AnswerRetransmit.start(self.loop_now, t1=timers.t1, t2=timers.t2)
        while not self.ended and (due := resend.next_at()) is not None:
            try:
                await asyncio.wait_for(self.acked.wait(), max(0.0, due - self.loop_now))
                resend.ack()
                return
            except TimeoutError:
                pass
            step = resend.handle_timer(self.loop_now)
            if step is Resend.GIVE_UP or self.ctx.transaction.terminated:
                break
            if step is Resend.RESEND:
                self.manager.sig.engine.respond(self.ctx.transaction, response)
        if not self.acked.is_set() and not self.ended:
            log.info("call %s: no ACK for our 200; ending it", self.id)
            await self.hangup("failed", "sbc")

    async def _fail(self, status: int, reason: str | None, cause: str, *,
                    headers: Iterable[tuple[str, str]] = (),
                    target: Connection | None = None) -> None:
        """End a call that never got answered: final answer to the caller, cleanup."""
        if not self.cancelled and not self.ended and is_open(self.ctx):
            self.respond_a(status, reason, headers=headers)
        self.record.status = status
        self.record.cause = cause
        if target is not None:
            self.record.target = target.name
        await self._finish("sbc" if cause != "declined" else "callee")

    # -- the caller gives up ----------------------------------------------------------------

    def cancel(self) -> None:
        """CANCEL from the caller (the core answered it 200): 487, and CANCEL onward."""
        if self.cancelled or self.phase.answered:
            return
        self.cancelled = True
        self.respond_a(487)
        self.record.status = 487
        self.record.cause = "cancelled"
        if self.attempt is not None:
            self.attempt.cancel()
        self.manager.spawn(self._finish("caller"))

    def _bypass(self, leg: Leg) -> bool:
        """The leg's media comes straight from a Teams client (or a media processor) over
        ICE: media bypass."""
        profile = self.media.profiles.get(leg.tag) if self.media is not None else None
        return profile is not None and profile.ice_lite

    def status(self) -> dict[str, object]:
        return {
            "id": self.id,
            "state": str(self.phase),
            "route": self.record.route,
            "calling": self.record.calling,
            "called": self.record.called,
            "started": self.record.started,
            "answered": self.record.answered,
            "legs": [{**leg.status(), "bypass": self._bypass(leg)} for leg in self.legs.values()],
        }
