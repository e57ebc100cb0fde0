"""Syslog settings: the typed form the configuration loader fills from YAML."""

from __future__ import annotations

import ipaddress
import os
import socket
from dataclasses import dataclass, field
from typing import Literal

from .priority import Facility
from .queue import DEFAULT_QUEUE_SIZE
from .rfc5424 import DEFAULT_MAX_SIZE, MIN_MAX_SIZE

Protocol = Literal["udp", "tcp", "tls"]
PROTOCOLS: tuple[Protocol, ...] = ("udp", "tcp", "tls")
DEFAULT_PORT = 514
LOCAL_SOCKET = "/dev/log"


@dataclass(frozen=True)
class SyslogSettings:
    """Where log lines go. `host=None` means local journal only.

    host:       the remote syslog server's IP address (a DNS name also works, resolved
                when the sink starts).
    port:       514 unless configured; TLS servers usually listen on 6514 but nothing
                is assumed.
    protocol:   "udp" (RFC 5426), "tcp" (RFC 6587 octet counting) or "tls" (RFC 5425).
    ca_file:    PEM bundle that must have signed the TLS server's certificate; None uses
                the system trust store.
    tls_name:   the name checked in the server certificate; defaults to `host` (an IP
                address is then matched against the certificate's IP SANs).
    facility:   syslog facility name, "local0" by default.
    hostname:   HOSTNAME field: the SBC's FQDN should be passed here.
    local:      also write to the local syslog socket (journald or rsyslog own it).
    """

    host: str | None = None
    port: int = DEFAULT_PORT
    protocol: Protocol = "udp"
    ca_file: str | os.PathLike[str] | None = None
    tls_name: str | None = None
    facility: str = "local0"
    hostname: str = field(default_factory=socket.gethostname)
    local: bool = True
    local_socket: str = LOCAL_SOCKET
    queue_size: int = DEFAULT_QUEUE_SIZE
    max_message_size: int = DEFAULT_MAX_SIZE

    def __post_init__(self) -> None:
        if self.protocol not in PROTOCOLS:
            allowed = ", ".join(PROTOCOLS)
            raise ValueError(f"protocol: must be one of {allowed}, not {self.protocol!r}")
        if not 1 <= self.port <= 65535:
            raise ValueError(f"port: {self.port} is not between 1 and 65535")
        if self.host is not None and not self.host.strip():
            raise ValueError("host: empty; leave it out to disable remote syslog")
        Facility.from_name(self.facility)
        if self.queue_size < 1:
            raise ValueError("queue_size: must be at least 1")
        if self.max_message_size < MIN_MAX_SIZE:
            raise ValueError(f"max_message_size: must be at least {MIN_MAX_SIZE}")

    @property
    def facility_code(self) -> Facility:
        return Facility.from_name(self.facility)

    @property
    def remote(self) -> str | None:
        """'host:port/protocol' for messages about the sink itself, None if disabled."""
        if self.host is None:
            return None
        host = self.host
        try:
            if ipaddress.ip_address(host).version == 6:
                host = f"[{host}]"
        except ValueError:
            pass
        return f"{host}:{self.port}/{self.protocol}"
