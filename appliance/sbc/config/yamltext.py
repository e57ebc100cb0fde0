"""Edit YAML as text: set, remove and append values, keeping every comment and the layout.

sbc.yaml explains itself in comments, and a round trip through a YAML library would drop
or move them. So the text is composed (not loaded) to learn where each value sits, and
only those characters change; new keys go after the mapping's last line at its indent.
Values arrive as YAML text (`yaml_scalar` quotes plain text). Whether the result is a
valid config is not decided here: the caller hands it to the loader.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import yaml

from .limits import compose

Where = tuple[str | int, ...]
INDENT = "  "
# A scalar written as is: no YAML syntax in it, so it reads back as the same text.
_PLAIN = re.compile(r"[A-Za-z0-9+/.][A-Za-z0-9._:/+@=-]*")
_STR = "tag:yaml.org,2002:str"
_NOT_TEXT = frozenset(("null", "true", "false", "yes", "no", "on", "off", "y", "n", "~"))


class EditError(ValueError):
    """The file's shape does not allow the change (e.g. `sbc` is a list, not a mapping)."""


def yaml_scalar(value: str) -> str:
    """`value` as a YAML string: plain when that reads back as the same text, else a
    double-quoted (JSON) string, so no value can add keys or lines."""
    if _PLAIN.fullmatch(value) and value.lower() not in _NOT_TEXT:
        node = yaml.compose(value, Loader=yaml.SafeLoader)
        if isinstance(node, yaml.ScalarNode) and node.value == value and node.tag == _STR:
            return value
    return _YAML_UNPRINTABLE.sub(_escape, json.dumps(value, ensure_ascii=False))


# Written as they are: YAML 1.1 §5.1 printable characters that are not line breaks (NEL,
# U+2028/9 fold in quoted scalars) nor a BOM. Others are escaped here, since JSON's
# surrogate pairs for characters beyond U+FFFF would read back as two characters.
_YAML_UNPRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd"
    "\U00010000-\U0010ffff]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def one_line(value: str) -> bool:
    """No YAML line break (LF, CR, NEL, U+2028/9) in `value`: it cannot add lines."""
    return not any(c in value for c in "\n\r\x85\u2028\u2029")


def plain_scalar(value: str) -> bool:
    """Whether `value` is one plain YAML scalar as typed (`5061`, `true`, `text`), not
    structure, a comment or several lines."""
    try:
        node = yaml.compose(value, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return False
    return isinstance(node, yaml.ScalarNode) and node.style is None and node.value == value


def _compose(text: str) -> yaml.Node | None:
    try:
        return compose(text)  # bounded: depth, aliases (config.limits)
    except yaml.YAMLError as exc:
        raise EditError(f"not YAML: {exc}") from None


def _name(where: Where) -> str:
    out = ""
    for part in where:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "the file"


def _pair(node: yaml.MappingNode, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    return next(((k, v) for k, v in node.value if getattr(k, "value", None) == key), None)


def find(text: str, where: Where) -> yaml.Node | None:
    """The node at `where`, or None when some part of the path is absent."""
    node = _compose(text)
    for part in where:
        if isinstance(part, int):
            if not isinstance(node, yaml.SequenceNode) or part >= len(node.value):
                return None
            node = node.value[part]
        else:
            pair = _pair(node, part) if isinstance(node, yaml.MappingNode) else None
            if pair is None:
                return None
            node = pair[1]
    return node


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _content_end(node: yaml.Node) -> int:
    """Index just past a node's last character (a block collection's end mark lies
    after trailing comments; this does not)."""
    while isinstance(node, yaml.CollectionNode) and not node.flow_style and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(last, tuple) else last
    return node.end_mark.index


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _line_end(text: str, index: int) -> int:
    """Index just past the newline of the line holding `index - 1` (the last character)."""
    end = text.find("\n", max(index - 1, 0))
    return len(text) if end < 0 else end + 1


def _splice(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


def _block(keys: Sequence[str], value: str, indent: str) -> str:
    """`a:\\n  b: value\\n` for keys (a, b) at `indent`."""
    lines = [f"{indent}{INDENT * i}{k}:" for i, k in enumerate(keys)]
    lines[-1] += f" {value}"
    return "".join(line + "\n" for line in lines)


def _flow(keys: Sequence[str], value: str) -> str:
    out = value
    for k in reversed(keys[1:]):
        out = f"{{{k}: {out}}}"
    return f"{keys[0]}: {out}"


def _value_region(text: str, key: yaml.Node, value: yaml.Node) -> tuple[int, int, str]:
    """(start, end, prefix) to replace a value: a block collection or an empty null is
    replaced from just after the key's colon."""
    if _is_null(value) and value.start_mark.index == value.end_mark.index or (
        isinstance(value, yaml.CollectionNode) and not value.flow_style
    ):
        colon = text.index(":", key.end_mark.index)
        return colon + 1, _content_end(value), " "
    return value.start_mark.index, value.end_mark.index, ""


def _insert_keys(text: str, mapping: yaml.MappingNode, keys: Sequence[str], value: str) -> str:
    """Add `keys[0]: {keys[1]: ... value}` as the mapping's last key."""
    if mapping.flow_style:
        close = mapping.end_mark.index - 1
        sep = ", " if mapping.value else ""
        return _splice(text, close, close, sep + _flow(keys, value))
    first_key = mapping.value[0][0]
    indent = " " * first_key.start_mark.column
    at = _line_end(text, _content_end(mapping))
    prefix = "" if at == 0 or text[at - 1] == "\n" else "\n"
    return _splice(text, at, at, prefix + _block(keys, value, indent))


def set_value(text: str, where: Where, value: str) -> str:
    """`text` with the value at `where` replaced by the YAML text `value` (one line);
    missing mappings on the way are added."""
    if not one_line(value):
        raise EditError(f"{_name(where)}: the value must be one line")
    root = _compose(text)
    if root is None or _is_null(root):
        tail = "" if not text or text.endswith("\n") else "\n"
        keys = [str(k) for k in where]
        return text + tail + _block(keys, value, "")
    node: yaml.Node = root
    for i, part in enumerate(where):
        if isinstance(part, int):
            if not isinstance(node, yaml.SequenceNode) or part >= len(node.value):
                raise EditError(f"{_name(where[: i + 1])} does not exist")
            node = node.value[part]
            continue
        if not isinstance(node, yaml.MappingNode):
            raise EditError(f"{_name(where[:i])} is not a mapping of settings")
        pair = _pair(node, part)
        rest = [str(k) for k in where[i:]]
        missing = pair is None or (i < len(where) - 1 and _is_null(pair[1]))
        if missing and any(isinstance(k, int) for k in where[i:]):
            raise EditError(f"{_name(where[: i + 1])} does not exist")
        if pair is None:
            if not node.value:  # `{}`
                return _splice(text, node.start_mark.index, node.end_mark.index,
                               "{" + _flow(rest, value) + "}")
            return _insert_keys(text, node, rest, value)
        key, child = pair
        if i == len(where) - 1 or missing:
            start, end, prefix = _value_region(text, key, child)
            new = value if i == len(where) - 1 else "{" + _flow(rest[1:], value) + "}"
            return _splice(text, start, end, prefix + new)
        node = child
    raise EditError("nothing to set")  # an empty `where`


def remove(text: str, where: Where) -> str:
    """`text` without the key or list item at `where` (unchanged when it is absent). A
    block list item takes the comment lines right above it (at its dash's indent) and
    those inside it after its last value along."""
    if not where:
        raise EditError("nothing to remove")
    parent = find(text, where[:-1])
    last = where[-1]
    if isinstance(last, int):
        if not isinstance(parent, yaml.SequenceNode) or last >= len(parent.value):
            return text
        return _remove_item(text, parent, last)
    if not isinstance(parent, yaml.MappingNode) or _pair(parent, last) is None:
        return text
    index = next(i for i, (k, _) in enumerate(parent.value) if k.value == last)
    return _remove_pair(text, parent, index)


def _remove_flow(text: str, starts: list[int], ends: list[int], index: int) -> str:
    """Cut item `index` of a flow collection with the comma beside it."""
    if index + 1 < len(starts):
        return _splice(text, starts[index], starts[index + 1], "")
    if index > 0:
        return _splice(text, ends[index - 1], ends[index], "")
    return _splice(text, starts[index], ends[index], "")


def _remove_pair(text: str, mapping: yaml.MappingNode, index: int) -> str:
    pairs = mapping.value
    if mapping.flow_style:
        starts = [k.start_mark.index for k, _ in pairs]
        ends = [v.end_mark.index for _, v in pairs]
        return _remove_flow(text, starts, ends, index)
    key, value = pairs[index]
    start = _line_start(text, key.start_mark.index)
    if text[start : key.start_mark.index].strip():  # "- key: v", a list item's first key
        if index + 1 < len(pairs):  # the next key moves up behind the dash
            return _splice(text, key.start_mark.index, pairs[index + 1][0].start_mark.index, "")
        return _splice(text, key.start_mark.index, _content_end(value), "{}")
    return _splice(text, start, _line_end(text, _content_end(value)), "")


def _dash(text: str, item: yaml.Node) -> int:
    return text.rfind("-", 0, item.start_mark.index)


def _remove_item(text: str, seq: yaml.SequenceNode, index: int) -> str:
    items = seq.value
    if seq.flow_style:
        starts = [i.start_mark.index for i in items]
        ends = [i.end_mark.index for i in items]
        return _remove_flow(text, starts, ends, index)
    dash = _dash(text, items[index])
    column = dash - _line_start(text, dash)
    start = _line_start(text, dash)
    end = _line_end(text, _content_end(items[index]))
    lines = text[:start].splitlines(keepends=True)
    while lines and _is_comment(lines[-1], column, exact=True):  # its heading comments
        start -= len(lines.pop())
    following = text[end:].splitlines(keepends=True)
    for line in following:  # comments inside the item, after its last value
        if not _is_comment(line, column + 1, exact=False):
            break
        end += len(line)
    return _splice(text, start, end, "")  # the last item gone: `key:` alone, null


def _is_comment(line: str, column: int, *, exact: bool) -> bool:
    stripped = line.lstrip(" ")
    indent = len(line) - len(stripped)
    if not stripped.startswith("#"):
        return False
    return indent == column if exact else indent >= column


def append_item(text: str, where: Where, item: Sequence[tuple[str, str]]) -> str:
    """Add a mapping (key, YAML value text) as the last item of the list at `where`,
    making the list when it is absent or empty."""
    node = find(text, where)
    if node is None or _is_null(node):
        flow = "[{" + ", ".join(f"{k}: {v}" for k, v in item) + "}]"
        if node is None and len(where) == 1:  # a new top-level list, written as a block
            tail = "" if not text or text.endswith("\n") else "\n"
            lines = [f"{where[0]}:", *_item_lines(item, INDENT)]
            return text + tail + "\n".join(lines) + "\n"
        return set_value(text, where, flow)
    if not isinstance(node, yaml.SequenceNode):
        raise EditError(f"{_name(where)} is not a list")
    if node.flow_style or not node.value:
        close = node.end_mark.index - 1
        sep = ", " if node.value else ""
        return _splice(text, close, close, sep + "{" + ", ".join(f"{k}: {v}" for k, v in item)
                       + "}")
    dash = _dash(text, node.value[0])
    indent = " " * (dash - _line_start(text, dash))
    at = _line_end(text, _content_end(node))
    return _splice(text, at, at, "".join(line + "\n" for line in _item_lines(item, indent)))


def _item_lines(item: Sequence[tuple[str, str]], indent: str) -> list[str]:
    return [f"{indent}{'- ' if i == 0 else '  '}{k}: {v}" for i, (k, v) in enumerate(item)]
