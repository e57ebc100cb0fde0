"""The one place where a validated `Config` becomes the typed settings the running parts
take. `SbcApp` builds `RuntimeSettings` at start and on every reload and hands each part
its own share through that part's `reconfigure(...)`; no part reads another's fields.

The B2BUA keeps reading its own `calls:` section (timers, limits, failover) from the
config it is given, since a call takes them when it starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..config import Config, HostEntry, log_settings, trace_settings
from ..config.convert import LogSettings, TraceRunSettings
from ..core import SbcIdentity
from ..sip import Limits
from ..transport import TransportSettings


@dataclass(frozen=True)
class RuntimeSettings:
    identity: SbcIdentity  # FQDN and listening ports: Via, Contact, From
    transport: TransportSettings  # message size, connection caps, idle timeout
    trace_ip: str  # our address in traces when a listener is bound to 0.0.0.0
    hosts: Mapping[str, HostEntry]  # the resolver's host map (`hosts:`)
    rtpengine: tuple[str, int]  # the ng address
    log: LogSettings  # syslog and the event log
    trace: TraceRunSettings  # SIP trace files


def identity(config: Config) -> SbcIdentity:
    ports: dict[str, int] = {}
    for listener in config.sbc.listen:
        ports.setdefault(listener.transport, listener.port)
    return SbcIdentity(config.sbc.fqdn, ports)


def transport_settings(config: Config) -> TransportSettings:
    limits = config.sbc.limits
    return TransportSettings(
        message_limits=Limits(max_message_size=limits.max_message_bytes),
        max_connections=limits.max_connections,
        max_per_source=limits.max_connections_per_source,
        idle_timeout=float(limits.tcp_idle_timeout),
    )


def runtime_settings(config: Config) -> RuntimeSettings:
    host, port = config.media.rtpengine
    return RuntimeSettings(
        identity=identity(config),
        transport=transport_settings(config),
        trace_ip=str(config.sbc.wan_ip or config.sbc.public_ip),
        hosts=config.hosts,
        rtpengine=(host, port),
        log=log_settings(config),
        trace=trace_settings(config),
    )
