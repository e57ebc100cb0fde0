"""Change a few `sbc:` values in sbc.yaml as text, keeping every comment and layout.

The shipped /data/sbc.yaml explains itself in comments; a round trip through a YAML
library would drop them. So the file is composed (not loaded) to learn where each
value sits, and only those characters are replaced or lines added. Whether the result
is valid is not decided here: the caller hands it to sbc.config, as `sbc check` does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

import yaml

# Values the web console's SBC page edits. "tls_port" is the port of the TLS listener.
FIELDS = ("fqdn", "public_ip", "wan_ip", "tls_port", "options_interval")
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]*")
_DEFAULT_LISTEN = (("udp", 5060), ("tcp", 5060))
DEFAULT_TRACE = "/data/trace/sip.pcap"


class PatchError(ValueError):
    """The file's shape does not allow the change (e.g. `sbc` is not a mapping)."""


@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    text: str


def scalar(value: str) -> str:
    """`value` as a YAML scalar: plain when that reads back the same, else quoted."""
    if _PLAIN.fullmatch(value) and ": " not in value and value.lower() not in (
            "null", "true", "false", "yes", "no", "on", "off", "~"):
        return value
    return json.dumps(value)  # a JSON string is a YAML double-quoted scalar


def _pairs(node: yaml.MappingNode) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    return {k.value: (k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)}


def _line_end(text: str, index: int) -> int:
    """Index just past the newline ending the line that holds `index`."""
    end = text.find("\n", index)
    return len(text) if end < 0 else end + 1


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _insert_key(text: str, mapping: yaml.MappingNode, after: str | None, line: str,
                flow_item: str) -> _Edit:
    """Add `line` (block style, unindented) after key `after` or as the first key."""
    pairs = _pairs(mapping)
    if mapping.flow_style:
        close = mapping.end_mark.index - 1
        sep = ", " if mapping.value else ""
        return _Edit(close, close, sep + flow_item)
    scalars = [pair for pair in mapping.value if isinstance(pair[1], yaml.ScalarNode)]
    anchor = pairs.get(after or "") or (scalars[0] if scalars else None)
    if anchor is None or not isinstance(anchor[1], yaml.ScalarNode):
        raise PatchError("the sbc section has no plain value to add the new one after")
    key, value = anchor
    indent = " " * key.start_mark.column
    at = _line_end(text, value.end_mark.index - 1)
    return _Edit(at, at, "".join(f"{indent}{part}\n" for part in line.split("\n")))


def _remove_key(text: str, mapping: yaml.MappingNode, name: str) -> _Edit | None:
    pair = _pairs(mapping).get(name)
    if pair is None:
        return None
    key, value = pair
    if mapping.flow_style:
        return _Edit(value.start_mark.index, value.end_mark.index, "null")
    return _Edit(_line_start(text, key.start_mark.index),
                 _line_end(text, value.end_mark.index - 1), "")


def _set_key(text: str, mapping: yaml.MappingNode, name: str, value: str,
             after: str | None) -> _Edit:
    pair = _pairs(mapping).get(name)
    if pair is not None:
        node = pair[1]
        return _Edit(node.start_mark.index, node.end_mark.index, scalar(value))
    return _insert_key(text, mapping, after, f"{name}: {scalar(value)}",
                       f"{name}: {scalar(value)}")


def _tls_item(listen: yaml.SequenceNode) -> yaml.MappingNode | None:
    for item in listen.value:
        if isinstance(item, yaml.MappingNode):
            transport = _pairs(item).get("transport")
            if transport and getattr(transport[1], "value", None) == "tls":
                return item
    return None


def _set_tls_port(text: str, sbc: yaml.MappingNode, port: str) -> _Edit:
    listen = _pairs(sbc).get("listen")
    new_item = f"{{transport: tls, port: {scalar(port)}}}"
    if listen is None:  # the defaults apply today: spell them out with the new port
        items = [f"  - {{transport: {t}, port: {p}}}" for t, p in _DEFAULT_LISTEN]
        block = "\n".join(["listen:", *items, f"  - {new_item}"])
        return _insert_key(text, sbc, "public_ip", block,
                           f"listen: [{', '.join(i[4:] for i in items)}, {new_item}]")
    node = listen[1]
    if not isinstance(node, yaml.SequenceNode):
        raise PatchError("sbc.listen is not a list")
    item = _tls_item(node)
    if item is not None:
        return _set_key(text, item, "port", port, "transport")
    if node.flow_style:
        close = node.end_mark.index - 1
        return _Edit(close, close, (", " if node.value else "") + new_item)
    if not node.value:
        raise PatchError("sbc.listen is empty")
    last = node.value[-1]
    dash = text.rfind("-", 0, last.start_mark.index)
    indent = " " * (dash - _line_start(text, dash))
    at = _line_end(text, last.end_mark.index - 1)
    return _Edit(at, at, f"{indent}- {new_item}\n")


def _sbc_mapping(text: str) -> yaml.MappingNode:
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise PatchError(f"not YAML: {exc}") from None
    if not isinstance(root, yaml.MappingNode):
        raise PatchError("the file is not a mapping of sections")
    pair = _pairs(root).get("sbc")
    if pair is None or not isinstance(pair[1], yaml.MappingNode):
        raise PatchError("the file has no sbc: section to change")
    return pair[1]


def patch(text: str, changes: Mapping[str, str | None]) -> str:
    """`text` with each field in `changes` set (None: left alone; "" for wan_ip: removed).

    One field per call of the composer, so the positions always match the text.
    """
    for name in FIELDS:
        value = changes.get(name)
        if value is None:
            continue
        sbc = _sbc_mapping(text)
        value = value.strip()
        edit: _Edit | None
        if name == "tls_port":
            edit = _set_tls_port(text, sbc, value)
        elif name == "wan_ip" and not value:
            edit = _remove_key(text, sbc, "wan_ip")
        else:
            edit = _set_key(text, sbc, name, value, "public_ip" if name == "wan_ip" else None)
        if edit is not None:
            text = text[:edit.start] + edit.text + text[edit.end:]
    return text


def current(text: str) -> dict[str, object]:
    """The edited fields as the file has them now (defaults filled in), for the form."""
    doc = yaml.safe_load(text) or {}
    sbc = doc.get("sbc") if isinstance(doc, dict) else None
    sbc = sbc if isinstance(sbc, dict) else {}
    listen = sbc.get("listen") if isinstance(sbc.get("listen"), list) else None
    tls = [i for i in (listen or []) if isinstance(i, dict) and i.get("transport") == "tls"]
    trace = doc.get("trace") if isinstance(doc, dict) else None
    trace_path = trace.get("path") if isinstance(trace, dict) else None
    return {
        "fqdn": sbc.get("fqdn"),
        "public_ip": sbc.get("public_ip"),
        "wan_ip": sbc.get("wan_ip"),
        "tls_port": (tls[0].get("port", 5061) if tls else None) if listen else 5061,
        "options_interval": sbc.get("options_interval", 60),
        "trace_path": str(trace_path or DEFAULT_TRACE),
    }
