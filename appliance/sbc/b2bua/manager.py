"""`CallManager`: the B2BUA as the engine sees it, and the calls as `sbc status` sees them.

It takes INVITE, BYE, UPDATE, INFO, REFER and NOTIFY from the router, CANCEL through
the router's cancel hook and ACKs for 2xx through its stray hook; finds the call of an
in-dialog request by its dialog (481 if none); refuses new calls over `max_calls` with
503, except emergency calls (110, 112: `routing.emergency`), which no limit refuses;
and runs one ticker for session timers and the media watchdog (no RTP for
`media.no_rtp_timeout` seconds ends the call with BYE both ways).

At start it deletes rtpengine sessions left by an earlier run (no dialog survives a
restart, so their media would leak); at stop it ends every call with BYE.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from ..config import Config, Connection
from ..core.router import RequestContext, Router
from ..logs import EventLog, Severity
from ..logs.events import MsgId
from ..media import LegProfile, MediaError, MediaRelay
from ..resolve import SipResolver
from ..routing import Backoff, country_codes, dialled, emergency_numbers
from ..sip import Request, Response, ServerTransaction
from ..sip.dialog import DialogId
from ..transport import Peer
from .call import Call
from .cdr import CallCounters, cdr_line
from .established import EstablishedCall
from .leg import Leg
from .refer import parse_replaces
from .sdp import inactive, sdp_body
from .signalling import Signalling
from .state import SessionStep, session_step
from .timers import TimerSettings

log = logging.getLogger(__name__)
cdr_log = logging.getLogger("sbc.cdr")

IN_DIALOG = ("BYE", "UPDATE", "INFO", "REFER", "NOTIFY")
TICK = 1.0  # seconds between session timer checks
MAX_LISTED = 200  # active calls written to the status file


class CallManager:
    def __init__(
        self,
        sig: Signalling,
        relay: MediaRelay,
        config: Config,
        *,
        healthy: Callable[[str], bool] = lambda name: True,
        events: Callable[[], EventLog | None] = lambda: None,
    ) -> None:
        self.sig = sig
        self.relay = relay
        self.config = config
        self.healthy = healthy
        self.events = events
        self.calls: dict[str, Call] = {}
        self.by_invite: dict[ServerTransaction, Call] = {}
        self.dialogs: dict[DialogId, tuple[EstablishedCall, Leg]] = {}
        self.counters = CallCounters()
        self.backoff = Backoff()
        self._tasks: set[asyncio.Task[None]] = set()
        self._ticker: asyncio.Task[None] | None = None
        self._last_watch = 0.0

    # -- settings from the config ---------------------------------------------------------

    def reconfigure(self, config: Config, *, resolver: SipResolver | None = None,
                    rtpengine: tuple[str, int] | None = None) -> None:
        """A reload: new calls use the new config, resolver and rtpengine; calls under way
        keep the media client (and the rtpengine) their sessions were made with."""
        self.config = config
        if resolver is not None:
            self.sig.reconfigure(resolver)
        if rtpengine is not None and rtpengine != (self.relay.host, self.relay.port):
            host, port = rtpengine
            self.relay = MediaRelay(host, port)
            log.info("media relay is now rtpengine at %s:%d for new calls", host, port)

    @property
    def timer_settings(self) -> TimerSettings:
        calls = self.config.calls
        return TimerSettings(calls.session_expires, calls.min_se)

    @property
    def failover_timeout(self) -> float:
        return float(self.config.calls.failover_timeout)

    def profile(self, conn: Connection) -> LegProfile:
        """How `conn` wants its media. Teams with media bypass keeps its ICE and gets
        rtpengine as an ICE-lite peer (docs/media-bypass.md); everyone else sees no ICE."""
        teams = conn.kind == "teams"
        bypass = teams and conn.media_bypass
        return LegProfile(
            srtp=teams or conn.srtp,
            rtcp_mux=teams,
            strip_ice=not bypass,
            ice_lite=bypass,
            media_address=str(self.config.sbc.public_ip),
        )

    def usable(self, targets: Sequence[Connection], *,
               emergency: bool = False) -> tuple[Connection, ...]:
        """The targets to try in order; for an emergency call also those backing off or
        failing OPTIONS, after the others: a chance to get through beats a sure 503."""
        now = asyncio.get_running_loop().time()
        usable = self.backoff.usable(targets, now, self.healthy)
        if not emergency:
            return usable
        return usable + tuple(t for t in targets if t not in usable)

    def new_id(self) -> str:
        return self.sig.engine.random(8).hex()

    # -- the router's side ----------------------------------------------------------------

    def install(self, router: Router) -> None:
        router.add("INVITE", self.on_invite)
        for method in IN_DIALOG:
            router.add(method, self.on_in_dialog)
        router.on_cancel = self.on_cancel
        router.on_stray = self.on_stray

    def on_invite(self, ctx: RequestContext) -> None:
        if ctx.request.to_addr.tag is not None:
            self.on_in_dialog(ctx)
            return
        source = ctx.connection
        if source is None:
            ctx.respond(403)
            return
        emergency = dialled(ctx.request.uri, emergency_numbers(self.config, source),
                            country_codes(self.config))
        if emergency is not None and len(self.calls) >= self.config.calls.max_calls:
            log.warning("emergency call to %s from %s taken over calls.max_calls (%d active)",
                        emergency, source.name, len(self.calls))
        elif len(self.calls) >= self.config.calls.max_calls:
            log.warning("refused a call from %s: %d calls active (calls.max_calls)",
                        source.name, len(self.calls))
            self.counters.started()
            self.counters.active -= 1
            self.counters.failed["busy-sbc"] = self.counters.failed.get("busy-sbc", 0) + 1
            ctx.respond(503, headers=[("Retry-After", "5")])
            return
        if ctx.request.headers.get("Replaces") is not None:
            self._replaces(ctx, source)
            return
        ctx.respond(100)
        call = Call(self, ctx, source)
        self.calls[call.id] = call
        self.by_invite[ctx.transaction] = call
        self.counters.started()
        self.spawn(call.run())

    def _replaces(self, ctx: RequestContext, source: Connection) -> None:
        """INVITE with Replaces (RFC 3891), e.g. Teams picking a parked call back up: the
        new dialog takes the place of the one it names."""
        replaces = parse_replaces(ctx.request.headers.get("Replaces") or "")  # 400: engine
        found = None
        for local, remote in ((replaces.to_tag, replaces.from_tag),
                              (replaces.from_tag, replaces.to_tag)):
            found = self.dialogs.get(DialogId(replaces.call_id, local, remote))
            if found is not None:
                break
        if found is None:
            ctx.respond(481)
            return
        call, leg = found
        ctx.respond(100)
        self.spawn(call.replace(leg, ctx, source))

    def on_in_dialog(self, ctx: RequestContext) -> None:
        request = ctx.request
        found = self.dialogs.get(DialogId.of_request(request))
        if found is None:
            ctx.respond(481)
            return
        call, leg = found
        assert leg.dialog is not None
        leg.dialog.receive_request(request)  # a CSeq out of order: 500, by the engine
        self.spawn(call.on_request(leg, ctx))

    def on_cancel(self, ctx: RequestContext, invite: ServerTransaction) -> None:
        call = self.by_invite.get(invite)
        if call is None:
            self.sig.engine.respond(invite, ctx.response(487))
            return
        call.cancel()

    def on_stray(self, message: Request | Response, source: Peer) -> None:
        if not isinstance(message, Request) or message.method != "ACK":
            return  # a 2xx retransmission after its transaction ended: nothing to do
        found = self.dialogs.get(DialogId.of_request(message))
        if found is None:
            return
        call, leg = found
        call.on_ack(leg, sdp_body(message))

    # -- bookkeeping ------------------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def register(self, call: EstablishedCall, leg: Leg) -> None:
        if leg.dialog is not None:
            self.dialogs[leg.dialog.id] = (call, leg)

    def unregister(self, leg: Leg) -> None:
        if leg.dialog is not None:
            self.dialogs.pop(leg.dialog.id, None)

    def finished(self, call: EstablishedCall) -> None:
        """The call is over: forget it, count it, write its CDR."""
        self.calls.pop(call.id, None)
        self.by_invite.pop(call.ctx.transaction, None)
        for leg in [*call.legs.values(), *call.transferred]:
            self.unregister(leg)
        self.counters.ended(call.record)
        line = cdr_line(call.record)
        cdr_log.debug("%s", line)
        events = self.events()
        if events is not None:
            events.emit(Severity.INFO, MsgId.CDR, line)
        else:
            cdr_log.info("%s", line)

    # -- start, stop, ticker ----------------------------------------------------------------

    async def start(self) -> None:
        try:
            removed = await self.relay.cleanup()
        except MediaError as exc:
            log.warning("rtpengine not reachable at start (%s); calls will fail until it is",
                        exc)
        else:
            if removed:
                log.info("deleted %d media session(s) left by an earlier run", removed)
        self._ticker = asyncio.get_running_loop().create_task(self._tick())

    async def stop(self, timeout: float = 3.0) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
        calls = list(self.calls.values())
        if calls:
            log.info("ending %d call(s)", len(calls))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.gather(*(c.hangup("failed", "sbc") for c in calls),
                                   return_exceptions=True), timeout)
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(MediaError):
            await self.relay.cleanup()
        await self.relay.close()

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(TICK)
            try:
                now = asyncio.get_running_loop().time()
                self._session_timers(now)
                watch_every = max(1.0, self.config.media.no_rtp_timeout / 6)
                if now - self._last_watch >= watch_every:
                    self._last_watch = now
                    await self._watch_media(now)
            except Exception:
                log.exception("call ticker")

    def _session_timers(self, now: float) -> None:
        for call in list(self.calls.values()):
            if not call.phase.answered or call.ended:
                continue
            for leg in call.legs.values():
                timer = leg.timer
                if timer is None or not leg.confirmed:
                    continue
                step = session_step(timer, leg.refreshed, now)
                if step is SessionStep.REFRESH:
                    self.spawn(call.refresh(leg))
                elif step is SessionStep.EXPIRED:
                    log.info("call %s: %s did not refresh the session; ending the call",
                             call.id, leg.conn.name)
                    self.spawn(call.hangup("session-expired", "sbc"))
                    break

    async def _watch_media(self, now: float) -> None:
        limit = self.config.media.no_rtp_timeout
        wall = time.time()
        for call in list(self.calls.values()):
            if not call.phase.answered or call.ended or call.media is None:
                continue
            if call.answered_at is None or now - call.answered_at < limit:
                continue
            if any(inactive(leg.sdp_in) or inactive(leg.sdp_out) for leg in call.legs.values()):
                continue  # on hold without media: rtpengine's silent-timeout covers it
            try:
                activity = await call.media.activity()
            except MediaError as exc:
                log.warning("media watchdog: %s", exc)
                return
            last = activity.last_packet if activity is not None else None
            if activity is None or last is None or wall - last >= limit:
                log.info("call %s: no RTP for %d s; ending the call", call.id, limit)
                self.spawn(call.hangup("no-rtp", "sbc"))

    # -- status -----------------------------------------------------------------------------

    def snapshot(self) -> dict[str, object]:
        active = list(self.calls.values())[:MAX_LISTED]
        return {
            "counters": self.counters.as_dict(),
            "active": [call.status() for call in active],
            "listed": len(active),
        }
