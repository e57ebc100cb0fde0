"""Value parsers: one small function per kind of setting (port, FQDN, CIDR, ...).

Each parser takes (doc, node, path) and returns the typed value, or INVALID after logging
a message that says what was expected and what was found. Section readers combine them in
tables, so a rule such as "ports are 1..65535" is written once.
"""

from __future__ import annotations

import ipaddress
import re
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .nodes import BOOL_TAG, INT_TAG, INVALID, NULL_TAG, Doc, Node, child, describe, scalar

Parser = Callable[[Doc, Node, str], Any]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

TRANSPORTS = ("udp", "tcp", "tls")

# RFC 1123 §2.1 host name label: letters, digits, hyphen; not starting or ending with '-'.
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# E.164 (ITU-T E.164 §6): '+', country code, at most 15 digits in all.
_E164 = re.compile(r"^\+[1-9][0-9]{5,14}$")
# RFC 3261 §25.1: header field name = token.
_TOKEN = re.compile(r"^[A-Za-z0-9.!%*_+`'~-]+$")


@dataclass(frozen=True)
class ValueType:
    """What a parser accepts, in words and numbers, for `sbc config show`, help texts and
    the property tests (which generate valid values from it)."""

    kind: str  # integer, boolean, choice, text, ip, network, fqdn, host, e164, path, list, ...
    lo: int | None = None
    hi: int | None = None
    unit: str = ""
    options: tuple[str, ...] = ()
    version: int | None = None
    max_len: int | None = None
    item: ValueType | None = None

    def __str__(self) -> str:
        if self.kind == "integer":
            return f"{self.lo}..{self.hi}" + (f" {self.unit}" if self.unit else "")
        if self.options:
            return " | ".join(self.options)
        if self.kind == "ip":
            return f"IPv{self.version} address" if self.version else "IP address"
        if self.kind == "list" and self.item is not None:
            return f"list of {self.item}"
        return self.kind


# Parser -> what it accepts. Weak keys: some parsers make helpers per call (file_path).
_TYPES: weakref.WeakKeyDictionary[Parser, ValueType] = weakref.WeakKeyDictionary()
YAML_VALUE = ValueType("yaml")
IP_PORT = "IP:PORT"  # a socket written as one text, such as media.rtpengine


def typed(value_type: ValueType) -> Callable[[Parser], Parser]:
    """Record what a parser accepts (see `value_type`)."""

    def mark(parser: Parser) -> Parser:
        _TYPES[parser] = value_type
        return parser

    return mark


def value_type(parser: Parser) -> ValueType:
    """What `parser` accepts; YAML_VALUE for parsers nobody described (nested sections)."""
    return _TYPES.get(parser, YAML_VALUE)


def _plain_text(doc: Doc, node: Node, path: str) -> str | Any:
    """Any scalar as the admin typed it: `password: 0123` stays '0123', not octal 83."""
    if not isinstance(node, yaml.ScalarNode) or node.tag == NULL_TAG:
        return doc.error(node, path, f"must be text (got {describe(node)})")
    return str(node.value)


def text(*, allow_empty: bool = False, max_len: int = 1024, multiline: bool = False) -> Parser:
    def parse(doc: Doc, node: Node, path: str) -> Any:
        value = _plain_text(doc, node, path)
        if value is INVALID:
            return value
        if not value and not allow_empty:
            return doc.error(node, path, "must not be empty")
        if len(value) > max_len:
            return doc.error(node, path, f"is longer than {max_len} characters")
        if "\0" in value or (not multiline and ("\r" in value or "\n" in value)):
            return doc.error(node, path, "must be one line (no line breaks or NUL)")
        return value

    return typed(ValueType("text", max_len=max_len))(parse)


def integer(lo: int, hi: int, unit: str = "") -> Parser:
    def parse(doc: Doc, node: Node, path: str) -> Any:
        if not isinstance(node, yaml.ScalarNode) or node.tag != INT_TAG:
            return doc.error(node, path, f"must be a whole number (got {describe(node)})")
        value = scalar(node)
        assert isinstance(value, int)
        if not lo <= value <= hi:
            suffix = f" {unit}" if unit else ""
            return doc.error(node, path, f"must be between {lo} and {hi}{suffix} (got {value})")
        return value

    return typed(ValueType("integer", lo, hi, unit))(parse)


@typed(ValueType("boolean"))
def boolean(doc: Doc, node: Node, path: str) -> Any:
    if not isinstance(node, yaml.ScalarNode) or node.tag != BOOL_TAG:
        return doc.error(node, path, f"must be true or false (got {describe(node)})")
    return bool(scalar(node))


def choice(options: Sequence[str]) -> Parser:
    def parse(doc: Doc, node: Node, path: str) -> Any:
        value = _plain_text(doc, node, path)
        if value is INVALID:
            return value
        if value.lower() not in options:
            return doc.error(node, path, f"must be one of {', '.join(options)} (got {value!r})")
        return value.lower()

    return typed(ValueType("choice", options=tuple(options)))(parse)


transport = choice(TRANSPORTS)


_PORT = integer(1, 65535)


@typed(ValueType("integer", 1, 65535))
def port(doc: Doc, node: Node, path: str) -> Any:
    return _PORT(doc, node, path)


def is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def fqdn_problem(value: str, *, need_dot: bool = True) -> str | None:
    """Why `value` is not a DNS host name, or None if it is one."""
    if is_ip(value):
        return f"must be a DNS name, not an IP address (got {value!r})"
    name = value[:-1] if value.endswith(".") else value
    if not name or len(name) > 253:
        return f"is not a valid DNS name (got {value!r})"
    labels = name.lower().split(".")
    bad = [label for label in labels if not _LABEL.match(label)]
    if bad:
        return f"is not a valid DNS name: bad label {bad[0]!r} (got {value!r})"
    if need_dot and len(labels) < 2:
        return f"must be a fully qualified name such as sbc.example.com (got {value!r})"
    if labels[-1].isdigit():
        return f"is not a valid DNS name: the last label is all digits (got {value!r})"
    return None


def normalise_name(value: str) -> str:
    return value.lower().rstrip(".")


@typed(ValueType("fqdn"))
def fqdn(doc: Doc, node: Node, path: str) -> Any:
    value = _plain_text(doc, node, path)
    if value is INVALID:
        return value
    problem = fqdn_problem(value)
    return doc.error(node, path, problem) if problem else normalise_name(value)


@typed(ValueType("host"))
def host(doc: Doc, node: Node, path: str) -> Any:
    """A peer: DNS name or IP literal (IPv6 with or without brackets)."""
    value = _plain_text(doc, node, path)
    if value is INVALID:
        return value
    bare = value[1:-1] if value.startswith("[") and value.endswith("]") else value
    if is_ip(bare):
        return str(ipaddress.ip_address(bare))
    problem = fqdn_problem(value, need_dot=False)
    if problem:
        return doc.error(node, path, f"must be a DNS name or an IP address (got {value!r})")
    return normalise_name(value)


def ip_address(*, version: int | None = None) -> Parser:
    def parse(doc: Doc, node: Node, path: str) -> Any:
        value = _plain_text(doc, node, path)
        if value is INVALID:
            return value
        try:
            addr = ipaddress.ip_address(value)
        except ValueError:
            what = "an IPv4 address" if version == 4 else "an IP address"
            return doc.error(node, path, f"must be {what} (got {value!r})")
        if version is not None and addr.version != version:
            return doc.error(node, path, f"must be an IPv{version} address (got {value!r})")
        return addr

    return typed(ValueType("ip", version=version))(parse)


@typed(ValueType("network"))
def network(doc: Doc, node: Node, path: str) -> Any:
    """CIDR such as 52.112.0.0/14; a bare address means that one host."""
    value = _plain_text(doc, node, path)
    if value is INVALID:
        return value
    try:
        loose = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return doc.error(
            node, path, f"must be an address or a CIDR network like 52.112.0.0/14 (got {value!r})"
        )
    if loose.network_address != ipaddress.ip_interface(value).ip:
        return doc.error(node, path, f"{value!r} has host bits set; did you mean {loose}?")
    return loose


@typed(ValueType("e164"))
def e164(doc: Doc, node: Node, path: str) -> Any:
    value = _plain_text(doc, node, path)
    if value is INVALID:
        return value
    compact = value.replace(" ", "").replace("-", "")
    if not _E164.match(compact):
        return doc.error(node, path, f"must be an E.164 number such as +4930123456 (got {value!r})")
    return compact


@typed(ValueType("header name"))
def header_name(doc: Doc, node: Node, path: str) -> Any:
    value = _plain_text(doc, node, path)
    if value is INVALID:
        return value
    if not _TOKEN.match(value):
        return doc.error(node, path, f"is not a valid SIP header name (got {value!r})")
    return value


@typed(ValueType("path"))
def file_path(doc: Doc, node: Node, path: str) -> Any:
    """A path; relative paths are taken from the config file's folder (labs, examples)."""
    value = text()(doc, node, path)
    if value is INVALID:
        return value
    p = Path(value)
    return p if p.is_absolute() else (doc.base_dir / p)


def list_of(item: Parser, *, allow_empty: bool = True) -> Parser:
    def parse(doc: Doc, node: Node, path: str) -> Any:
        if not isinstance(node, yaml.SequenceNode):
            return doc.error(node, path, f"must be a list (got {describe(node)})")
        if not node.value and not allow_empty:
            return doc.error(node, path, "must not be empty")
        out = [item(doc, sub, child(path, i)) for i, sub in enumerate(node.value)]
        return INVALID if any(v is INVALID for v in out) else tuple(out)

    return typed(ValueType("list", item=value_type(item)))(parse)


networks = list_of(network)
