"""`SipEngine`: the asyncio adapter around the sans-IO transaction layer.

It is the transports' `Receiver`. For each incoming item it applies, in this order:

1. the source allowlist: a datagram from a source no connection allows is dropped before
   it is parsed (`admit_datagram`, responses too), a connection before it is read
   (`admit_connection`); it gets nothing back and is counted by `SourceGate`;
2. peer errors and failed validation become their answer (`error_response`, 400/420/...)
   or a drop, here and nowhere else, logged with the Call-ID and counted;
3. the `TransactionLayer` (with `loop.time()` as its clock; one timer handle follows
   `next_timer()`), whose actions are carried out: `Send` via the transports, new
   requests to the `Router`'s handlers, responses to whoever sent the request.

Sending requests: `send_request(request, dest, handler)` (a `ResponseHandler` sees every
response and failures) or `await request(request, dest, timeout)` for a final `Outcome`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Protocol

from ..sip import (
    Action,
    ClientInviteTransaction,
    ClientTransaction,
    Deliver,
    Headers,
    Request,
    Response,
    Send,
    ServerNonInviteTransaction,
    ServerPolicy,
    ServerTransaction,
    SipPeerError,
    SipUsageError,
    State,
    Terminated,
    Timeout,
    TimerConfig,
    Transaction,
    TransactionLayer,
    TransportError,
    build_response,
    error_response,
    new_tag,
    parse_via,
    response_destination,
    stamp_received,
    validate_request,
    validate_response,
)
from ..sip.ids import RandomBytes
from ..trace.sipinfo import sip_method
from ..transport import Incoming, Peer, TransportManager
from .identity import POLICY, SbcIdentity
from .router import Handler, RequestContext, Router, connection_headers
from .sources import SourceGate

log = logging.getLogger(__name__)


class ResponseHandler(Protocol):
    def on_response(self, response: Response) -> None:
        """Every response of the transaction (1xx too; 2xx retransmissions for INVITE)."""

    def on_failure(self, reason: str, timeout: bool) -> None:
        """No final response: the transaction timed out (`timeout`) or the transport
        failed (connect, TLS handshake, write)."""


@dataclass(frozen=True)
class Outcome:
    """How a request ended: a final response (with its round-trip time) or an error."""

    response: Response | None
    error: str | None = None
    rtt: float | None = None  # seconds
    timed_out: bool = False

    @property
    def status(self) -> int | None:
        return self.response.status if self.response is not None else None


@dataclass
class EngineCounters:
    requests_in: int = 0
    responses_in: int = 0
    malformed: int = 0  # peer errors and failed validations, from allowed sources
    error_answers: int = 0  # of those, answered (400, 420, ...)
    unhandled: int = 0  # 501 for methods without a handler
    handler_errors: int = 0
    send_failures: int = 0
    internal_errors: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class _Waiter:
    future: asyncio.Future[Outcome]
    start: float
    loop: asyncio.AbstractEventLoop = field(repr=False)

    def on_response(self, response: Response) -> None:
        if response.status >= 200 and not self.future.done():
            self.future.set_result(Outcome(response, None, self.loop.time() - self.start))

    def on_failure(self, reason: str, timeout: bool) -> None:
        if not self.future.done():
            self.future.set_result(Outcome(None, reason, timed_out=timeout))


class _Ignore:
    """A ResponseHandler for requests whose answer nobody waits for (CANCEL)."""

    def on_response(self, response: Response) -> None:
        pass

    def on_failure(self, reason: str, timeout: bool) -> None:
        pass


class SipEngine:
    def __init__(
        self,
        identity: SbcIdentity,
        gate: SourceGate,
        *,
        random: RandomBytes = os.urandom,
        timers: TimerConfig | None = None,
        policy: ServerPolicy = POLICY,
    ) -> None:
        self.identity = identity
        self.gate = gate
        self.random = random
        self.policy = policy
        self.layer = TransactionLayer(timers)
        self.router = Router()
        self.counters = EngineCounters()
        self.transports: TransportManager | None = None
        self._uac: dict[Transaction, ResponseHandler] = {}
        self._failure_reasons: dict[Transaction, str] = {}
        self._queue: deque[Action] = deque()
        self._running = False
        self._current: Incoming | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None

    def reconfigure(self, identity: SbcIdentity) -> None:
        """A reload: the FQDN and ports that go into our Via, Contact and From."""
        self.identity = identity

    def attach(self, transports: TransportManager) -> None:
        self.transports = transports

    @staticmethod
    def now() -> float:
        return asyncio.get_running_loop().time()

    # -- the transports' Receiver -----------------------------------------------------

    def admit_connection(self, peer: Peer) -> bool:
        if self.gate.allowed(peer.host):
            return True
        self.gate.drop(peer.host, f"{peer.transport.upper()} connection", now=self.now(),
                       wall=time.time())
        return False

    def admit_datagram(self, source: Peer, data: bytes) -> bool:
        """Before parsing: a flood from outside every allowlist costs a lookup each."""
        if self.gate.allowed(source.host):
            return True
        self.gate.drop(source.host, sip_method(data), now=self.now(), wall=time.time())
        return False

    def reserved_peer(self, peer: Peer, names: tuple[str, ...]) -> bool:
        """A configured peer's connection is not counted against `max_connections`."""
        return self.gate.configured(peer.host, names)

    def receive(self, incoming: Incoming) -> None:
        now = self.now()
        message = incoming.message
        if not isinstance(message, Response) and not self.gate.allowed(incoming.source.host):
            self.gate.drop(incoming.source.host, _method_of(incoming), now=now,
                           wall=time.time())
            return
        try:
            if incoming.error is not None:
                self._peer_error(incoming, incoming.error)
            elif isinstance(message, Response):
                self._response(message, incoming, now)
            elif message is not None:
                self._request(message, incoming, now)
        finally:
            self._reschedule()

    def send_failed(self, message: Request | Response, dest: Peer, reason: str) -> None:
        self.counters.send_failures += 1
        if isinstance(message, Request) and message.method != "ACK":
            key = (message.top_via.branch or "", message.method)
            tx = self.layer.clients.get(key)
            if tx is not None and not tx.terminated:
                self._failure_reasons[tx] = reason
                self._execute(self.layer.transport_error(tx, self.now()))
                self._reschedule()
            return  # the request's owner reports it (OPTIONS status, registration)
        what = message.method if isinstance(message, Request) else f"{message.status} response"
        log.info("could not send %s to %s: %s", what, dest, reason)

    def connection_lost(self, peer: Peer, reason: str) -> None:
        """Requests still waiting for an answer over that connection fail now, rather
        than after Timer F: the answer could only have come back over it."""
        waiting = [
            tx for tx in self.layer.clients.values()
            if tx.peer == peer and tx.state in (State.CALLING, State.TRYING, State.PROCEEDING)
        ]
        for tx in waiting:
            self._failure_reasons[tx] = reason
            self._execute(self.layer.transport_error(tx, self.now()))
        if waiting:
            self._reschedule()

    def flow_busy(self, peer: Peer) -> bool:
        """A transaction still uses the connection `peer` names: the transports keep a
        draining TLS connection open until this is False (`TransportManager.drain_tls`)."""
        return self.layer.bound_to(peer)

    # -- incoming ---------------------------------------------------------------------

    def _request(self, request: Request, incoming: Incoming, now: float) -> None:
        self.counters.requests_in += 1
        try:
            validate_request(request, self.policy, for_us=request.method == "OPTIONS")
        except SipPeerError as err:
            self._peer_error(incoming, err)
            return
        if request.method == "OPTIONS" and self._options_statelessly(request, incoming):
            return
        self._current = incoming
        try:
            self._execute(self.layer.receive(request, incoming.source, now))
        finally:
            self._current = None

    def _options_statelessly(self, request: Request, incoming: Incoming) -> bool:
        """An OPTIONS outside a dialog is answered without a server transaction (a UAS
        may answer statelessly, RFC 3261 §8.2.7): a retransmission just gets another
        200, and nothing lingers for Timer J (32 s over UDP). False leaves it to the
        transaction layer (an OPTIONS in a dialog, or no handler)."""
        handler = self.router.handler_for("OPTIONS")
        if handler is None or request.to_addr.tag is not None:
            return False
        via = stamp_received(request, incoming.source)
        carrier = ServerNonInviteTransaction(  # never registered: it only carries the
            request, response_destination(request, incoming.source, via), self.layer.config)
        carrier.state = State.TRYING  # request and the reply address to the handler
        ctx = self._context(request, carrier, incoming)
        ctx.stateless = True
        self._run(handler, ctx)
        return True

    def _response(self, response: Response, incoming: Incoming, now: float) -> None:
        self.counters.responses_in += 1
        try:
            validate_response(response)
        except SipPeerError as err:
            self.counters.malformed += 1
            log.debug("dropped a bad response from %s: %s", incoming.source, err.reason)
            return
        self._current = incoming
        try:
            self._execute(self.layer.receive(response, incoming.source, now))
        finally:
            self._current = None

    def _peer_error(self, incoming: Incoming, err: SipPeerError) -> None:
        """The one place where a peer's bad input becomes an answer or a drop."""
        self.counters.malformed += 1
        headers = err.headers
        call_id = headers.get("Call-ID") if headers is not None else None
        answer = error_response(err, to_tag=new_tag(self.random))
        source = incoming.source
        if answer is None or headers is None:
            log.info("dropped bad message from %s (Call-ID %s): %s", source, call_id, err.reason)
            return
        for name, value in self._headers_for(source, incoming.peer_names):
            answer.headers.add(name, value)
        dest = _error_destination(headers, source)
        log.info("bad request from %s (Call-ID %s): %s; answering %d", source, call_id,
                 err.reason, answer.status)
        self.counters.error_answers += 1
        if self.transports is not None:
            self.transports.send(answer, dest)

    def _headers_for(self, source: Peer, peer_names: Iterable[str]) -> list[tuple[str, str]]:
        return connection_headers(
            self.gate.classify(source.host, source.transport, peer_names))

    # -- actions ----------------------------------------------------------------------

    def _execute(self, actions: Iterable[Action]) -> None:
        self._queue.extend(actions)
        if self._running:
            return  # an outer call is draining the queue
        self._running = True
        try:
            while self._queue:
                action = self._queue.popleft()
                try:
                    self._do(action)
                except Exception:
                    self.counters.internal_errors += 1
                    log.exception("error carrying out %s", type(action).__name__)
        finally:
            self._running = False

    def _do(self, action: Action) -> None:
        if isinstance(action, Send):
            if self.transports is not None:
                self.transports.send(action.message, action.dest)
        elif isinstance(action, Deliver):
            self._deliver(action)
        elif isinstance(action, Timeout):
            handler = self._uac.get(action.transaction)
            if handler is not None:
                handler.on_failure("timeout: no response", True)
        elif isinstance(action, TransportError):
            handler = self._uac.get(action.transaction)
            reason = self._failure_reasons.pop(action.transaction, "transport error")
            if handler is not None:
                handler.on_failure(reason, False)
        elif isinstance(action, Terminated):
            self._uac.pop(action.transaction, None)
            self._failure_reasons.pop(action.transaction, None)

    def _deliver(self, action: Deliver) -> None:
        message, tx = action.message, action.transaction
        if isinstance(message, Response):
            waiting = self._uac.get(tx) if tx is not None else None
            if waiting is not None:
                waiting.on_response(message)
            elif self.router.on_stray is not None and self._current is not None:
                self.router.on_stray(message, self._current.source)  # a 2xx retransmission
            return
        incoming = self._current
        if incoming is None:
            return
        if not isinstance(tx, ServerTransaction):
            if self.router.on_stray is not None:  # an ACK for a 2xx: the dialog's
                self.router.on_stray(message, incoming.source)
            return
        ctx = self._context(message, tx, incoming)
        if message.method == "CANCEL":
            self._cancel(ctx, action.cancels)
            return
        handler = self.router.handler_for(message.method)
        if handler is None:
            self.counters.unhandled += 1
            ctx.respond(501)
            return
        self._run(handler, ctx)

    def _context(self, request: Request, tx: ServerTransaction,
                 incoming: Incoming) -> RequestContext:
        return RequestContext(
            request=request,
            transaction=tx,
            source=incoming.source,
            peer_names=incoming.peer_names,
            connections=self.gate.classify(
                incoming.source.host, incoming.source.transport, incoming.peer_names
            ),
            engine=self,
        )

    def _run(self, handler: Handler, ctx: RequestContext) -> None:
        """The handler, with its peer errors answered and its failures a 500."""
        try:
            handler(ctx)
        except SipPeerError as err:
            self.reject(ctx, err)
        except Exception:
            self.counters.handler_errors += 1
            log.exception("%s handler failed (Call-ID %s)", ctx.request.method,
                          ctx.request.headers.get("Call-ID"))
            if ctx.transaction.state in (State.TRYING, State.PROCEEDING):
                ctx.respond(500)

    def reject(self, ctx: RequestContext, err: SipPeerError) -> None:
        """A peer error found by a handler, in a request that parsed: its status (400 when
        it names none) with its reason, once, while the request still waits for an answer.
        Malformed messages never reach a handler: `_peer_error` answers those."""
        self.counters.error_answers += 1
        log.info("refused %s from %s (Call-ID %s): %s", ctx.request.method, ctx.source,
                 ctx.request.headers.get("Call-ID"), err.reason)
        if ctx.transaction.state in (State.TRYING, State.PROCEEDING):
            ctx.respond(err.status or 400, err.reason, headers=err.response_headers)

    def _cancel(self, ctx: RequestContext, invite: object) -> None:
        if not isinstance(invite, ServerTransaction):
            ctx.respond(481)
            return
        ctx.respond(200)
        if invite.state not in (State.TRYING, State.PROCEEDING):
            return  # already answered finally
        if self.router.on_cancel is not None:
            self.router.on_cancel(ctx, invite)
        else:
            self.respond(invite, build_response(invite.request, 487, to_tag=ctx.to_tag))

    # -- answering and sending --------------------------------------------------------

    def respond_stateless(self, tx: ServerTransaction, response: Response) -> None:
        """A response outside the transaction layer (stateless OPTIONS), to the address
        the request's Via names; the carrier `tx` only records that it was answered."""
        if response.status >= 200:
            tx.state = State.TERMINATED
        if self.transports is not None:
            self.transports.send(response, tx.peer)

    def respond(self, tx: ServerTransaction, response: Response) -> None:
        try:
            actions = self.layer.send_response(tx, response, self.now())
        except SipUsageError as exc:
            self.counters.internal_errors += 1
            log.error("cannot answer %s: %s", tx, exc)
            return
        self._execute(actions)
        self._reschedule()

    def send_request(
        self, request: Request, dest: Peer, handler: ResponseHandler
    ) -> ClientTransaction:
        tx, actions = self.layer.send_request(request, dest, self.now())
        self._uac[tx] = handler
        self._execute(actions)
        self._reschedule()
        return tx

    def cancel(self, invite: ClientTransaction) -> bool:
        """CANCEL an INVITE we sent, if it is still waiting after a provisional response
        (§9.1); False when it cannot be cancelled (no provisional yet, or answered)."""
        if not isinstance(invite, ClientInviteTransaction) or invite.state is not State.PROCEEDING:
            return False
        tx, actions = self.layer.cancel(invite, self.now())
        self._uac[tx] = _Ignore()
        self._execute(actions)
        self._reschedule()
        return True

    def send_direct(self, message: Request | Response, dest: Peer) -> None:
        """Send outside any transaction: the ACK for a 2xx (§13.2.2.4)."""
        if self.transports is not None:
            self.transports.send(message, dest)

    async def request(
        self, request: Request, dest: Peer, timeout: float | None = None
    ) -> Outcome:
        """Send and wait for the final response (or the failure); `timeout` caps the
        wait below the transaction's own (Timer F, 32 s)."""
        loop = asyncio.get_running_loop()
        waiter = _Waiter(loop.create_future(), loop.time(), loop)
        self.send_request(request, dest, waiter)
        try:
            return await asyncio.wait_for(asyncio.shield(waiter.future), timeout)
        except TimeoutError:
            return Outcome(None, f"no answer within {timeout:g} s", timed_out=True)

    # -- the timer --------------------------------------------------------------------

    def _reschedule(self) -> None:
        at = self.layer.next_timer()
        if at == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = at
        self._timer = None if at is None else asyncio.get_running_loop().call_at(
            at, self._on_timer
        )

    def _on_timer(self) -> None:
        due = self._timer_at or 0.0
        self._timer = None
        self._timer_at = None
        try:
            self._execute(self.layer.handle_timer(max(self.now(), due)))
        finally:
            self._reschedule()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
            self._timer_at = None

    def snapshot(self) -> dict[str, object]:
        return {
            **self.counters.as_dict(),
            "transactions": len(self.layer.clients) + len(self.layer.servers),
        }


def _method_of(incoming: Incoming) -> str | None:
    if incoming.message is not None and isinstance(incoming.message, Request):
        return incoming.message.method
    if incoming.raw:
        return sip_method(incoming.raw)
    headers = incoming.error.headers if incoming.error is not None else None
    cseq = headers.get("CSeq") if headers is not None else None
    return cseq.split()[-1] if cseq else None


def _error_destination(headers: Headers, source: Peer) -> Peer:
    """Where an error answer goes: back over the connection, or per §18.2.2 on UDP (the
    source address, with the Via's port unless it asked for rport)."""
    if source.reliable:
        return source
    vias = headers.values("Via")
    try:
        via = parse_via(vias[0])
    except (SipPeerError, IndexError):
        return source  # the Via itself is the problem: answer where it came from
    if "rport" in via.params:
        return Peer(source.host, source.port, "udp")
    return Peer(source.host, via.port or 5060, "udp")
