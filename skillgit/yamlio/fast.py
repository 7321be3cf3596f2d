"""An exact fast path for the simple YAML that SKILL.md frontmatter is made of.

`load_simple(text)` reads a document that is a block mapping at column 0 whose values are:

- scalars on the key's line: plain, `'single'` (with `''`) or `"double"` quoted without `\\`;
- flow lists of such scalars on the key's line: `[a, "b c", 'd']`, and flow mappings of them under
  plain keys: `{skills: skills, attic: "old skills"}`;
- after an empty `key:`, a block list of scalars (`- item`, at any one indent, 0 included)
  or a mapping of scalars indented under it (for `metadata:`);
- comment lines, trailing ` # comments` and blank lines anywhere.

Plain scalars are resolved exactly as ruamel.yaml's safe loader does (YAML 1.2), using a copy of
its implicit-resolver table; only forms whose construction is certain are built here (null,
`true`/`false` in three cases, `[-+]?` integers without leading zeros, decimals without exponent
or underscores), everything else that resolves to a non-string is left to ruamel.

Whatever falls outside the subset (tabs, `\\r` without `\\n`, characters the YAML reader refuses or
treats as line breaks, anchors, aliases, tags, block scalars, multi-line scalars, explicit keys,
other flow mappings, directives, duplicate keys, unexpected indentation, …) returns NOT_HANDLED, and
the caller parses with ruamel as before, so every value, error message and line number that
ruamel produces stays the same. tests/test_fast_yaml.py compares both over generated documents.
"""

from __future__ import annotations

import re
from typing import Any

NOT_HANDLED: Any = object()

# ruamel.yaml's YAML 1.2 implicit resolvers (resolver.py, `implicit_resolvers`), in its order:
# (tag, pattern, first characters). tests/test_fast_yaml.py checks this copy against ruamel.
RESOLVERS_1_2: tuple[tuple[str, str, str | tuple[str, ...]], ...] = (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("float", r"""^(?:
         [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""", "-+0123456789."),
    ("int", r"""^(?:[-+]?0b[0-1_]+
        |[-+]?0o?[0-7_]+
        |[-+]?[0-9_]+
        |[-+]?0x[0-9a-fA-F_]+)$""", "-+0123456789"),
    ("merge", r"^(?:<<)$", "<"),
    ("null", r"""^(?: ~
        |null|Null|NULL
        | )$""", ("~", "n", "N", "")),
    ("timestamp", r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
        |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
        (?:[Tt]|[ \t]+)[0-9][0-9]?
        :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
        (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""", "0123456789"),
    ("value", r"^(?:=)$", "="),
    ("yaml", r"^(?:!|&|\*)$", "!&*"),
)


_FIRST = {ch: tuple(tag for tag, _, first in RESOLVERS_1_2 if ch in first)
          for _, _, first in RESOLVERS_1_2 for ch in first}
_COMPILED: dict[str, re.Pattern[str]] = {}  # compiled on first use: a hook run needs few of them


def _pattern(tag: str) -> re.Pattern[str]:
    compiled = _COMPILED.get(tag)
    if compiled is None:
        compiled = _COMPILED[tag] = re.compile(next(p for t, p, _ in RESOLVERS_1_2 if t == tag), re.X)
    return compiled


_SIMPLE_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]{0,99})")
_SIMPLE_FLOAT = re.compile(r"[-+]?[0-9]{1,100}\.[0-9]{0,100}")
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}

# Outside what the YAML reader accepts, plus tab, CR, NEL, U+2028/9 (line breaks to ruamel) and BOM.
_OUTSIDE_PATTERN = "[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]"
_KEY_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_.-]{0,127}):(?: (.*))?\Z")
# A plain scalar may not start with an indicator; `-` only when a letter, digit or `.` follows.
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_PLAIN_FLOW_BAD = frozenset("[]{}#:?")


class _Unhandled(Exception):
    """The text is outside the subset: parse it with ruamel."""


def load_simple(text: str) -> Any:
    """The mapping `text` holds, as ruamel's safe loader + `_plain` would return it, or NOT_HANDLED."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if not _readable(text):
        return NOT_HANDLED
    try:
        return _Doc(text.split("\n")).mapping()[0]
    except _Unhandled:
        return NOT_HANDLED


def load_lines(text: str) -> Any:
    """Where the keys and list items of `text` are (for `line_at`), or NOT_HANDLED like `load_simple`."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if not _readable(text):
        return NOT_HANDLED
    try:
        return _Doc(text.split("\n")).mapping()[1]
    except _Unhandled:
        return NOT_HANDLED


def line_at(where: Any, path: tuple[str | int, ...]) -> int | None:
    """0-based line of the key or item at `path`, exactly as frontmatter.node_line finds it in
    ruamel's node tree: the deepest part of `path` that exists (None when the first does not)."""
    line = None
    for part in path:
        if isinstance(where, dict):
            if not isinstance(part, str) or part not in where:
                return line
            line, where = where[part]
        elif isinstance(where, list) and isinstance(part, int) and 0 <= part < len(where):
            line, where = where[part], None
        else:
            return line
    return line


def _readable(text: str) -> bool:
    """True when every character is one ruamel reads as an ordinary character (or `\\n`)."""
    if text.isascii():
        return text.replace("\n", "").isprintable()
    return re.search(_OUTSIDE_PATTERN, text) is None


class _Doc:
    """The lines of one document and a cursor; each method consumes what it reads.

    Besides values, the methods return where things are (0-based lines), shaped like the value:
    a mapping gives {key: (line of the key, where its value's parts are)}, a list gives [line of
    each item], a scalar gives None.
    """

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.pos = 0

    def next_content(self) -> tuple[int, str] | None:
        """(indent, text without indent) of the next line that is not blank or a comment."""
        lines = self.lines
        while self.pos < len(lines):
            line = lines[self.pos]
            body = line.lstrip(" ")
            if body and body[0] != "#":
                return len(line) - len(body), body
            self.pos += 1
        return None

    def mapping(self) -> tuple[dict[str, Any], dict[str, Any]]:
        out: dict[str, Any] = {}
        where: dict[str, Any] = {}
        while (found := self.next_content()) is not None:
            indent, body = found
            if indent:
                raise _Unhandled
            key, rest = _key_line(body)
            if key in out:
                raise _Unhandled
            line = self.pos
            self.pos += 1
            if _has_value(rest):
                out[key] = value = _inline(rest)
                where[key] = (line, _parts_at(line, value))
            else:
                out[key], parts = self.block_value()
                where[key] = (line, parts)
        if not out:
            raise _Unhandled
        return out, where

    def block_value(self) -> tuple[Any, Any]:
        """The value of a top-level `key:` with nothing after it: a block list, a mapping or null."""
        found = self.next_content()
        if found is None:
            return None, None
        indent, body = found
        if body.startswith("- ") or body == "-":
            return self.block_list(indent)
        if indent == 0:
            return None, None
        return self.nested_mapping(indent)

    def block_list(self, indent: int) -> tuple[list[Any], list[int]]:
        items: list[Any] = []
        where: list[int] = []
        while (found := self.next_content()) is not None:
            at, body = found
            if at < indent or (at == indent == 0 and not body.startswith("-")):
                break
            if at != indent or not body.startswith("- "):
                raise _Unhandled
            item = body[2:].lstrip(" ")
            if not _has_value(item):
                raise _Unhandled
            items.append(_scalar_line(item))
            where.append(self.pos)
            self.pos += 1
        return items, where

    def nested_mapping(self, indent: int) -> tuple[dict[str, Any], dict[str, Any]]:
        out: dict[str, Any] = {}
        where: dict[str, Any] = {}
        while (found := self.next_content()) is not None:
            at, body = found
            if at < indent:
                break
            if at != indent:
                raise _Unhandled
            key, rest = _key_line(body)
            if key in out or not _has_value(rest):
                raise _Unhandled
            out[key] = value = _inline(rest)
            where[key] = (self.pos, _parts_at(self.pos, value))
            self.pos += 1
        return out, where


def _key_line(body: str) -> tuple[str, str]:
    """(key, text after `key:`) of a `key: …` line whose key is a plain string."""
    match = _KEY_LINE.match(body)
    if match is None:
        raise _Unhandled
    key = _resolve(match.group(1))
    if not isinstance(key, str):
        raise _Unhandled
    return key, (match.group(2) or "").lstrip(" ")


def _has_value(rest: str) -> bool:
    """False when only a comment (or nothing) follows; the text is already left-stripped."""
    return bool(rest) and rest[0] != "#"


def _inline(text: str) -> Any:
    """A value on the key's line: a flow list, a flow mapping or a scalar (text starts with its first character)."""
    if text[0] == "[":
        items, end = _flow_list(text)
        _tail(text, end)
        return items
    if text[0] == "{":
        mapping, end = _flow_map(text)
        _tail(text, end)
        return mapping
    return _scalar_line(text)


def _parts_at(line: int, value: Any) -> Any:
    """Where the parts of a value on one line are (`_Doc`'s shape): all on that line."""
    if isinstance(value, list):
        return [line] * len(value)
    if isinstance(value, dict):
        return {key: (line, None) for key in value}
    return None


def _scalar_line(text: str) -> Any:
    """One scalar filling the rest of a line (plus an optional ` # comment`)."""
    first = text[0]
    if first in "\"'":
        value, end = _quoted(text, 0)
        _tail(text, end)
        return value
    if first in _INDICATORS and not (first == "-" and len(text) > 1 and (text[1].isalnum() or text[1] == ".")):
        raise _Unhandled
    cut = text.find(" #")
    plain = (text if cut < 0 else text[:cut]).rstrip(" ")
    if ": " in plain or plain.endswith(":"):
        raise _Unhandled
    return _resolve(plain)


def _tail(text: str, end: int) -> None:
    """After a quoted scalar or a flow list: nothing, spaces, or spaces and a comment."""
    rest = text[end:]
    stripped = rest.lstrip(" ")
    if stripped and not (stripped[0] == "#" and len(stripped) < len(rest)):
        raise _Unhandled


def _quoted(text: str, start: int) -> tuple[str, int]:
    """(value, index after the closing quote) of the quoted scalar at `start`, on one line."""
    quote = text[start]
    if quote == '"':
        end = text.find('"', start + 1)
        if end < 0:
            raise _Unhandled
        value = text[start + 1 : end]
        if "\\" in value:
            raise _Unhandled
        return value, end + 1
    parts: list[str] = []
    pos = start + 1
    while True:
        end = text.find("'", pos)
        if end < 0:
            raise _Unhandled
        parts.append(text[pos:end])
        if text.startswith("'", end + 1):
            parts.append("'")
            pos = end + 2
            continue
        return "".join(parts), end + 1


def _flow_list(text: str) -> tuple[list[Any], int]:
    """([items], index after `]`) of a one-line flow list of scalars starting at text[0] == '['."""
    items: list[Any] = []
    pos = _spaces(text, 1)
    if pos < len(text) and text[pos] == "]":
        return items, pos + 1
    while True:
        value, pos = _flow_scalar(text, pos, ",]")
        items.append(value)
        pos, done = _flow_next(text, pos, "]")
        if done:
            return items, pos


_FLOW_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,127}")


def _flow_map(text: str) -> tuple[dict[str, Any], int]:
    """({key: value}, index after `}`) of a one-line flow mapping starting at text[0] == '{': plain keys,
    each followed by `: ` and a scalar as in a flow list."""
    out: dict[str, Any] = {}
    pos = _spaces(text, 1)
    if pos < len(text) and text[pos] == "}":
        return out, pos + 1
    while True:
        match = _FLOW_KEY.match(text, pos)
        if match is None:
            raise _Unhandled
        key = _resolve(match.group())
        if not isinstance(key, str) or key in out or not text.startswith(": ", match.end()):
            raise _Unhandled
        out[key], pos = _flow_scalar(text, match.end() + 2, ",}")
        pos, done = _flow_next(text, pos, "}")
        if done:
            return out, pos


def _spaces(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] == " ":
        pos += 1
    return pos


def _flow_scalar(text: str, pos: int, stops: str) -> tuple[Any, int]:
    """(value, index after it) of the quoted or plain scalar at or after `pos` in a flow collection."""
    pos = _spaces(text, pos)
    if pos >= len(text):
        raise _Unhandled
    if text[pos] in "\"'":
        return _quoted(text, pos)
    end = pos
    while end < len(text) and text[end] not in stops:
        end += 1
    raw = text[pos:end].rstrip(" ")
    if not raw or _PLAIN_FLOW_BAD.intersection(raw):
        raise _Unhandled
    if raw[0] in _INDICATORS and not (raw[0] == "-" and len(raw) > 1 and (raw[1].isalnum() or raw[1] == ".")):
        raise _Unhandled
    return _resolve(raw), end


def _flow_next(text: str, pos: int, close: str) -> tuple[int, bool]:
    """After an item: (index after `close`, True) at the end, else (index of the next item, False)."""
    pos = _spaces(text, pos)
    if pos >= len(text):
        raise _Unhandled
    if text[pos] == close:
        return pos + 1, True
    if text[pos] != ",":
        raise _Unhandled
    pos = _spaces(text, pos + 1)
    if pos >= len(text) or text[pos] == close:
        raise _Unhandled
    return pos, False


def _resolve(plain: str) -> Any:
    """A plain scalar as ruamel's YAML 1.2 safe loader builds it (or _Unhandled when unsure)."""
    for tag in _FIRST.get(plain[:1], ()):
        if _pattern(tag).match(plain):
            break
    else:
        return plain
    if tag == "null":
        return None
    if tag == "bool":
        return _BOOLS[plain]
    if tag == "int" and _SIMPLE_INT.fullmatch(plain):
        return int(plain)
    if tag == "float" and _SIMPLE_FLOAT.fullmatch(plain):
        return float(plain)
    raise _Unhandled
