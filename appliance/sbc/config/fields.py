"""Every setting a connection can have, with its parser and built-in default.

Profiles (data files) only choose among these: which the admin must give, which they may
give, which are fixed and to what. So a new provider needs a YAML file, not code, and the
rules for a port or a CIDR stay written once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from .model import EMERGENCY_NUMBERS
from .nodes import INVALID, Doc, Node, child, describe
from .values import (
    Parser,
    ValueType,
    boolean,
    choice,
    e164,
    header_name,
    host,
    integer,
    list_of,
    networks,
    port,
    text,
    transport,
    typed,
)

# Headers the SBC builds itself; a profile or admin adding them would break routing.
OWN_HEADERS = frozenset(
    h.lower()
    for h in (
        "Via",
        "Contact",
        "Call-ID",
        "CSeq",
        "From",
        "To",
        "Content-Length",
        "Max-Forwards",
        "Record-Route",
        "Route",
        "Content-Type",
        "Authorization",
        "Proxy-Authorization",
    )
)


def _digits(*, allow_empty: bool, max_len: int) -> Parser:
    def parse(doc: Doc, node: Node, path: str) -> Any:
        value = text(allow_empty=allow_empty, max_len=max_len)(doc, node, path)
        if value is INVALID or value == "" or value.isdigit():
            return value
        return doc.error(node, path, f"must be digits only (got {value!r})")

    return typed(ValueType("digits", max_len=max_len))(parse)


@typed(ValueType("mapping"))
def headers(doc: Doc, node: Node, path: str) -> Any:
    """Extra headers as a mapping `Name: value`, kept in the order given."""
    if not isinstance(node, yaml.MappingNode):
        return doc.error(
            node, path, f"must be a mapping of Header-Name: value (got {describe(node)})"
        )
    out: list[tuple[str, str]] = []
    ok = True
    for key, key_node, value_node in doc.mapping_items(node, path):
        name = header_name(doc, key_node, child(path, key))
        value = text()(doc, value_node, child(path, key))
        if name is not INVALID and name.lower() in OWN_HEADERS:
            name = doc.error(key_node, child(path, key), "is set by the SBC itself")
        if name is INVALID or value is INVALID:
            ok = False
        else:
            out.append((name, value))
    return tuple(out) if ok else INVALID


@dataclass(frozen=True)
class FieldSpec:
    parse: Parser
    default: Any
    help: str


CONNECTION_FIELDS: dict[str, FieldSpec] = {
    "host": FieldSpec(host, None, "peer DNS name or IP; also the TLS SNI name"),
    "port": FieldSpec(port, None, "peer port; none = from DNS SRV or 5060/5061"),
    "transport": FieldSpec(transport, "udp", "udp, tcp or tls"),
    "resolve": FieldSpec(
        choice(("rfc3263", "static")), "rfc3263", "rfc3263: NAPTR/SRV/A; static: A only"
    ),
    "register": FieldSpec(boolean, False, "send REGISTER to the peer"),
    "domain": FieldSpec(host, None, "domain of the registered AOR; default: host"),
    "expires": FieldSpec(integer(60, 86400, "seconds"), 3600, "registration lifetime asked for"),
    "username": FieldSpec(text(max_len=128), None, "AOR user (From, To, REGISTER)"),
    "auth_user": FieldSpec(text(max_len=128), None, "digest user name; default: username"),
    "password": FieldSpec(text(max_len=256), None, "digest password"),
    "realm": FieldSpec(text(max_len=256), None, "digest realm; default: from the challenge"),
    "allowlist": FieldSpec(networks, (), "source networks allowed; empty = the peer's addresses"),
    "options": FieldSpec(boolean, True, "send OPTIONS keep-alives"),
    "headers": FieldSpec(headers, (), "headers added to requests and responses to this peer"),
    "priority": FieldSpec(integer(1, 1000), 1, "failover order inside the group (1 first)"),
    "group": FieldSpec(text(max_len=64), None, "failover group; default: the entry's name"),
    "country_code": FieldSpec(_digits(allow_empty=False, max_len=3), None, "e.g. 49"),
    "national_prefix": FieldSpec(_digits(allow_empty=True, max_len=4), "0", "trunk prefix"),
    "international_prefix": FieldSpec(_digits(allow_empty=True, max_len=4), "00", "exit code"),
    "number_format": FieldSpec(choice(("e164", "national")), "e164", "how the peer writes numbers"),
    "srtp": FieldSpec(boolean, False, "encrypt media toward the peer (SDES keys: TLS only)"),
    "media_bypass": FieldSpec(
        boolean,
        False,
        "Teams media bypass: Teams clients send media straight to sbc.public_ip, which must "
        "be public, with the media ports open from anywhere; the same on every Teams "
        "connection (Set-CsOnlinePSTNGateway -MediaBypass)",
    ),
    "identity": FieldSpec(
        choice(("pai", "ppi", "none")),
        "pai",
        "calling number header toward the peer: P-Asserted-, P-Preferred-Identity or none",
    ),
    "emergency_numbers": FieldSpec(
        list_of(_digits(allow_empty=False, max_len=8), allow_empty=False),
        EMERGENCY_NUMBERS,
        "emergency dial strings: never refused for a limit, always with a trunk number",
    ),
    "location": FieldSpec(
        choice(("pass", "drop")),
        "drop",
        "a caller's location (PIDF-LO body, Geolocation headers): pass on or drop",
    ),
    "trunk_number": FieldSpec(
        e164, None, "number presented on emergency calls; default: the line number"
    ),
}

FORMATS: dict[str, Parser] = {"e164": e164}
