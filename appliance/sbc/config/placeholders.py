"""Values that only stand in for the admin's own: the template's `CHANGE`, the example
domains and the documentation address ranges.

A template value passes every syntax check (sbc.example.com is a fine FQDN), so without
this the SBC would register with `CHANGE-ME` or announce 203.0.113.10 and the admin would
learn it from a peer's 403. They are reported as "not configured yet" with the field,
and a connection holding one waits instead of failing at its peer.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import yaml

from .nodes import Node, child

MARKER = "CHANGE"
# RFC 2606 §3: reserved for documentation.
EXAMPLE_DOMAINS = ("example.com", "example.net", "example.org")
# RFC 5737 §3: TEST-NET-1, -2 and -3.
DOCUMENTATION_NETS = tuple(
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
)


def placeholder_reason(value: str) -> str | None:
    """Why `value` is a stand-in (one phrase), or None when it may be real."""
    text = value.strip()
    if MARKER in text:
        return f"{text!r} is the template's placeholder"
    bare = text.split("/", 1)[0]
    try:
        address = ipaddress.ip_address(bare)
    except ValueError:
        name = text.lower().rstrip(".")
        host = name.rpartition("@")[2]
        for domain in EXAMPLE_DOMAINS:
            if host == domain or host.endswith("." + domain):
                return f"{text} is an example name (RFC 2606)"
        return None
    if any(address in net for net in DOCUMENTATION_NETS):
        return f"{text} is a documentation address (RFC 5737)"
    return None


def find_placeholders(node: Node | None, path: str = "") -> Iterator[tuple[str, Node, str]]:
    """(field path, node, reason) for every stand-in scalar under `node`, in file order."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                yield from find_placeholders(value_node, child(path, str(key_node.value)))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from find_placeholders(item, child(path, index))
    elif isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:str":
        reason = placeholder_reason(str(node.value))
        if reason is not None:
            yield path, node, reason
