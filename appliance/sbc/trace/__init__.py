"""Decrypted SIP trace into pcap files that Wireshark and tshark decode as SIP.

    trace = TraceControl()
    trace.start("/data/trace/sip.pcap", include_options=True)
    trace.record("tls", ("52.114.1.1", 5061), ("10.0.0.5", 5061), data)   # per message
    trace.stop()
"""

from __future__ import annotations

from .control import DEFAULT_PATH, TraceControl, TraceSettings, TraceStatus
from .controlfile import (
    DEFAULT_CONTROL_FILE,
    TraceRequest,
    TraceRequestError,
    apply_control_file,
    read_request,
    watch_control_file,
    write_request,
)
from .encoder import PcapEncoder, Transport

__all__ = [
    "DEFAULT_CONTROL_FILE",
    "DEFAULT_PATH",
    "PcapEncoder",
    "TraceControl",
    "TraceRequest",
    "TraceRequestError",
    "TraceSettings",
    "TraceStatus",
    "Transport",
    "apply_control_file",
    "read_request",
    "watch_control_file",
    "write_request",
]
