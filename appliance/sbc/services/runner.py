"""The asyncio side of the services: one task per connection that sleeps until its
sans-IO state says something is due, resolves the target (RFC 3263, every time: DNS
answers change), sends through the engine and feeds the outcome back.
"""

from __future__ import annotations

import asyncio
import logging
import random as _random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..config import Connection
from ..core.identity import SbcIdentity, capability_headers
from ..logs import EventLog
from ..resolve import ResolveError, SipResolver, Target
from ..sip import Address, Request, SipUri, new_call_id, new_tag
from ..sip.ids import RandomBytes
from ..transport import Peer, label_of, peer_of
from .options import OptionsProbe, StatusChange
from .registration import RegistrationResult, RegistrationState

if TYPE_CHECKING:
    from ..core.engine import SipEngine
    from ..core.sources import SourceGate

log = logging.getLogger(__name__)

MAX_TARGETS = 4


@dataclass
class ServiceDeps:
    engine: SipEngine
    resolver: SipResolver
    gate: SourceGate
    events: EventLog | None
    random: RandomBytes
    uniform: Callable[[float, float], float] = _random.uniform

    @property
    def identity(self) -> SbcIdentity:
        return self.engine.identity

    def reconfigure(self, *, resolver: SipResolver, events: EventLog | None) -> None:
        """A reload: services started from now on use the new resolver and event log."""
        self.resolver = resolver
        self.events = events

    async def targets(self, conn: Connection) -> list[Target]:
        targets = await self.resolver.targets(conn)
        self.gate.update_resolved(conn.name, [t.ip for t in targets])
        return targets[:MAX_TARGETS]


def build_options(conn: Connection, target: Target, deps: ServiceDeps) -> Request:
    """OPTIONS sip:HOST[:PORT][;transport=...], From/Contact with our FQDN (AT-1)."""
    identity = deps.identity
    params: dict[str, str | None] = {}
    if target.transport != "udp":
        params["transport"] = target.transport
    uri = SipUri(host=conn.host, port=conn.port, params=params)
    return identity.request(
        "OPTIONS",
        uri,
        transport=target.transport,
        random=deps.random,
        from_addr=identity.from_address(new_tag(deps.random)),
        to_addr=Address(SipUri(host=conn.host, port=conn.port)),
        call_id=new_call_id(deps.random, identity.fqdn),
        cseq=1,
        contact=identity.contact(target.transport),
        headers=capability_headers(),
        connection_headers=conn.headers,
    )


class OptionsTask:
    def __init__(self, conn: Connection, probe: OptionsProbe, deps: ServiceDeps) -> None:
        self.conn = conn
        self.probe = probe
        self.deps = deps
        self.last_peer: Peer | None = None  # where the last OPTIONS went (status)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        self.probe.start(loop.time())
        while True:
            delay = self.probe.due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                await self.ping()
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug must not end the keep-alives for good
                log.exception("%s: OPTIONS round failed", self.conn.name)
                self.probe.sending(loop.time())

    async def ping(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            targets = await self.deps.targets(self.conn)
        except ResolveError as exc:
            self.probe.sending(loop.time())
            self._report(self.probe.failed(f"DNS: {exc.summary}", loop.time()))
            return
        error = "no target"
        for target in targets:
            self.probe.sending(loop.time(), label_of(target))
            request = build_options(self.conn, target, self.deps)
            self.last_peer = peer_of(target)
            outcome = await self.deps.engine.request(
                request, self.last_peer, timeout=self.probe.timeout
            )
            if outcome.response is not None:
                response = outcome.response
                self._report(self.probe.answered(response.status, response.reason,
                                                 outcome.rtt, loop.time()))
                return
            error = outcome.error or "no response"
            if outcome.timed_out:
                break  # the interval is the budget: no second wait on another address
        self._report(self.probe.failed(error, loop.time()))

    def _report(self, change: StatusChange | None) -> None:
        if change is None:
            return
        response = change.response or (f"no response: {change.reason}" if change.reason else None)
        if self.deps.events is not None:
            self.deps.events.options_status(change.conn, change.up, response, change.rtt_ms)
        else:
            log.info("%s: OPTIONS %s (%s)", change.conn, "up" if change.up else "down",
                     response)


class RegistrationTask:
    def __init__(self, conn: Connection, state: RegistrationState, deps: ServiceDeps) -> None:
        self.conn = conn
        self.state = state
        self.deps = deps
        self._sticky: Target | None = None

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        self.state.start(loop.time())
        while True:
            due = self.state.due if self.state.due is not None else loop.time()
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                await self.attempt()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s: registration round failed", self.conn.name)
                self._report(self.state.on_failure("internal error", loop.time()))

    async def attempt(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            targets = await self.deps.targets(self.conn)
        except ResolveError as exc:
            self._report(self.state.on_failure(f"DNS: {exc.summary}", loop.time()))
            return
        if self._sticky in targets:
            targets.remove(self._sticky)
            targets.insert(0, self._sticky)
        error = "no target"
        for target in targets:
            request = self.state.build(
                self.deps.identity,
                target.transport,
                target=label_of(target),
                connection_headers=self.conn.headers,
            )
            outcome = await self.deps.engine.request(request, peer_of(target))
            if outcome.response is not None:
                self._sticky = target
                result = self.state.on_response(outcome.response, loop.time())
                if result is not None:
                    self._report(result)
                return
            error = outcome.error or "no response"
        self._sticky = None
        self._report(self.state.on_failure(error, loop.time()))

    def _report(self, result: RegistrationResult) -> None:
        if self.deps.events is not None:
            self.deps.events.registration(
                result.conn,
                result.ok,
                status=result.status,
                reason=result.reason,
                expires=result.expires,
                retry_in=result.retry_in,
                registrar=self.state.target,
            )
        else:
            log.info("%s: registration %s", result.conn, "ok" if result.ok else "failed")
