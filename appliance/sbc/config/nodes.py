"""YAML as nodes, so every value keeps the line it came from.

`yaml.safe_load` throws positions away; `yaml.compose` keeps a node tree with marks. A
`Doc` wraps one composed file and turns nodes into Python values, reporting problems
against the node's line and a dotted field path (`connections[1].transport`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .issues import ConfigIssue, IssueLog, Severity

Node = yaml.Node

STR_TAG = "tag:yaml.org,2002:str"
INT_TAG = "tag:yaml.org,2002:int"
BOOL_TAG = "tag:yaml.org,2002:bool"
NULL_TAG = "tag:yaml.org,2002:null"
FLOAT_TAG = "tag:yaml.org,2002:float"

_CONSTRUCTOR = yaml.SafeLoader("")


class _Invalid:
    """Marks a value that failed validation; its error has already been logged."""

    _instance: _Invalid | None = None

    def __new__(cls) -> _Invalid:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "INVALID"

    def __bool__(self) -> bool:
        return False


INVALID = _Invalid()


def line_of(node: Node | None) -> int | None:
    """1-based line of a node (PyYAML marks are 0-based)."""
    return None if node is None else node.start_mark.line + 1


def describe(node: Node) -> str:
    """How a value looks to the admin, for 'got ...' in messages."""
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == NULL_TAG:
        return "nothing"
    return repr(node.value)


def scalar(node: Node) -> object:
    """The Python value of a scalar node as YAML 1.1 (PyYAML's SafeLoader) reads it."""
    return _CONSTRUCTOR.construct_object(node, deep=True)


def child(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


@dataclass
class Doc:
    """One YAML file being read: its name, its folder (for relative paths), the log."""

    file: str
    log: IssueLog
    base_dir: Path
    lines: dict[str, int] = field(default_factory=dict)  # field path -> line, for later checks

    def error(self, node: Node | None, path: str, message: str) -> _Invalid:
        self.log.add(ConfigIssue(self.file, line_of(node), path, message))
        return INVALID

    def warn(self, node: Node | None, path: str, message: str) -> None:
        self.log.add(ConfigIssue(self.file, line_of(node), path, message, Severity.WARNING))

    def compose(self, text: str) -> Node | None:
        """Parse text into a node tree; a syntax error becomes an issue, not an exception."""
        try:
            return yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = None if mark is None else mark.line + 1
            problem = exc.problem or str(exc)
            if exc.context:
                problem = f"{exc.context}: {problem}"
            self.log.add(ConfigIssue(self.file, line, "", f"YAML syntax: {problem}"))
        except yaml.YAMLError as exc:
            self.log.add(ConfigIssue(self.file, None, "", f"YAML syntax: {exc}"))
        return None

    def mapping_items(self, node: Node, path: str) -> Iterator[tuple[str, Node, Node]]:
        """(key, key node, value node) of a mapping; non-string and duplicate keys reported."""
        seen: dict[str, Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in (
                STR_TAG,
                INT_TAG,
            ):
                self.error(key_node, path, f"keys must be names (got {describe(key_node)})")
                continue
            key = str(key_node.value)
            if key in seen:
                self.error(
                    key_node,
                    child(path, key),
                    f"given twice (first on line {line_of(seen[key])})",
                )
                continue
            seen[key] = key_node
            yield key, key_node, value_node

    def is_null(self, node: Node | None) -> bool:
        return node is None or (isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG)
