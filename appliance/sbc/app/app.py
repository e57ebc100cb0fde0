"""`SbcApp`: one running SBC. `sbc run` builds it, starts it and waits for a signal.

Start: syslog (EventLog + the logging bridge), trace, TLS contexts, the engine with its
handlers, the listeners, then per connection the OPTIONS and registration tasks, the
status file writer and the trace control file watcher.

Reload (SIGHUP): `ConfigHolder` reads the file in a worker thread (signalling goes on);
a bad one, or any failure while reading, keeps everything as it runs and the reasons
are logged and shown in `sbc status`. Reloads run one at a time: a SIGHUP during a
reload, or before start-up has finished, is queued and runs once after it. A good file
is applied in place:
syslog, allowlists, identity, TLS (a changed certificate drains the TLS connections so
peers see the new one, AT-8; a certificate that fails its checks keeps the running one),
listeners (reopened only if changed), trace, resolver host map, and the services of
connections that changed (others keep their state).

Without a usable certificate the TLS listeners and the connections over TLS wait, each
with its reason in the status, and so do connections holding template values
(app.readiness); a reload that brings a good certificate starts them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random as _random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from .. import PRODUCT, __version__
from ..b2bua import CallManager, Signalling
from ..certs.assess import assess_installed
from ..config import Config, ConfigHolder, Connection, ReloadResult
from ..core import OptionsResponder, SipEngine, SourceGate
from ..logs import EventLog, SyslogBridgeHandler, install_bridge
from ..media import MediaRelay
from ..resolve import SipResolver
from ..services import (
    OptionsProbe,
    OptionsTask,
    RegistrationPolicy,
    RegistrationState,
    RegistrationTask,
    ServiceDeps,
)
from ..sip.ids import RandomBytes
from ..status import STATUS_FILE, TRACE_FILE, status_bytes, write_status
from ..status.schema import VERSION as STATUS_VERSION
from ..status.schema import ConnectionStatus, StatusSnapshot
from ..trace import TraceControl, watch_control_file
from ..transport import TlsContexts, TransportManager
from .console import ConsoleSink
from .readiness import TlsState, load_tls, log_certificate, needs_tls, waiting_reason
from .report import acme_info, certificate_info
from .runtime import runtime_settings

log = logging.getLogger(__name__)

CERT_RECHECK_SECONDS = 3600.0


@dataclass
class RunOptions:
    run_dir: Path
    options_interval: float | None = None  # overrides sbc.options_interval (labs, tests)
    status_interval: float = 2.0
    console: bool = False  # events and logs to stderr too
    event_loop: str = "asyncio"  # what it runs on (sbc.app.loop), for the start-up line
    random: RandomBytes = os.urandom
    uniform: Callable[[float, float], float] = _random.uniform
    registration: RegistrationPolicy = field(default_factory=RegistrationPolicy)


@dataclass
class _Service:
    conn: Connection
    probe: OptionsProbe | None
    registration: RegistrationState | None
    tasks: list[asyncio.Task[None]]
    options_task: OptionsTask | None = None


class SbcApp:
    def __init__(self, holder: ConfigHolder, options: RunOptions) -> None:
        self.holder = holder
        self.options = options
        self.config = holder.config
        self.started = time.time()
        self.stopped = asyncio.Event()
        self.last_reload: dict[str, Any] | None = None
        self.acme: dict[str, Any] | None = None  # acme_info: ACME renewal, if set up
        self.events: EventLog | None = None
        self._bridge: SyslogBridgeHandler | None = None
        self.trace = TraceControl()
        self.settings = runtime_settings(self.config)
        self.identity = self.settings.identity
        self.gate = SourceGate(self.config)
        self.engine = SipEngine(self.identity, self.gate, random=options.random)
        self.options_in = OptionsResponder()
        self.engine.router.add("OPTIONS", self.options_in)
        self.tls: TlsContexts | None = None
        self.transports: TransportManager | None = None
        self.resolver = SipResolver(self.settings.hosts)
        self.calls = self._call_manager(self.config)
        self.calls.install(self.engine.router)
        self.deps: ServiceDeps | None = None
        self.services: dict[str, _Service] = {}
        self.waiting: dict[str, str] = {}  # connection name -> why it is not started
        self.tls_state = TlsState(None, "not started")
        self.certificate: dict[str, Any] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._applying: asyncio.Task[None] | None = None
        self._reloading: asyncio.Task[None] | None = None
        self._reload_queued = False
        self.ready = False  # start() has finished; reloads before that wait for it

    def _call_manager(self, config: Config) -> CallManager:
        host, port = self.settings.rtpengine
        return CallManager(
            Signalling(self.engine, self.resolver),
            MediaRelay(host, port),
            config,
            healthy=self._healthy,
            events=lambda: self.events,
        )

    def _healthy(self, name: str) -> bool:
        """A connection whose OPTIONS are failing, or that waits, is skipped by routing."""
        if name in self.waiting:
            return False
        service = self.services.get(name)
        probe = service.probe if service is not None else None
        return probe is None or probe.state != "down"

    @property
    def status_path(self) -> Path:
        return self.options.run_dir / STATUS_FILE

    @property
    def trace_control_path(self) -> Path:
        return self.options.run_dir / TRACE_FILE

    # -- start and stop -----------------------------------------------------------------

    async def start(self) -> None:
        """Raises OSError (a port in use). Without a usable certificate the TLS side stays
        off with its reason (app.readiness) and the rest runs."""
        config = self.config
        await self._start_events(config)
        self._set_tls(load_tls(config) if needs_tls(config) else TlsState(None, "not used"))
        self.certificate = certificate_info(config, self.tls_state)
        self.acme = acme_info(config)
        if config.trace.enabled:
            self.trace.start_with(self.settings.trace)
        self.gate.reconfigure(config, self.events)
        self.transports = TransportManager(
            self.engine,
            settings=self.settings.transport,
            tls=self.tls,
            trace=self.trace,
            events=self.events,
            describe=lambda peer: self.gate.describe(peer.host, peer.transport),
            trace_ip=self.settings.trace_ip,
        )
        self.engine.attach(self.transports)
        try:
            await self.transports.listen(self._listeners(config))
        except OSError:
            await self.transports.close()
            raise
        self.deps = ServiceDeps(self.engine, self.resolver, self.gate, self.events,
                                self.options.random, self.options.uniform)
        self._start_services(config)
        await self.calls.start()
        self.options.run_dir.mkdir(parents=True, exist_ok=True)
        self._tasks.append(asyncio.create_task(self._write_status_loop()))
        self._tasks.append(asyncio.create_task(
            watch_control_file(self.trace, self.trace_control_path)))
        self._tasks.append(asyncio.create_task(self._watch_certificate()))
        listening = ", ".join(f"{t} {a}:{p}" for t, a, p in self.transports.listening())
        log.info("%s %s started as %s on %s, listening on %s, %d connection(s)", PRODUCT,
                 __version__, config.sbc.fqdn, self.options.event_loop, listening,
                 len(config.connections))
        self.ready = True
        if self._reload_queued:
            log.info("config reload requested during start-up: reloading now")
            self.request_reload()

    async def _start_events(self, config: Config) -> None:
        events = EventLog.from_settings(runtime_settings(config).log)
        if self.options.console:
            events.sinks.append(ConsoleSink())
        await events.start()
        old, old_bridge = self.events, self._bridge
        self.events = events
        self._bridge = install_bridge(events)
        if old_bridge is not None:
            logging.getLogger("sbc").removeHandler(old_bridge)
        if old is not None:
            await old.close()
        if config.syslog is not None:  # a first line at once: the admin sees it arrive
            target = config.syslog
            log.info("remote syslog: sending to %s:%d over %s", target.host, target.port,
                     target.protocol.upper())

    async def stop(self) -> None:
        self.ready = False
        for task in (self._reloading, self._applying):
            if task is not None and not task.done():
                task.cancel()
        for service in self.services.values():
            for task in service.tasks:
                task.cancel()
        await self.calls.stop()
        tasks = [t for s in self.services.values() for t in s.tasks] + self._tasks
        for task in self._tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=3)
        if self.transports is not None:
            await self.transports.close()
        self.engine.close()
        self.trace.stop()
        with contextlib.suppress(OSError):
            self.status_path.unlink()
        log.info("%s stopped", PRODUCT)
        if self._bridge is not None:
            logging.getLogger("sbc").removeHandler(self._bridge)
        if self.events is not None:
            await self.events.close()

    def request_stop(self) -> None:
        self.stopped.set()

    # -- services -----------------------------------------------------------------------

    def _interval(self, config: Config) -> float:
        return float(self.options.options_interval or config.sbc.options_interval)

    def _listeners(self, config: Config) -> tuple[Any, ...]:
        """The configured listeners the SBC can open now: TLS ones need a certificate."""
        return tuple(item for item in config.sbc.listen
                     if item.transport != "tls" or self.tls_state.active)

    def _set_tls(self, state: TlsState) -> None:
        was = self.tls_state
        self.tls_state = state
        self.tls = state.contexts
        if self.transports is not None:
            self.transports.tls = state.contexts
        if state.reason and state.reason != was.reason and state.reason != "not used":
            log.warning("TLS side off: %s", state.reason)
        log_certificate(state.report)

    def _start_services(self, config: Config) -> None:
        """Start every connection that can run; note why the others wait."""
        for conn in config.connections:
            reason = waiting_reason(config, conn, self.tls_state)
            if reason is not None:
                if self.waiting.get(conn.name) != reason:
                    log.warning("%s waits: %s", conn.name, reason)
                self.waiting[conn.name] = reason
            else:
                self.waiting.pop(conn.name, None)
                if conn.name not in self.services:
                    self._start_service(conn)
        names = {c.name for c in config.connections}
        for name in [n for n in self.waiting if n not in names]:
            del self.waiting[name]

    def _start_service(self, conn: Connection) -> None:
        assert self.deps is not None
        tasks: list[asyncio.Task[None]] = []
        probe = None
        registration = None
        options_task = None
        if conn.options:
            probe = OptionsProbe(conn.name, self._interval(self.config))
            options_task = OptionsTask(conn, probe, self.deps)
            tasks.append(asyncio.create_task(options_task.run()))
        if conn.registration is not None:
            registration = RegistrationState(
                conn.name, conn.registration, conn.auth,
                random=self.options.random, uniform=self.options.uniform,
                policy=self.options.registration, call_id_host=self.identity.fqdn,
            )
            tasks.append(asyncio.create_task(
                RegistrationTask(conn, registration, self.deps).run()))
        self.services[conn.name] = _Service(conn, probe, registration, tasks, options_task)

    async def _stop_service(self, name: str) -> None:
        service = self.services.pop(name, None)
        if service is None:
            return
        for task in service.tasks:
            task.cancel()
        if service.tasks:
            await asyncio.wait(service.tasks, timeout=3)

    # -- reload -------------------------------------------------------------------------

    def request_reload(self) -> None:
        """What SIGHUP does: reload now, or once the running reload (or start) is done."""
        if not self.ready or (self._reloading is not None and not self._reloading.done()):
            self._reload_queued = True
            return
        self._reload_queued = False
        self._reloading = asyncio.get_running_loop().create_task(self._reload())

    async def _reload(self) -> None:
        """Read in a thread, apply on the loop, then run a reload queued meanwhile."""
        try:
            self.on_reload(await self.holder.reload_async())
            if self._applying is not None:
                await self._applying
        except Exception as exc:  # never an exception left in the loop
            log.exception("config reload failed")
            self._record_reload(False, f"config reload failed: {exc!r}", [repr(exc)])
        if self._reload_queued and self.ready:
            self._reload_queued = False
            self._reloading = asyncio.get_running_loop().create_task(self._reload())

    def reload(self) -> ReloadResult:
        """Read and apply in the caller's thread (tests, tools); the SBC uses SIGHUP."""
        result = self.holder.reload()
        self.on_reload(result)
        return result

    def _record_reload(self, ok: bool, summary: str, errors: list[str]) -> None:
        self.last_reload = {"at": time.time(), "ok": ok, "summary": summary,
                            "errors": errors}

    def on_reload(self, result: ReloadResult) -> None:
        errors = [str(e) for e in result.errors]
        self._record_reload(result.ok, result.summary(), errors)
        if not result.ok:
            log.error("%s", result.summary())
            for error in errors:
                log.error("  %s", error)
            return
        for warning in result.warnings:
            log.warning("config: %s", warning)
        log.info("%s", result.summary())
        old, new = self.config, result.config
        self.config = new
        self._applying = asyncio.create_task(self._apply(old, new))

    async def _apply(self, old: Config, new: Config) -> None:
        try:
            await self._apply_config(old, new)
        except Exception as exc:
            log.exception("applying the new config failed")
            self._record_reload(False, "config read, but applying it failed; parts may run "
                                "with the old settings (restart the SBC)", [repr(exc)])

    async def _apply_config(self, old: Config, new: Config) -> None:
        """Each part gets its share of the new settings through its own `reconfigure`."""
        before, settings = self.settings, runtime_settings(new)
        self.settings = settings
        if before.log != settings.log:
            await self._start_events(new)
        identity_changed = settings.identity != self.identity
        self.identity = settings.identity
        self.engine.reconfigure(settings.identity)
        self.gate.reconfigure(new, self.events)
        old_listeners = self._listeners(old)
        self._refresh_tls(new)
        self.certificate = certificate_info(new, self.tls_state)
        self.acme = acme_info(new)
        transports = self.transports
        if transports is not None:
            transports.reconfigure(settings.transport, trace_ip=settings.trace_ip,
                                   events=self.events)
            new_listeners = self._listeners(new)
            if old_listeners != new_listeners:
                await transports.stop_listening()
                try:
                    await transports.listen(new_listeners)
                except OSError as exc:
                    log.error("%s; listening on the old sockets again", exc)
                    await transports.stop_listening()
                    await transports.listen(old_listeners)
        if old.trace != new.trace:
            if new.trace.enabled:
                self.trace.start_with(settings.trace)
            elif old.trace.enabled:
                self.trace.stop()
        self.resolver = SipResolver(settings.hosts, self.resolver.lookup)
        self.calls.reconfigure(new, resolver=self.resolver, rtpengine=settings.rtpengine)
        if self.deps is not None:
            self.deps.reconfigure(resolver=self.resolver, events=self.events)
        restart_all = identity_changed or self._interval(old) != self._interval(new)
        wanted = {c.name: c for c in new.connections}
        for name, service in list(self.services.items()):
            conn = wanted.get(name)
            if (restart_all or conn != service.conn
                    or waiting_reason(new, service.conn, self.tls_state) is not None):
                await self._stop_service(name)
        self._start_services(new)

    def _refresh_tls(self, config: Config) -> None:
        """Check and load the certificate again. A usable new one serves new connections
        and drains the old ones (AT-8); an unusable one keeps the running one, if any."""
        if not needs_tls(config):
            self._set_tls(TlsState(None, "not used"))
            return
        state = load_tls(config)
        old = self.tls
        if state.contexts is None and old is not None:
            log.error("TLS files not reloaded, keeping the running ones: %s", state.reason)
            log_certificate(state.report)
            return
        self._set_tls(state)
        contexts = state.contexts
        if (old is not None and contexts is not None and self.transports is not None
                and contexts.fingerprint != old.fingerprint):
            drained = self.transports.drain_tls("new certificate")
            log.info("new TLS certificate: %d TLS connection(s) close once their "
                     "transactions end", drained)

    async def _watch_certificate(self) -> None:
        """Check the running certificate again every hour: expiry warnings (30/14/7 days)
        reach the log and the status as the days pass, not only at start and reload."""
        while True:
            await asyncio.sleep(CERT_RECHECK_SECONDS)
            state = self.tls_state
            if not state.active or state.report is None:
                continue
            tls = self.config.sbc.tls
            report = await asyncio.to_thread(
                assess_installed, tls.cert, tls.key, tls.ca_bundle, self.config.sbc.fqdn)
            if report.problems != state.report.problems:
                log_certificate(report)
            self.tls_state = TlsState(state.contexts, None, report)
            self.certificate = certificate_info(self.config, self.tls_state)
            self.acme = acme_info(self.config)

    # -- status -------------------------------------------------------------------------

    def snapshot(self) -> StatusSnapshot:
        """status.json (its shape: `sbc.status.schema`)."""
        now_wall = time.time()
        loop_now = asyncio.get_running_loop().time()
        to_wall = now_wall - loop_now
        connections = []
        for conn in self.config.connections:
            service = self.services.get(conn.name)
            target = None
            if service and service.probe and service.probe.target:
                target = service.probe.target
            elif service and service.registration and service.registration.target:
                target = service.registration.target
            port = f":{conn.port}" if conn.port else ""
            connections.append(ConnectionStatus({
                "name": conn.name,
                "waiting": self.waiting.get(conn.name),
                "kind": conn.kind,
                "transport": conn.transport,
                "host": conn.host,
                "target": target or f"{conn.transport} {conn.host}{port}",
                "registration": (service.registration.status(to_wall)
                                 if service and service.registration else None),
                "options_out": (service.probe.status(to_wall)
                                if service and service.probe else None),
                "options_in": self.options_in.status(conn.name),
                "certificate": self._peer_certificate(service, now_wall),
            }))
        cert = dict(self.certificate)
        end = cert.pop("not_after_ts", None)
        if isinstance(end, float):
            cert["days_left"] = int((end - now_wall) // 86400)
        trace = self.trace.status()
        transports = self.transports.snapshot() if self.transports is not None else {}
        return StatusSnapshot({
            "version": STATUS_VERSION,
            "product": f"{PRODUCT} {__version__}",
            "pid": os.getpid(),
            "started": self.started,
            "updated": now_wall,
            "config": {"path": str(self.holder.path), "last_reload": self.last_reload},
            "sbc": {
                "fqdn": self.config.sbc.fqdn,
                "listening": cast("list[Any]", transports.get("listening", [])),
            },
            "certificate": cert,
            "acme": self.acme,
            "tls": {"active": self.tls_state.active,
                    "reason": None if self.tls_state.active else self.tls_state.reason},
            "connections": connections,
            "calls": self.calls.snapshot(),
            "dropped": self.gate.snapshot(),
            "engine": self.engine.snapshot(),
            "transport": {
                "stats": cast("dict[str, Any]", transports.get("stats", {})),
                "connections": cast("list[Any]", transports.get("connections", [])),
            },
            "trace": {
                "active": trace.active,
                "path": str(trace.settings.path) if trace.settings else None,
                "messages": trace.messages,
                "configured_path": str(self.config.trace.path),
            },
        })

    def _peer_certificate(self, service: _Service | None, now: float) -> dict[str, Any] | None:
        """The certificate the connection's TLS peer showed last time (None: not TLS or
        not connected yet)."""
        task = service.options_task if service is not None else None
        if task is None or task.last_peer is None or self.transports is None:
            return None
        if task.last_peer.transport != "tls":
            return None
        cert = self.transports.peer_certs.get(task.last_peer.key)
        if cert is None:
            return None
        end = cert.get("not_after")
        days = int((end - now) // 86400) if isinstance(end, int | float) else None
        return {"subject": cert.get("subject"), "not_after": end, "days_left": days}

    def write_status(self) -> None:
        write_status(self.status_path, self.snapshot())

    async def _write_status_loop(self) -> None:
        failed = False
        while True:
            self.gate.flush(asyncio.get_running_loop().time())
            try:
                # the document is made on the loop (a consistent picture), the file is
                # written in a thread: a slow disk never holds up signalling
                data = status_bytes(self.snapshot())
                await asyncio.to_thread(write_status, self.status_path, data)
                failed = False
            except OSError as exc:
                if not failed:
                    log.error("cannot write %s: %s", self.status_path, exc)
                failed = True
            await asyncio.sleep(self.options.status_interval)
