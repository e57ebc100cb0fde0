"""REFER from a leg (Teams): the SBC is the transferee and places the new call itself.

Teams hands a transfer to an SBC that lists REFER in Allow and expects it to call the
Refer-To target (RFC 3515): 202, NOTIFY "100 Trying", an INVITE to the target, then
NOTIFY with the outcome. On success the new leg takes the referrer's place in the call;
the referrer's BYE then ends only its own leg. On failure the call stays as it was.

A phone number goes where the routing rules send it, as if the referring side had
dialled it. A Teams user (x-m/x-t parameters, usually no user part at all:
``<sip:sip.pstnhub.microsoft.com;user=phone;x-m=...;x-t=...>``) goes back to the Teams
group the way Microsoft's Direct Routing SIP document describes: Request-URI and To are
the Refer-To URI as given (never an ``@`` with an empty user, RFC 3261 §25.1), the
REFER's Referred-By is passed on, and the caller of the new call is the party being
transferred (the PSTN side that stays), withheld if it withheld its number.

The transferee keeps its media: rtpengine now relays its stream to the new leg, so it
gets no re-INVITE (a codec the new side lacks would need one: not done yet).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..config import Connection
from ..core.router import RequestContext
from ..resolve import ResolveError
from ..routing import (
    CallParty,
    RouteDecision,
    RouteError,
    Verdict,
    addressing,
    decide,
)
from ..routing import verdict as verdict_of
from ..sip import Address, SipPeerError, SipUri
from .attempt import Failure, InviteAttempt, final_outcome
from .leg import Leg
from .presented import callee_contact_user, marked, referred_by
from .refer import ReferTarget, accept_headers, notify_headers, refer_sub_wanted, refer_target
from .refer import sipfrag as sipfrag_of
from .sdp import sdp_body

if TYPE_CHECKING:
    from .established import EstablishedCall

log = logging.getLogger(__name__)

SIPFRAG = "message/sipfrag;version=2.0"


class Transfer:
    def __init__(self, call: EstablishedCall, referrer: Leg, ctx: RequestContext) -> None:
        self.call = call
        self.referrer = referrer
        self.ctx = ctx
        self.notify = refer_sub_wanted(ctx.request)
        self.event_id = ctx.request.cseq.number

    async def run(self) -> None:
        call, ctx = self.call, self.ctx
        try:
            target = refer_target(ctx.request)
        except SipPeerError as err:
            ctx.reject(err)
            return
        stay = call.other(self.referrer)
        if target.replaces is not None:
            ctx.respond(501, "Attended Transfer Not Supported")
            return
        if stay is None or not stay.confirmed or call.busy or call.media is None:
            ctx.respond(491 if call.busy else 481)
            return
        call.busy = True
        try:
            ctx.respond(202, headers=accept_headers(ctx.request))
            await self._notify(100, "Trying", terminated=False)
            status, reason = await self._place(target, stay)
        except Exception:
            log.exception("call %s: transfer failed", call.id)
            status, reason = 500, "Server Internal Error"
        finally:
            call.busy = False
        await self._notify(status, reason, terminated=True)

    async def _notify(self, status: int, reason: str | None, *, terminated: bool) -> None:
        if not self.notify:
            return
        headers = [(n, v) for n, v in notify_headers(terminated, event_id=self.event_id)
                   if n != "Content-Type"]
        await self.call.send_in_dialog(
            self.referrer, "NOTIFY", body=sipfrag_of(status, reason),
            content_type=SIPFRAG, headers=headers, timeout=8.0)

    def _decision(self, target: ReferTarget, stay: Leg) -> RouteDecision:
        call, referrer = self.call, self.referrer
        number = target.number or (target.uri.user or "")
        # Teams always names its own proxy as the host; only x-m/x-t (a Teams user's MRI
        # and tenant) make the target a Teams user rather than a phone number.
        if target.teams_params and referrer.conn.kind == "teams":
            group = call.manager.config.group(referrer.conn.group)
            return RouteDecision(route="transfer", called=number, calling=stay.number,
                                 privacy=stay.withheld, targets=group)
        # Toward a carrier the referrer stays the caller: a trunk number the carrier
        # accepts as the calling party, and never the transferred party's withheld one.
        party = CallParty(called=number, calling=referrer.number, privacy=False)
        return decide(call.manager.config, referrer.conn, party)

    async def _place(self, target: ReferTarget, stay: Leg) -> tuple[int, str | None]:
        call = self.call
        manager = call.manager
        try:
            decision = self._decision(target, stay)
        except RouteError as exc:
            log.info("call %s: transfer to %s: %s", call.id, target.uri, exc.reason)
            return exc.status or 404, None
        tag = call.next_tag()
        last = 503
        for conn in manager.usable(decision.targets):
            outcome = await self._try(conn, decision, target, stay, tag)
            if isinstance(outcome, Leg):
                self._swap(outcome, stay)
                return 200, "OK"
            last = outcome
            if verdict_of(outcome) is not Verdict.NEXT:
                break
        await self._restore(stay)
        return last, None

    async def _try(self, conn: Connection, decision: RouteDecision, target: ReferTarget,
                   stay: Leg, tag: str) -> Leg | int:
        call = self.call
        manager = call.manager
        sig = manager.sig
        assert call.media is not None
        try:
            peer = await sig.peer_for_connection(conn)
        except ResolveError:
            return 503
        call.media.profiles[tag] = manager.profile(conn)
        offer = await call.media.offer(stay.sdp_in, by=stay.tag, to=tag)
        where = addressing(conn, decision, sig.fqdn)
        uri, to_addr = where.request_uri, where.to_addr
        if decision.route == "transfer":
            uri = teams_target(target)
            to_addr = Address(uri.copy())
        contact_user = callee_contact_user(conn)
        headers = (*marked(where.headers, decision.privacy),
                   *referred_by(self.ctx.request, conn))
        attempt = InviteAttempt(
            sig, conn, uri=uri, from_addr=where.from_addr, to_addr=to_addr,
            headers=headers, contact=sig.contact(conn.transport, contact_user),
            sdp=offer, timers=manager.timer_settings, max_forwards=70,
        )
        attempt.send(peer)
        leg = Leg(tag, conn, conn.transport, peer, number=decision.called or None,
                  sdp_out=offer, contact_user=contact_user)
        event = await final_outcome(attempt, manager.failover_timeout)
        if event is None:
            return 408
        if isinstance(event, Failure):
            return 503
        if event.status >= 300:
            return event.status
        await call.confirm(leg, attempt, event)
        leg.sdp_in = sdp_body(event)
        if leg.sdp_in is not None:
            stay.sdp_out = await call.media.answer(leg.sdp_in, by=tag, to=stay.tag)
        return leg

    def _swap(self, new: Leg, stay: Leg) -> None:
        """The new leg takes the referrer's place; the referrer's dialog stays known
        so that its BYE is answered, but it no longer ends the call."""
        call = self.call
        old = self.referrer
        call.put_in_place(old, new)
        call.transferred.append(old)
        call.record.attempts.append(f"transferred to {new.conn.name} {new.number or ''}".strip())
        call.record.target = new.conn.name

    async def _restore(self, stay: Leg) -> None:
        """The transfer failed: link the media of the two original legs again."""
        call, old = self.call, self.referrer
        assert call.media is not None
        if stay.sdp_in is None or old.sdp_in is None:
            return
        await call.media.offer(stay.sdp_in, by=stay.tag, to=old.tag)
        await call.media.answer(old.sdp_in, by=old.tag, to=stay.tag)


def teams_target(target: ReferTarget) -> SipUri:
    """Request-URI (and To) for a Teams user: the Refer-To URI as given, user part,
    user=phone and x- parameters included; only embedded headers (?Replaces=...) are
    left out, which a Request-URI may not hold (RFC 3261 §19.1.1) and which the transfer
    handles itself. The connection's own host, port and transport decide where the
    INVITE goes, not this URI."""
    return target.uri.copy(headers={})
