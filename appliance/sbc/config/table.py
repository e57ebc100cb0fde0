"""Read a YAML mapping through a table of keys: the one place that knows about unknown,
missing and defaulted settings, so each section is a table, not hand-written checks."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

from .nodes import INVALID, Doc, Node, child, describe, line_of
from .values import Parser

REQUIRED = object()

# What a change needs to take effect: the SBC reloads almost everything on SIGHUP;
# rtpengine reads its file (addresses, ports) only at start, so those need its restart
# as well; "restart" is for a setting the running SBC cannot take over.
Effect = Literal["reload", "restart-media", "restart"]


@dataclass(frozen=True)
class Key:
    """One setting: its YAML name, its parser, its default (REQUIRED if none), a line of
    help, what applying a change to it needs (`Effect`) and whether it is a secret."""

    name: str
    parse: Parser
    default: Any = None
    help: str = ""
    effect: Effect = "reload"
    secret: bool = False  # masked like a password (`sbc config show`, the web page)

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclass
class Fields:
    """Parsed values of one mapping plus the nodes they came from (for later checks)."""

    node: Node | None
    path: str
    values: dict[str, Any] = field(default_factory=dict)
    nodes: dict[str, Node] = field(default_factory=dict)
    ok: bool = True

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def node_of(self, name: str) -> Node | None:
        return self.nodes.get(name, self.node)


def unknown_key_message(key: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.5)
    hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(sorted(known))}"
    return f"unknown setting ({hint})"


def read_table(
    doc: Doc,
    node: Node | None,
    path: str,
    keys: Sequence[Key],
    *,
    at: Node | None = None,
    explain_unknown: Callable[[str], str | None] | None = None,
) -> Fields:
    """Parse `node` (a mapping, or absent/null for "all defaults") against `keys`.

    `at` is where to point when the whole mapping is missing (its parent's line);
    `explain_unknown` may give a better message than "unknown setting" for a key.
    """
    out = Fields(node if node is not None else at, path)
    line = line_of(out.node)
    if line is not None:
        doc.lines.setdefault(path, line)
    table = {k.name: k for k in keys}
    given: dict[str, Node] = {}
    if node is not None and not doc.is_null(node):
        if not isinstance(node, yaml.MappingNode):
            doc.error(node, path, f"must be a mapping of settings (got {describe(node)})")
            out.ok = False
            return out
        for key, key_node, value_node in doc.mapping_items(node, path):
            if key not in table:
                message = explain_unknown(key) if explain_unknown else None
                message = message or unknown_key_message(key, list(table))
                doc.error(key_node, child(path, key), message)
                out.ok = False
                continue
            given[key] = value_node
            doc.lines[child(path, key)] = key_node.start_mark.line + 1
    for spec in keys:
        if spec.name in given:
            value_node = given[spec.name]
            out.nodes[spec.name] = value_node
            if doc.is_null(value_node) and not spec.required:
                value = spec.default
            else:
                value = spec.parse(doc, value_node, child(path, spec.name))
        elif spec.required:
            value = doc.error(out.node, child(path, spec.name), "required setting is missing")
        else:
            value = spec.default
        if value is INVALID:
            out.ok = False
        out.values[spec.name] = value
    return out
