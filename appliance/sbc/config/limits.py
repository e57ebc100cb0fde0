"""Bounds on a config file: its size, its nesting and what its aliases expand to.

The SBC reads `/data/sbc.yaml` on every SIGHUP, and PyYAML composes recursively in pure
Python: a 5,000-deep nesting ended in a RecursionError, a 4 MB file took 15-20 s. A real
sbc.yaml is a few kB and five levels deep, so anything far beyond is refused early with a
message naming the limit, before it costs time or the stack. Bytes that are not UTF-8 are
named by line and column, as every other problem is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent, CollectionStartEvent

from .issues import ConfigIssue

MAX_BYTES = 1 << 20  # 1 MiB: a large sbc.yaml is 20 kB
MAX_DEPTH = 64  # nested mappings and lists; sbc.yaml uses 5
MAX_NODES = 200_000  # values, aliases counted as what they stand for (no "billion laughs")


class LimitError(yaml.MarkedYAMLError):
    """The text exceeds one of the limits above (reported like a YAML syntax error)."""


def size_issue(file: str, size: int) -> ConfigIssue | None:
    """An error when `size` bytes is more than MAX_BYTES."""
    if size <= MAX_BYTES:
        return None
    return ConfigIssue(file, None, "", f"is {size} bytes; the limit is {MAX_BYTES} bytes "
                                      "(1 MiB): an sbc.yaml is a few kB, is this the right file?")


def read_config(path: Path) -> tuple[str | None, ConfigIssue | None]:
    """The file's text, or the issue saying why it cannot be used (too big, not UTF-8,
    unreadable). At most MAX_BYTES + 1 bytes are read."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)
            size = max(len(data), path.stat().st_size)
    except OSError as exc:
        return None, ConfigIssue(str(path), None, "", f"cannot read: {exc.strerror or exc}")
    too_big = size_issue(str(path), size)
    if too_big is not None:
        return None, too_big
    return decode(data, str(path))


def decode(data: bytes, file: str) -> tuple[str | None, ConfigIssue | None]:
    """UTF-8 text, or an error naming the line and column of the first bad byte."""
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, ConfigIssue(
            file, line, "",
            f"column {column}: byte 0x{data[exc.start]:02x} is not UTF-8; save the file as "
            "UTF-8 (an editor's 'Latin-1' or 'Windows-1252' setting writes such bytes)",
        )


class BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses deep nesting, self-referencing aliases and alias fan-out."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._open: list[str | None] = []  # anchors of the collections being composed
        self._nodes = 0
        self._sizes: dict[str, int] = {}  # anchor -> nodes it stands for

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()
        mark: Any = event.start_mark
        if isinstance(event, AliasEvent):
            if event.anchor in self._open:
                raise LimitError(None, None, f"the alias *{event.anchor} refers to a value "
                                 "that contains it", mark)
            self._count(self._sizes.get(event.anchor or "", 1), mark)
            return super().compose_node(parent, index)
        before = self._nodes
        self._count(1, mark)
        if isinstance(event, CollectionStartEvent):
            if len(self._open) >= MAX_DEPTH:
                raise LimitError(None, None, f"nested more than {MAX_DEPTH} levels deep (the "
                                 "limit); sbc.yaml needs a few", mark)
            self._open.append(event.anchor)
        try:
            node = super().compose_node(parent, index)
        finally:
            if isinstance(event, CollectionStartEvent):
                self._open.pop()
        if event.anchor is not None:
            self._sizes[event.anchor] = self._nodes - before
        return node

    def _count(self, nodes: int, mark: Any) -> None:
        self._nodes += nodes
        if self._nodes > MAX_NODES:
            raise LimitError(None, None, f"holds more than {MAX_NODES} values (aliases count "
                             "as what they repeat; the limit)", mark)


def compose(text: str) -> yaml.Node | None:
    """`yaml.compose` within the limits; raises yaml.YAMLError (LimitError included)."""
    return yaml.compose(text, Loader=BoundedLoader)


def compose_file(file: str, text: str) -> tuple[yaml.Node | None, ConfigIssue | None]:
    """The root node, or the issue for a syntax error or a limit, at its line."""
    too_big = size_issue(file, len(text.encode("utf-8", "replace")))
    if too_big is not None:
        return None, too_big
    try:
        return compose(text), None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = None if mark is None else mark.line + 1
        problem = exc.problem or str(exc)
        if isinstance(exc, LimitError):
            return None, ConfigIssue(file, line, "", problem)
        if exc.context:
            problem = f"{exc.context}: {problem}"
        return None, ConfigIssue(file, line, "", f"YAML syntax: {problem}")
    except yaml.YAMLError as exc:
        return None, ConfigIssue(file, None, "", f"YAML syntax: {exc}")
    except RecursionError:  # not expected within MAX_DEPTH; never a traceback
        return None, ConfigIssue(file, None, "", f"nested too deeply (limit {MAX_DEPTH})")
