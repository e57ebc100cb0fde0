"""Hand config sections to the modules that run them, in those modules' own types.

`sbc.logs` and `sbc.trace` have their own settings types (queue sizes, local socket);
the config keeps only what the admin sets, and this is the one place that maps them.
"""

from __future__ import annotations

from ..logs.settings import SyslogSettings as LogSettings
from ..trace.control import TraceSettings as TraceRunSettings
from .model import Config


def log_settings(config: Config) -> LogSettings:
    """Remote syslog as configured (or local only), HOSTNAME = the SBC's FQDN.

    A TLS syslog server without its own `ca_file` is checked against sbc.tls.ca_bundle.
    """
    remote = config.syslog
    if remote is None:
        return LogSettings(host=None, hostname=config.sbc.fqdn)
    ca_file = remote.ca_file or config.sbc.tls.ca_bundle
    return LogSettings(
        host=str(remote.host),
        port=remote.port,
        protocol=remote.protocol,
        ca_file=str(ca_file) if remote.protocol == "tls" else None,
        facility=remote.facility,
        hostname=remote.hostname or config.sbc.fqdn,
    )


def trace_settings(config: Config) -> TraceRunSettings:
    """The `trace:` section for `sbc.trace` (whether to start it is `config.trace.enabled`)."""
    t = config.trace
    return TraceRunSettings(t.path, t.include_options, t.max_bytes, t.files)
