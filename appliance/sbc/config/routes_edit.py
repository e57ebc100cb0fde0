"""Edit the `routes:` section as text: add a rule at a position, set or clear its fields,
move it, remove it, keeping comments and layout (yamltext), as `sbc config` edits
settings. Nothing here writes: `change.commit` validates the new text with the loader
and saves it only when it has no error.

Rules are named by their `name` (or `routes[N]` for one without). A rule added while the
file has no `routes:` section replaces the default routes, so the defaults in effect are
written out after it first: adding one rule never silently stops the other calls.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from .change import Editor
from .model import Route
from .yamltext import EditError, append_item, find, one_line, remove, set_value, yaml_scalar

SECTION = "routes"
FIELDS = ("name", "from", "called", "calling", "rewrite_called", "rewrite_calling", "to")
NAME_LISTS = frozenset({"from", "to"})
_FIELD_PATH = re.compile(r"^routes\[(\d+)\](?:\.([a-z_]+))?")


def quoted(value: str) -> str:
    """A YAML string: plain when it can be, else single-quoted (regexes and `\\1` read
    as typed: '^\\+49(\\d+)$'), else the double-quoted form."""
    plain = yaml_scalar(value)
    if not plain.startswith('"'):
        return plain
    if one_line(value) and value.isprintable():
        single = "'" + value.replace("'", "''") + "'"
        node = yaml.compose(single, Loader=yaml.SafeLoader)
        if isinstance(node, yaml.ScalarNode) and node.value == value:
            return single
    return plain


def split_names(raw: str) -> list[str]:
    """'Teams, Pbx', '[Teams, Pbx]' or 'Teams' -> the names."""
    text = raw.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return [n.strip().strip("'\"") for n in text.split(",") if n.strip()]


def render_field(field: str, raw: str) -> str:
    """The YAML text for one field of a rule as typed in a form or on the command line."""
    if field in NAME_LISTS:
        names = split_names(raw)
        if len(names) == 1:
            return quoted(names[0])
        return "[" + ", ".join(quoted(n) for n in names) + "]"
    return quoted(raw)


@dataclass(frozen=True)
class RawRule:
    """One rule as written in the file (before the loader): strings and name lists."""

    index: int
    name: str  # its `name`, else routes[N]
    named: bool
    values: dict[str, Any]
    line: int | None


def _plain(node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return node.value
    if isinstance(node, yaml.SequenceNode):
        return [_plain(n) for n in node.value]
    if isinstance(node, yaml.MappingNode):
        return {getattr(k, "value", "?"): _plain(v) for k, v in node.value}
    return None


def raw_rules(text: str) -> list[RawRule] | None:
    """The rules as written; None when there is no `routes:` section (or it is null)."""
    try:
        node = find(text, (SECTION,))
    except EditError:
        return []
    if node is None or (isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")):
        return None
    if not isinstance(node, yaml.SequenceNode):
        return []
    out = []
    for i, item in enumerate(node.value):
        values = _plain(item) if isinstance(item, yaml.MappingNode) else {}
        assert isinstance(values, dict)
        name = values.get("name")
        named = isinstance(name, str) and bool(name)
        out.append(RawRule(i, str(name) if named else f"routes[{i}]", named, values,
                           item.start_mark.line + 1))
    return out


def error_place(field: str, rules: Sequence[RawRule] | None) -> tuple[int | None, str | None]:
    """`routes[2].called` -> (2, 'called'); `routes[1].to[0]` -> (1, 'to')."""
    match = _FIELD_PATH.match(field or "")
    if not match:
        return None, None
    return int(match[1]), match[2]


def _spans(text: str, seq: yaml.SequenceNode) -> list[tuple[int, int]]:
    """Each item's text: a block item with its heading comments and whole lines, a flow
    item from its first to its last character."""
    items = seq.value
    if seq.flow_style:
        return [(i.start_mark.index, i.end_mark.index) for i in items]
    out = []
    for item in items:
        dash = text.rfind("-", 0, item.start_mark.index)
        start = text.rfind("\n", 0, dash) + 1
        column = dash - start
        while start > 0:  # heading comments at the dash's column
            prev = text.rfind("\n", 0, start - 1) + 1
            line = text[prev:start]
            if line.lstrip(" ").startswith("#") and len(line) - len(line.lstrip(" ")) == column:
                start = prev
            else:
                break
        end = _content_end(item)
        nl = text.find("\n", end)
        end = len(text) if nl < 0 else nl + 1
        while end < len(text):  # comments inside the item, after its last value
            nl = text.find("\n", end)
            line = text[end: len(text) if nl < 0 else nl + 1]
            stripped = line.lstrip(" ")
            if stripped.startswith("#") and len(line) - len(stripped) > column:
                end += len(line)
            else:
                break
        out.append((start, end))
    return out


def _content_end(node: yaml.Node) -> int:
    while isinstance(node, yaml.CollectionNode) and not node.flow_style and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(last, tuple) else last
    return node.end_mark.index


def reorder(text: str, order: Sequence[int]) -> str:
    """The routes list with its items in `order` (old indexes), the gaps between items
    (blank lines, commas) where they were."""
    if not text.endswith("\n"):
        text += "\n"
    seq = find(text, (SECTION,))
    if not isinstance(seq, yaml.SequenceNode):
        raise EditError("routes is not a list")
    spans = _spans(text, seq)
    pieces = [text[s:e] for s, e in spans]
    if not seq.flow_style:
        pieces = [p if p.endswith("\n") else p + "\n" for p in pieces]
    out = text[: spans[0][0]]
    for n, old in enumerate(order):
        out += pieces[old]
        if n + 1 < len(spans):
            out += text[spans[n][1]: spans[n + 1][0]]
    return out + text[spans[-1][1]:]


def default_items(routes: Sequence[Route]) -> list[list[tuple[str, str]]]:
    """The default routes as rules to write out."""
    items = []
    for r in routes:
        item = [("name", quoted(r.name))]
        if r.sources:
            item.append(("from", render_field("from", ", ".join(r.sources))))
        item.append(("to", render_field("to", ", ".join(r.to))))
        items.append(item)
    return items


class RoutesEditor:
    """Route edits on an `Editor`'s text; refusals go to its errors (field `routes...`)."""

    def __init__(self, editor: Editor, defaults: Sequence[Route] = ()) -> None:
        self.editor = editor
        self.defaults = tuple(defaults)  # the default routes in effect (no section)
        self.wrote_defaults: list[str] = []
        self.added: int | None = None  # the new rule's index after `add`

    def _rules(self) -> list[RawRule] | None:
        return raw_rules(self.editor.text)

    def _find(self, name: str) -> RawRule | None:
        rules = self._rules() or []
        rule = next((r for r in rules if r.name == name), None)
        if rule is None:
            rule = next((r for r in rules if r.name.lower() == name.lower()), None)
        if rule is None:
            known = ", ".join(r.name for r in rules) or "none written"
            self.editor.refuse(SECTION, f"no rule named {name!r} (rules: {known})")
        return rule

    def _position(self, position: int | None, count: int, key: str) -> int | None:
        """A 1-based position (None: the end) as a 0-based index."""
        if position is None:
            return count
        if not 1 <= position <= count + 1:
            self.editor.refuse(key, f"position must be 1..{count + 1} (got {position})")
            return None
        return position - 1

    def add(self, values: Sequence[tuple[str, str]], position: int | None = None) -> None:
        item: list[tuple[str, str]] = []
        given = dict(values)
        for field, _raw in values:
            if field not in FIELDS:
                self.editor.refuse(f"{SECTION}.{field}",
                                   f"not a field of a rule ({', '.join(FIELDS)})")
        if self.editor.errors:
            return
        for field in FIELDS:  # written in the usual order
            raw = given.get(field, "").strip()
            if raw:
                item.append((field, render_field(field, raw)))
        rules = self._rules()
        fresh = rules is None
        count = 0 if fresh else len(rules or [])
        new_index = count
        if fresh and self.defaults and position is None:
            position = 1  # the new rule first, then the defaults it would replace
        try:
            text = append_item(self.editor.text, (SECTION,), item)
            if fresh and self.defaults:
                for extra in default_items(self.defaults):
                    text = append_item(text, (SECTION,), extra)
                self.wrote_defaults = [r.name for r in self.defaults]
                count = len(self.defaults)
        except EditError as exc:
            self.editor.refuse(SECTION, str(exc))
            return
        index = self._position(position, count, f"{SECTION}[{new_index}]")
        if index is None:
            return
        self.added = index
        if index != new_index:
            order = list(range(count + 1))
            order.remove(new_index)
            order.insert(index, new_index)
            text = reorder(text, order)
        self._done(given.get("name") or f"{SECTION}[{index}]", text)

    def set(self, name: str, values: Sequence[tuple[str, str]]) -> None:
        rule = self._find(name)
        if rule is None:
            return
        text = self.editor.text
        for field, raw in values:
            where = (SECTION, rule.index, field)
            if field not in FIELDS:
                self.editor.refuse(f"{SECTION}[{rule.index}].{field}",
                                   f"not a field of a rule ({', '.join(FIELDS)})")
                continue
            try:
                if raw.strip():
                    text = set_value(text, where, render_field(field, raw.strip()))
                else:
                    text = remove(text, where)
            except EditError as exc:
                self.editor.refuse(f"{SECTION}[{rule.index}].{field}", str(exc))
        if not self.editor.errors:
            self._done(rule.name, text)

    def move(self, name: str, position: int) -> None:
        rule = self._find(name)
        if rule is None:
            return
        count = len(self._rules() or [])
        if not 1 <= position <= count:
            self.editor.refuse(f"{SECTION}[{rule.index}]",
                               f"position must be 1..{count} (got {position})")
            return
        order = list(range(count))
        order.remove(rule.index)
        order.insert(position - 1, rule.index)
        if order != list(range(count)):
            self._done(rule.name, reorder(self.editor.text, order))

    def remove(self, name: str) -> None:
        rule = self._find(name)
        if rule is None:
            return
        rules = self._rules() or []
        try:
            if len(rules) == 1:  # the last rule: the default routes apply again
                text = remove(self.editor.text, (SECTION,))
            else:
                text = remove(self.editor.text, (SECTION, rule.index))
        except EditError as exc:
            self.editor.refuse(SECTION, str(exc))
            return
        self._done(rule.name, text)

    def _done(self, name: str, text: str) -> None:
        if text != self.editor.text:
            self.editor.text = text
            key = f"{SECTION}.{name}"
            if key not in self.editor.changed:
                self.editor.changed.append(key)
            if "reload" not in self.editor.effects:
                self.editor.effects.append("reload")
