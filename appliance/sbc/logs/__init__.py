"""Syslog for the SBC: RFC 5424 to the local journal and a remote server (UDP, TCP, TLS).

    settings = SyslogSettings(host="192.0.2.10", protocol="tls", port=6514, ca_file=...)
    events = EventLog.from_settings(settings)
    await events.start()
    install_bridge(events)                     # ordinary logging goes there too
    events.options_status("Teams1", True, "200 OK", 23.0)
"""

from __future__ import annotations

from .bridge import SyslogBridgeHandler, install_bridge
from .events import EventLog, MsgId
from .factory import build_sinks
from .priority import Facility, Severity
from .rfc5424 import ENTERPRISE_ID, SD_ID, SDElement, SyslogRecord, format_rfc5424
from .settings import SyslogSettings
from .sinks import LocalSink, Sink, SinkStats, UdpSink
from .stream import StreamSink

__all__ = [
    "ENTERPRISE_ID",
    "SD_ID",
    "EventLog",
    "Facility",
    "LocalSink",
    "MsgId",
    "SDElement",
    "Severity",
    "Sink",
    "SinkStats",
    "StreamSink",
    "SyslogBridgeHandler",
    "SyslogRecord",
    "SyslogSettings",
    "UdpSink",
    "build_sinks",
    "format_rfc5424",
    "install_bridge",
]
