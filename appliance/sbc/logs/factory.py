"""Settings in, sinks out: the one place that knows which sink serves which protocol."""

from __future__ import annotations

import logging
import ssl

from .settings import SyslogSettings
from .sinks import LocalSink, Sink, UdpSink
from .stream import StreamSink, client_tls_context

log = logging.getLogger(__name__)


def build_sinks(settings: SyslogSettings) -> list[Sink]:
    """The local socket (if enabled) and the remote server (if a host is set)."""
    sinks: list[Sink] = []
    if settings.local:
        sinks.append(LocalSink(settings.local_socket))
    if settings.host is None:
        return sinks
    if settings.protocol == "udp":
        sinks.append(UdpSink(settings.host, settings.port, max_size=settings.max_message_size))
    else:
        tls = None
        if settings.protocol == "tls":
            try:
                tls = client_tls_context(settings.ca_file)
            except (OSError, ssl.SSLError) as exc:
                # A missing CA file must not stop the SBC; the local journal says why.
                log.error("remote syslog disabled: cannot load CA file %s: %s",
                          settings.ca_file, exc)
                return sinks
        sinks.append(
            StreamSink(
                settings.host,
                settings.port,
                tls=tls,
                tls_name=settings.tls_name,
                queue_size=settings.queue_size,
                max_size=settings.max_message_size,
            )
        )
    return sinks
