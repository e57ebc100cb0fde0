"""What a file says for each setting now: parsed by the setting's own parser, or its
default when absent, as plain JSON values (for `sbc config show` and the web page)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .issues import IssueLog
from .model import Listener
from .nodes import INVALID, Doc
from .settings import TLS_PORT, Setting, fixed
from .table import REQUIRED
from .values import IP_PORT
from .yamltext import EditError, find


@dataclass(frozen=True)
class Current:
    """A setting's value: `given` False means the default applies; `problem` is the
    parser's message when the file's value is not valid (then `value` is the raw text)."""

    value: Any
    given: bool
    problem: str | None = None


def plain(value: Any, kind: str = "") -> Any:
    """A parsed value as JSON: addresses, paths, networks as text; tuples as lists, but
    IP:PORT as written and headers (pairs) as a mapping. `kind` is the ValueType's."""
    if value is REQUIRED or value is INVALID:
        return None
    if isinstance(value, bool | int | str | float) or value is None:
        return value
    if kind == IP_PORT:
        host, port = value
        return f"{host}:{port}"
    if isinstance(value, Listener):
        return {"transport": value.transport, "address": str(value.address), "port": value.port}
    if isinstance(value, tuple) and value and all(
            isinstance(v, tuple) and len(v) == 2 for v in value):
        return {str(k): plain(v) for k, v in value}  # headers
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, yaml.Node):
        return _node_value(value)
    return str(value)


def _node_value(node: yaml.Node) -> Any:
    try:
        return yaml.safe_load(yaml.serialize(node))
    except yaml.YAMLError:
        return None


def current(text: str, file: str | Path, setting: Setting) -> Current:
    """The value of `setting` in `text` (a file named `file`: relative paths follow it)."""
    if setting.path == TLS_PORT:
        return _tls_port(text, file, setting.default)
    assert setting.where is not None
    try:
        node = find(text, setting.where)
    except EditError as exc:
        return Current(None, False, str(exc))
    doc = Doc(str(file), IssueLog(), Path(file).resolve().parent)
    if doc.is_null(node):
        return Current(plain(setting.default, setting.type.kind), False)
    assert node is not None
    value = setting.parse(doc, node, setting.path)
    if value is INVALID:
        problem = "; ".join(i.message for i in doc.log.errors) or "invalid"
        return Current(_node_value(node), True, problem)
    return Current(plain(value, setting.type.kind), True)


def _tls_port(text: str, file: str | Path, default: int) -> Current:
    """The port of the first `transport: tls` listener; None when there is none."""
    got = current(text, file, fixed("sbc.listen"))
    if not got.given:
        return Current(default, False)
    if got.problem:
        return Current(None, True, got.problem)
    ports = [item["port"] for item in got.value if item["transport"] == "tls"]
    return Current(ports[0] if ports else None, True)
