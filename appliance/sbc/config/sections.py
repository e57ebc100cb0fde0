"""The fixed sections of sbc.yaml: `sbc`, `hosts`, `syslog`, `trace`, `acme`.

Connections live in `connections.py` because their shape comes from profile files.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import yaml

from ..certs.paths import CertPaths
from .model import (
    DEFAULT_PORTS,
    AcmeSettings,
    HostEntry,
    IPAddress,
    Limits,
    Listener,
    SbcSettings,
    SyslogSettings,
    TlsSettings,
    TraceSettings,
)
from .nodes import INVALID, Doc, Node, child, describe
from .table import REQUIRED, Key, read_table
from .values import (
    IP_PORT,
    ValueType,
    boolean,
    choice,
    file_path,
    fqdn,
    fqdn_problem,
    host,
    integer,
    ip_address,
    list_of,
    networks,
    port,
    text,
    transport,
    typed,
)

# Teams treats a trunk as healthy only with an OPTIONS in the last 3 minutes (MS-MON).
TEAMS_OPTIONS_LIMIT = 180
DEFAULT_MODEL = "Appliance"
SYSLOG_FACILITIES = (
    "kern",
    "user",
    "mail",
    "daemon",
    "auth",
    "syslog",
    "lpr",
    "news",
    "uucp",
    "cron",
    "authpriv",
    "ftp",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
)

_LISTEN_KEYS = (
    Key("transport", transport, REQUIRED),
    Key("address", ip_address(), ipaddress.ip_address("0.0.0.0")),
    Key("port", port),
)


@typed(ValueType("{transport, address, port}"))
def _listener(doc: Doc, node: Node, path: str) -> Any:
    f = read_table(doc, node, path, _LISTEN_KEYS)
    if not f.ok:
        return INVALID
    return Listener(f["transport"], f["address"], f["port"] or DEFAULT_PORTS[f["transport"]])


def default_listeners() -> tuple[Listener, ...]:
    any4 = ipaddress.IPv4Address("0.0.0.0")
    return tuple(Listener(t, any4, DEFAULT_PORTS[t]) for t in ("udp", "tcp", "tls"))


# The defaults are where `sbc cert` writes, so a fresh appliance needs no tls section.
_CERTS = CertPaths()
_TLS_KEYS = (
    Key("cert", file_path, _CERTS.cert, "our certificate with its chain (PEM)"),
    Key("key", file_path, _CERTS.key, "its private key (PEM)"),
    Key("ca_bundle", file_path, _CERTS.ca_bundle, "roots we trust for peers"),
)

_LIMIT_KEYS = (
    Key(
        "max_message_bytes",
        integer(1500, 1048576, "bytes"),
        Limits.max_message_bytes,
        "longer SIP messages are refused",
    ),
    Key("max_connections", integer(1, 100000), Limits.max_connections, "TCP/TLS connections"),
    Key(
        "tcp_idle_timeout",
        integer(10, 86400, "seconds"),
        Limits.tcp_idle_timeout,
        "an idle TCP/TLS connection is closed",
    ),
    Key(
        "max_connections_per_source",
        integer(1, 100000),
        Limits.max_connections_per_source,
        "TCP/TLS connections from one address",
    ),
)

_SBC_KEYS = (
    Key("fqdn", fqdn, REQUIRED, "the SBC's public DNS name; Contact/Via/Record-Route carry it"),
    # rtpengine announces public_ip and binds wan_ip (sbc.config.rtpengine): restart it too.
    Key("public_ip", ip_address(version=4), REQUIRED, "the address peers see", "restart-media"),
    Key(
        "wan_ip",
        ip_address(version=4),
        None,
        "the WAN interface address behind 1:1 NAT",
        "restart-media",
    ),
    Key(
        "listen",
        list_of(_listener, allow_empty=False),
        None,
        "SIP sockets: {transport, address, port} each",
    ),
    Key("options_interval", integer(10, 3600, "seconds"), 60, "seconds between OPTIONS"),
    Key("tls", lambda d, n, p: n, None, "certificate, key and trust store"),
    Key("limits", lambda d, n, p: n, None, "bounds against misbehaving peers"),
    Key("model", text(max_len=64), DEFAULT_MODEL, "the model in X-MS-SBC"),
    Key(
        "admin_allowlist",
        networks,
        (),
        "networks that may reach SSH and the web console; empty = any",
    ),
)


def _clash(a: Listener, b: Listener) -> bool:
    """Two listeners need the same socket: same port, UDP vs stream, overlapping address."""
    if a.port != b.port or (a.transport == "udp") != (b.transport == "udp"):
        return False
    if a.address.version != b.address.version:
        return False
    return a.address == b.address or a.address.is_unspecified or b.address.is_unspecified


def _check_listeners(doc: Doc, node: Node | None, listeners: tuple[Listener, ...]) -> bool:
    ok = True
    items = node.value if isinstance(node, yaml.SequenceNode) else []
    for i, item in enumerate(listeners):
        for j in range(i):
            other = listeners[j]
            if _clash(item, other):
                where = items[i] if i < len(items) else node
                ok = False
                doc.error(
                    where,
                    child("sbc.listen", i),
                    f"{item.transport} {item.address}:{item.port} clashes with sbc.listen[{j}] "
                    f"({other.transport} {other.address}:{other.port})",
                )
                break
    return ok


def read_sbc(doc: Doc, node: Node | None, at: Node | None) -> SbcSettings | None:
    f = read_table(doc, node, "sbc", _SBC_KEYS, at=at)
    tls = read_table(doc, f.get("tls"), "sbc.tls", _TLS_KEYS, at=f.node_of("tls"))
    limits = read_table(doc, f.get("limits"), "sbc.limits", _LIMIT_KEYS, at=f.node_of("limits"))
    if not (f.ok and tls.ok and limits.ok):
        return None
    listen = f["listen"] or default_listeners()
    if not _check_listeners(doc, f.nodes.get("listen"), listen):
        return None
    if f["wan_ip"] is not None and f["wan_ip"] == f["public_ip"]:
        doc.warn(
            f.node_of("wan_ip"),
            "sbc.wan_ip",
            "equals public_ip; leave wan_ip out unless the SBC sits behind 1:1 NAT",
        )
    if f["options_interval"] > TEAMS_OPTIONS_LIMIT:
        doc.warn(
            f.node_of("options_interval"),
            "sbc.options_interval",
            f"{f['options_interval']} s is longer than {TEAMS_OPTIONS_LIMIT} s; Teams demotes "
            "an SBC that sent no OPTIONS for 3 minutes (60 is usual)",
        )
    return SbcSettings(
        fqdn=f["fqdn"],
        public_ip=f["public_ip"],
        wan_ip=f["wan_ip"],
        listen=listen,
        options_interval=f["options_interval"],
        tls=TlsSettings(tls["cert"], tls["key"], tls["ca_bundle"]),
        limits=Limits(**limits.values),
        model=f["model"],
        admin_allowlist=f["admin_allowlist"],
    )


def split_host_port(value: str) -> tuple[str, str | None]:
    """'1.2.3.4' / '1.2.3.4:5080' / '::1' / '[::1]:5080' -> (address, port text)."""
    if value.startswith("["):
        inside, _, rest = value[1:].partition("]")
        if not rest:
            return inside, None
        return inside, rest[1:] if rest.startswith(":") else "bad"
    if value.count(":") == 1:
        address, port_text = value.split(":")
        return address, port_text
    return value, None


def ip_port(value: str, default_port: int | None = None) -> tuple[IPAddress, int] | None:
    """'IP', 'IP:PORT' or '[IPv6]:PORT' as (address, port); None when malformed, or when
    no port is given and there is no `default_port`."""
    address_text, port_text = split_host_port(value)
    try:
        address = ipaddress.ip_address(address_text)
        port_no = int(port_text) if port_text is not None else default_port
    except ValueError:
        return None
    if port_no is None or not 1 <= port_no <= 65535:
        return None
    return address, port_no


def _host_entry(doc: Doc, name: str, node: Node, path: str) -> HostEntry | None:
    value = text()(doc, node, path)
    if value is INVALID:
        return None
    address_text, port_text = split_host_port(value)
    try:
        address = ipaddress.ip_address(address_text)
        port_no = None if port_text is None else int(port_text)
        if port_no is not None and not 1 <= port_no <= 65535:
            raise ValueError(port_text)
    except ValueError:
        doc.error(node, path, f"must be 'IP' or 'IP:PORT' such as 127.0.0.1:5080 (got {value!r})")
        return None
    return HostEntry(name, address, port_no)


def read_hosts(doc: Doc, node: Node | None) -> dict[str, HostEntry] | None:
    """The static host map; names are compared case-insensitively, without a final dot."""
    if doc.is_null(node):
        return {}
    assert node is not None
    if not isinstance(node, yaml.MappingNode):
        doc.error(node, "hosts", f"must be a mapping of name: IP[:PORT] (got {describe(node)})")
        return None
    out: dict[str, HostEntry] = {}
    seen: set[str] = set()
    ok = True
    for key, key_node, value_node in doc.mapping_items(node, "hosts"):
        name = host(doc, key_node, child("hosts", key))
        if name is INVALID:
            ok = False
            continue
        if name in seen:
            ok = False
            doc.error(key_node, child("hosts", key), "given twice (names ignore case)")
            continue
        seen.add(name)
        entry = _host_entry(doc, name, value_node, child("hosts", key))
        if entry is None:
            ok = False
        else:
            out[name] = entry
    return out if ok else None


_SYSLOG_KEYS = (
    Key("host", ip_address(), REQUIRED, "the remote syslog server's IP address"),
    Key("port", port, 514, "the syslog server's port"),
    Key("protocol", choice(("udp", "tcp", "tls")), "udp", "RFC 5424 over UDP, TCP or TLS"),
    Key("ca_file", file_path, None, "roots for a TLS syslog server (default: sbc.tls.ca_bundle)"),
    Key("facility", choice(SYSLOG_FACILITIES), "local0", "syslog facility of every line"),
    Key("hostname", text(max_len=255), None, "HOSTNAME field; default: sbc.fqdn"),
)


def read_syslog(doc: Doc, node: Node | None) -> SyslogSettings | None:
    f = read_table(doc, node, "syslog", _SYSLOG_KEYS)
    if not f.ok:
        return None
    if f["ca_file"] is not None and f["protocol"] != "tls":
        doc.warn(f.node_of("ca_file"), "syslog.ca_file", "only used with protocol tls")
    return SyslogSettings(**f.values)


_TRACE_KEYS = (
    Key("enabled", boolean, TraceSettings.enabled, "trace from the SBC's start"),
    Key("path", file_path, TraceSettings.path, "the pcap file (decrypted SIP)"),
    Key("include_options", boolean, TraceSettings.include_options, "also trace OPTIONS"),
    Key(
        "max_bytes",
        integer(65536, 10 * 1024**3, "bytes"),
        TraceSettings.max_bytes,
        "size of one file before it rotates",
    ),
    Key("files", integer(1, 100), TraceSettings.files, "rotated files kept"),
)


def read_trace(doc: Doc, node: Node | None) -> TraceSettings | None:
    f = read_table(doc, node, "trace", _TRACE_KEYS)
    return TraceSettings(**f.values) if f.ok else None


TSIG_ALGORITHMS = ("hmac-sha256", "hmac-sha384", "hmac-sha512", "hmac-sha224", "hmac-sha1")


# RFC 8555 §6.1: the directory is fetched over HTTPS, and so is everything after it.
@typed(ValueType("https URL"))
def _https_url(doc: Doc, node: Node, path: str) -> Any:
    value = text(max_len=2048)(doc, node, path)
    if value is INVALID:
        return value
    if not value.startswith("https://") or len(value) <= len("https://"):
        return doc.error(node, path, f"must be an https:// URL of an ACME directory "
                                     f"(got {value!r})")
    return value


@typed(ValueType("e-mail address"))
def _email(doc: Doc, node: Node, path: str) -> Any:
    value = text(max_len=254)(doc, node, path)
    if value is INVALID:
        return value
    local, at, domain = value.rpartition("@")
    if not at or not local or fqdn_problem(domain) or " " in value:
        return doc.error(node, path, f"must be an e-mail address (got {value!r})")
    return value


@typed(ValueType("fraction", unit="of the lifetime"))
def _fraction(doc: Doc, node: Node, path: str) -> Any:
    """0.05..0.9 as a number (0.33) or a ratio ("1/3")."""
    value = _plain(doc, node, path)
    if value is INVALID:
        return value
    try:
        top, slash, bottom = value.partition("/")
        number = float(top) / float(bottom) if slash else float(value)
    except (ValueError, ZeroDivisionError):
        number = -1.0
    if not 0.05 <= number <= 0.9:
        return doc.error(node, path, f"must be a fraction of the lifetime between 0.05 and "
                                     f"0.9, such as 1/3 or 0.33 (got {value!r})")
    return number


@typed(ValueType(IP_PORT))
def _dns_server(doc: Doc, node: Node, path: str) -> Any:
    """'IP' (port 53) or 'IP:PORT'."""
    value = text(max_len=64)(doc, node, path)
    if value is INVALID:
        return value
    found = ip_port(value, 53)
    if found is None:
        return doc.error(node, path, f"must be IP or IP:PORT such as 192.0.2.53 (got {value!r})")
    return (str(found[0]), found[1])


def _plain(doc: Doc, node: Node, path: str) -> Any:
    return text(max_len=32)(doc, node, path)


_ACME_KEYS = (
    Key("directory", _https_url, REQUIRED, "the ACME CA's directory URL"),
    Key("email", _email, None, "contact for the CA's expiry and policy mails"),
    Key("challenge", choice(("http-01", "dns-01")), "http-01",
        "how the CA checks the name: HTTP on port 80, or a DNS TXT record"),
    Key("eab_kid", text(max_len=256), None, "External Account Binding key id (commercial CAs)"),
    Key("eab_hmac", text(max_len=512), None, "External Account Binding HMAC key (base64url)",
        secret=True),
    Key("renew_at", _fraction, AcmeSettings.renew_at,
        "renew when this fraction of the lifetime is left"),
    Key("http_port", port, AcmeSettings.http_port,
        "port of the HTTP-01 answer (80, unless a NAT forwards port 80 elsewhere)"),
    Key("dns_server", _dns_server, None,
        "DNS-01: the primary DNS server taking RFC 2136 updates (IP or IP:PORT)"),
    Key("dns_zone", fqdn, None, "DNS-01: the zone to update (default: the FQDN's parent)"),
    Key("tsig_name", text(max_len=255), None, "DNS-01: the TSIG key's name"),
    Key("tsig_secret", text(max_len=512), None, "DNS-01: the TSIG key's secret (base64)",
        secret=True),
    Key("tsig_algorithm", choice(TSIG_ALGORITHMS), AcmeSettings.tsig_algorithm,
        "DNS-01: the TSIG key's algorithm"),
)
_DNS01_NEEDS = ("dns_server", "tsig_name", "tsig_secret")


def read_acme(doc: Doc, node: Node | None) -> AcmeSettings | None:
    """The `acme:` section; EAB needs both its key id and its HMAC."""
    f = read_table(doc, node, "acme", _ACME_KEYS)
    if not f.ok:
        return None
    if (f["eab_kid"] is None) != (f["eab_hmac"] is None):
        given, missing = ("eab_kid", "eab_hmac") if f["eab_hmac"] is None else (
            "eab_hmac", "eab_kid")
        doc.error(f.node_of(given), f"acme.{missing}",
                  f"External Account Binding needs {missing} too (the CA gives both)")
        return None
    if f["challenge"] == "dns-01":
        missing_keys = [k for k in _DNS01_NEEDS if f[k] is None]
        if missing_keys:
            for key in missing_keys:
                doc.error(f.node_of("challenge"), f"acme.{key}",
                          "challenge dns-01 needs dns_server, tsig_name and tsig_secret")
            return None
    return AcmeSettings(**f.values)
