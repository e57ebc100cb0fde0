"""The typed configuration: what the rest of the SBC reads, never the YAML itself.

Everything here is frozen and already validated, so consumers (transports, OPTIONS,
registration, templates) can trust the values without re-checking them.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .issues import ConfigIssue

Transport = Literal["udp", "tcp", "tls"]
ResolveMode = Literal["rfc3263", "static"]
Identity = Literal["pai", "ppi", "none"]
LocationMode = Literal["pass", "drop"]
EMERGENCY_NUMBERS = ("110", "112")  # Germany; the EU-wide 112 everywhere
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_PORTS: Mapping[str, int] = {"udp": 5060, "tcp": 5060, "tls": 5061}


@dataclass(frozen=True)
class Listener:
    """A socket the SBC listens on; the TLS one is the admin's "SIP TLS port"."""

    transport: Transport
    address: IPAddress
    port: int


@dataclass(frozen=True)
class TlsSettings:
    """Our certificate and key (presented both ways: mutual TLS) and the trust store."""

    cert: Path
    key: Path
    ca_bundle: Path


@dataclass(frozen=True)
class Limits:
    """Bounds that keep a misbehaving peer from eating memory."""

    max_message_bytes: int = 65535
    max_connections: int = 1024
    tcp_idle_timeout: int = 600
    max_connections_per_source: int = 64  # one source must not hold every slot


@dataclass(frozen=True)
class SbcSettings:
    """The SBC itself. `fqdn` goes into every Contact, Via and Record-Route (AT-1)."""

    fqdn: str
    public_ip: ipaddress.IPv4Address
    wan_ip: ipaddress.IPv4Address | None
    listen: tuple[Listener, ...]
    options_interval: int
    tls: TlsSettings
    limits: Limits
    model: str
    # Who may reach SSH and the web console (nftables); empty = any (`sbc doctor` warns).
    admin_allowlist: tuple[IPNetwork, ...] = ()

    def listener(self, transport: Transport) -> Listener | None:
        """The first listener for a transport: its port goes into Contact headers."""
        return next((item for item in self.listen if item.transport == transport), None)


@dataclass(frozen=True)
class Auth:
    """Digest credentials. `username` is the AOR user (From/To, REGISTER); `auth_user`
    goes into Authorization's username; realm None means "take it from the challenge"."""

    username: str
    auth_user: str
    password: str = field(repr=False)
    realm: str | None = None


@dataclass(frozen=True)
class Registration:
    """REGISTER to `registrar` (the connection's host) for sip:`user`@`domain`."""

    registrar: str
    domain: str
    user: str
    expires: int

    @property
    def aor(self) -> str:
        return f"sip:{self.user}@{self.domain}"


@dataclass(frozen=True)
class NumberPlan:
    """How a peer writes numbers; `sbc.routing` works in E.164 and converts at the edges."""

    country_code: str
    national_prefix: str
    international_prefix: str
    format: Literal["e164", "national"]

    def to_e164(self, number: str) -> str:
        """'030123' -> '+4930123'; '0049...' and '+...' -> '+...'; others unchanged."""
        digits = number.strip()
        if digits.startswith("+"):
            return digits
        if self.international_prefix and digits.startswith(self.international_prefix):
            return "+" + digits[len(self.international_prefix) :]
        if self.national_prefix and digits.startswith(self.national_prefix):
            return f"+{self.country_code}{digits[len(self.national_prefix) :]}"
        return digits

    def from_e164(self, number: str) -> str:
        """'+4930123' -> '030123' for a national peer; foreign numbers get '00'."""
        if self.format == "e164" or not number.startswith("+"):
            return number
        if number.startswith("+" + self.country_code):
            return self.national_prefix + number[1 + len(self.country_code) :]
        return self.international_prefix + number[1:]


@dataclass(frozen=True)
class Connection:
    """One peer the SBC talks to, after profile expansion (Teams -> Teams1..3).

    `priority` orders failover inside `group` (1 first). An empty `allowlist` means
    "the addresses `host` resolves to"; see `sbc.config.allow`. `srtp`: media toward
    this peer is encrypted (SDES keys in the SDP, hence TLS only). `identity`: the header
    that carries the calling number toward this peer (P-Asserted-Identity,
    P-Preferred-Identity, or none). `media_bypass` (Teams only, the same on every Teams
    connection): Teams Direct Routing media bypass, Teams clients send their media
    straight to sbc.public_ip (the SBC is ICE-lite toward them).
    """

    name: str
    profile: str
    kind: str
    host: str
    port: int | None
    transport: Transport
    resolve: ResolveMode
    registration: Registration | None
    auth: Auth | None
    allowlist: tuple[IPNetwork, ...]
    options: bool
    headers: tuple[tuple[str, str], ...]
    priority: int
    group: str
    numbers: NumberPlan | None
    srtp: bool = False
    identity: Identity = "pai"
    media_bypass: bool = False
    # Emergency calls (issue 11, item 2): the dial strings that are one, whether the
    # caller's location (PIDF-LO body, Geolocation headers) goes on to this peer, and
    # the trunk number presented on them (None: the registration user if E.164).
    emergency_numbers: tuple[str, ...] = EMERGENCY_NUMBERS
    location: LocationMode = "drop"
    trunk_number: str | None = None
    origin: str = field(default="", compare=False)  # "file:line" of the admin's entry
    entry: str = field(default="", compare=False)  # its field path, "connections[1]"

    @property
    def host_is_ip(self) -> bool:
        try:
            ipaddress.ip_address(self.host)
        except ValueError:
            return False
        return True

    @property
    def sni(self) -> str | None:
        """TLS server name: the configured host, never the resolved address (RFC 5922)."""
        return None if self.host_is_ip else self.host

    @property
    def uri(self) -> str:
        """The next-hop SIP URI; resolved per RFC 3263 when `resolve` is rfc3263."""
        h = f"[{self.host}]" if ":" in self.host else self.host
        port = f":{self.port}" if self.port else ""
        return f"sip:{h}{port};transport={self.transport}"


@dataclass(frozen=True)
class HostEntry:
    """A static host map entry: a name pinned to an address (labs, tests)."""

    name: str
    address: IPAddress
    port: int | None


@dataclass(frozen=True)
class SyslogSettings:
    """Remote syslog (RFC 5424). Kept here; `sbc.logs` has its own settings type."""

    host: IPAddress
    port: int = 514
    protocol: Literal["udp", "tcp", "tls"] = "udp"
    ca_file: Path | None = None
    facility: str = "local0"
    hostname: str | None = None


@dataclass(frozen=True)
class TraceSettings:
    """Decrypted SIP trace into pcap; bounded size, rotated over `files` files."""

    enabled: bool = False
    path: Path = Path("/data/trace/sip.pcap")
    include_options: bool = False
    max_bytes: int = 10 * 1024 * 1024
    files: int = 5


@dataclass(frozen=True)
class Route:
    """One `routes:` rule. `sources` and `to` hold connection or group names (checked at
    load); empty `sources` = any source. The regexes are searched in E.164 numbers and
    the rewrites are `re.sub` replacements (a literal when the regex is absent)."""

    name: str
    to: tuple[str, ...]
    sources: tuple[str, ...] = ()
    called: re.Pattern[str] | None = None
    calling: re.Pattern[str] | None = None
    rewrite_called: str | None = None
    rewrite_calling: str | None = None
    origin: str = field(default="", compare=False)  # "file:line"; "" for default routes


@dataclass(frozen=True)
class MediaConfig:
    """rtpengine (its ng control socket, on loopback) and the RTP ports it may use."""

    rtpengine: tuple[str, int] = ("127.0.0.1", 2223)
    port_min: int = 30000
    port_max: int = 39999
    no_rtp_timeout: int = 60  # seconds without RTP before both legs get a BYE


@dataclass(frozen=True)
class CallsConfig:
    """Call handling limits: failover, RFC 4028 session timers, concurrency."""

    failover_timeout: int = 10  # seconds without a provisional before trying the next target
    session_expires: int = 1800
    min_se: int = 90
    max_calls: int = 500  # more concurrent calls are answered 503


AcmeChallenge = Literal["http-01", "dns-01"]


@dataclass(frozen=True)
class AcmeSettings:
    """ACME (RFC 8555) for the certificate of sbc.tls (`sbc cert acme`, the timer).

    `renew_at`: renew once this fraction of the lifetime is left (1/3: day 60 of 90).
    `eab_kid`/`eab_hmac`: External Account Binding, which commercial ACME CAs require.
    `http_port`: where the HTTP-01 answer is served (80 unless a NAT forwards it).
    `dns_*`, `tsig_*`: where and with which key DNS-01 writes its TXT records.
    """

    directory: str
    email: str | None = None
    challenge: AcmeChallenge = "http-01"
    eab_kid: str | None = None
    eab_hmac: str | None = field(default=None, repr=False)
    renew_at: float = 1 / 3
    http_port: int = 80
    # DNS-01: RFC 2136 updates to this server for `dns_zone` (default: the FQDN's parent),
    # signed with this TSIG key.
    dns_server: tuple[str, int] | None = None
    dns_zone: str | None = None
    tsig_name: str | None = None
    tsig_secret: str | None = field(default=None, repr=False)
    tsig_algorithm: str = "hmac-sha256"


@dataclass(frozen=True)
class Config:
    """A whole, valid `/data/sbc.yaml`."""

    path: str
    sbc: SbcSettings
    connections: tuple[Connection, ...]
    hosts: Mapping[str, HostEntry]
    syslog: SyslogSettings | None
    trace: TraceSettings
    profiles_dir: Path | None = None
    warnings: tuple[ConfigIssue, ...] = field(default=(), compare=False)
    routes: tuple[Route, ...] = ()
    media: MediaConfig = MediaConfig()
    calls: CallsConfig = CallsConfig()
    acme: AcmeSettings | None = None  # None: no `acme:` section, certificates by hand
    # (field path, why) of values that only stand in for the admin's (config.placeholders)
    unconfigured: tuple[tuple[str, str], ...] = ()

    def unconfigured_for(self, conn: Connection) -> tuple[str, ...]:
        """Stand-in fields that keep `conn` from working, as `sbc config set` names them
        (connections.Telekom.password): its own entry's, and sbc.fqdn for Teams, which
        admits a trunk only by the FQDN in our Contact and certificate."""
        prefixes = (conn.entry + ".", conn.entry + "[")
        own = [f"connections.{conn.group}{path[len(conn.entry):]}"
               for path, _ in self.unconfigured if path.startswith(prefixes)]
        if conn.kind == "teams" and any(path == "sbc.fqdn" for path, _ in self.unconfigured):
            own.insert(0, "sbc.fqdn")
        return tuple(own)

    def connection(self, name: str) -> Connection:
        for conn in self.connections:
            if conn.name == name:
                return conn
        raise KeyError(name)

    def group(self, group: str) -> tuple[Connection, ...]:
        """The connections of one failover group in the order they are tried."""
        members = [c for c in self.connections if c.group == group]
        return tuple(sorted(members, key=lambda c: c.priority))

    def targets(self, names: tuple[str, ...]) -> tuple[Connection, ...]:
        """Connections for route names in order: a group by priority, each one once."""
        out: dict[str, Connection] = {}
        for name in names:
            members = self.group(name) or tuple(c for c in self.connections if c.name == name)
            for conn in members:
                out.setdefault(conn.name, conn)
        return tuple(out.values())
