"""Byte-preserving edits of SKILL.md frontmatter: replace one value's text, leave every other byte.

The YAML is composed (not loaded) so every top-level key and value carries its exact position in
the text. An edit replaces only the characters of the old value; comments, key order, quoting of
other keys, blank lines and line endings stay as they were. New keys are appended as one
`key: value` line. Values are written in the old value's quoting style where that style can hold
them, else double-quoted; strings that another YAML reader could take for a number, boolean,
null or date are always quoted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, TypeAlias

from skillgit.errors import UsageError

if TYPE_CHECKING:
    from ruamel.yaml.nodes import Node

Scalar: TypeAlias = str | int | float | bool | None
FrontmatterValue: TypeAlias = Scalar | Sequence[Scalar]
"""What skillgit writes as a frontmatter value: a scalar, or a list of scalars."""

_INDICATORS = set("-?:,[]{}#&*!|>'\"%@`")
_FLOW_CHARS = set(",[]{}")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", "nan", "inf", "=", "<<"}
_NUMBERISH = re.compile(r"[-+]?\.?[0-9][0-9_.,:eE+\-xXoO a-fA-FTZz]*")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


def is_plain_safe(text: str) -> bool:
    """True when `text` can be written unquoted and every YAML reader (1.1 or 1.2) reads it back."""
    if not text or text != text.strip() or not _printable(text):
        return False
    if text[0] in _INDICATORS or any(ch in _FLOW_CHARS for ch in text):
        return False
    if ": " in text or " #" in text or text.endswith(":") or "\t" in text:
        return False
    if text.lower().lstrip(".+-") in _RESERVED or _NUMBERISH.fullmatch(text):
        return False
    return True


def _printable(text: str) -> bool:
    return all(ch.isprintable() for ch in text)


def double_quoted(text: str) -> str:
    """`text` as a YAML double-quoted scalar on one line (escapes for quotes, breaks, non-printables)."""
    out = ['"']
    for ch in text:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) <= 0xFF:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def render_scalar(value: object, style: str | None = None) -> str:
    """One scalar as YAML text. `style` is the old value's style (None plain, `'` or `"`)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _render_float(value)
    if not isinstance(value, str):
        raise UsageError(f"cannot write a {type(value).__name__} as a frontmatter value; use a string, number, boolean or null.")
    if style == "'" and "\n" not in value and _printable(value):
        return "'" + value.replace("'", "''") + "'"
    if style in (None, "|", ">") and is_plain_safe(value):
        return value
    return double_quoted(value)


def _render_float(value: float) -> str:
    if value != value:
        return ".nan"
    if value in (float("inf"), float("-inf")):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    if "e" in text and "." not in text.split("e")[0]:
        mantissa, exponent = text.split("e")
        sign = exponent[0] if exponent[0] in "+-" else "+"
        text = f"{mantissa}.0e{sign}{exponent.lstrip('+-')}"
    return text


def render_value(value: object, style: str | None = None) -> str:
    """A scalar, or a list of scalars as a flow sequence `[a, "b c"]`."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(render_scalar(item) for item in _scalars(value)) + "]"
    if isinstance(value, Mapping):
        raise UsageError("frontmatter edits take scalars and lists only; edit nested mappings by hand.")
    return render_scalar(value, style)


def _scalars(items: Sequence[object]) -> Sequence[object]:
    for item in items:
        if isinstance(item, (list, tuple, Mapping)):
            raise UsageError("frontmatter lists may hold scalars only; edit nested values by hand.")
    return items


def render_key(key: str) -> str:
    if _KEY.fullmatch(key) and is_plain_safe(key):
        return key
    return double_quoted(key)


def render_frontmatter(fields: Mapping[str, object], newline: str = "\n") -> str:
    """`key: value` lines for a new frontmatter (scalars and lists of scalars), in the given order."""
    return "".join(f"{render_key(k)}: {render_value(v)}{newline}" for k, v in fields.items())


def compose(text: str) -> Node | None:
    """The YAML node tree of `text` (positions included); None for an empty document."""
    from ruamel.yaml import YAML

    root: Node | None = YAML(typ="safe", pure=True).compose(text)
    return root


def node_line(root: Node | None, path: Sequence[str | int]) -> int | None:
    """0-based line of the node at `path` (mapping keys / list indexes) in a composed tree."""
    node, line = root, None
    for part in path:
        if node is None:
            return line
        kind = type(node).__name__
        if kind == "MappingNode":
            for key_node, value_node in node.value:
                if getattr(key_node, "value", None) == part:
                    line, node = key_node.start_mark.line, value_node
                    break
            else:
                return line
        elif kind == "SequenceNode" and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line
        else:
            return line
    return line if path else None


def edit_text(text: str, updates: Mapping[str, object], newline: str) -> str:
    """`text` (frontmatter YAML) with the top-level keys in `updates` set; other bytes untouched."""
    root = compose(text)
    if root is not None and type(root).__name__ != "MappingNode":
        raise UsageError("frontmatter is not a mapping; write it as `key: value` lines.")
    if root is not None and getattr(root, "flow_style", None):
        raise UsageError("frontmatter is a flow mapping `{…}`; write it as `key: value` lines so it can be edited.")
    pairs = {k.value: (k, v) for k, v in (root.value if root is not None else []) if isinstance(k.value, str)}
    edits: list[tuple[int, int, str]] = []
    appended: list[str] = []
    indent = root.value[0][0].start_mark.column if root is not None and root.value else 0
    for key, value in updates.items():
        if key in pairs:
            edits.append(_replacement(text, *pairs[key], value))
        else:
            appended.append(f"{' ' * indent}{render_key(key)}: {render_value(value)}{newline}")
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    if appended:
        if text and not text.endswith("\n"):
            text += newline
        text += "".join(appended)
    return text


def _replacement(text: str, key_node: Node, value_node: Node, value: object) -> tuple[int, int, str]:
    """(start, end, new text) that replace the old value of one key."""
    start, end = value_node.start_mark.index, value_node.end_mark.index
    end = start + len(text[start:end].rstrip(" \t\r\n"))
    colon = text.index(":", key_node.end_mark.index) + 1
    kind = type(value_node).__name__
    if kind == "SequenceNode" and not getattr(value_node, "flow_style", None) and isinstance(value, (list, tuple)) and value:
        lead = "\n" + " " * value_node.start_mark.column + "- "
        return start, end, "- " + lead.join(render_scalar(item) for item in _scalars(value))
    if start == end:
        return colon, colon, " " + render_value(value)
    if value_node.start_mark.line != key_node.start_mark.line:
        return colon, end, " " + render_value(value)
    style = getattr(value_node, "style", None) if kind == "ScalarNode" else None
    return start, end, render_value(value, style)
