"""Commit-message trailers: a writer that refuses injection and a parser that follows git's algorithm.

The parser mirrors git's `trailer.c` (as used by `git interpret-trailers --parse --no-divider`): the
title paragraph is never trailers; the trailer block is the last paragraph when it is made only of
`Token: value` lines (with continuation lines), or when it holds a git-generated trailer
(`Signed-off-by: `) and at least 25% trailer lines. Tests check agreement against the real git.

On top of git's view, skillgit checks that governed keys (`Skill-*`) appear nowhere but in that final
block: a `Skill-Event:` line in the body is a forged trailer and makes the message invalid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import overload

from skillgit.errors import TrailerError

EVENT = "Skill-Event"
NAME = "Skill-Name"
TRIGGER = "Skill-Trigger"
EXPECTED = "Skill-Expected"
EVAL_SUMMARY = "Skill-Eval-Summary"
SCORE_DELTA = "Skill-Score-Delta"
VERSION = "Skill-Version"
PARENT_EVENT = "Skill-Parent-Event"
ROLLBACK_OF = "Skill-Rollback-Of"
REASON = "Skill-Reason"
SATURATION = "Skill-Saturation"
RENAMED_FROM = "Skill-Renamed-From"

KEYS = (EVENT, NAME, TRIGGER, EXPECTED, EVAL_SUMMARY, SCORE_DELTA, VERSION, PARENT_EVENT, ROLLBACK_OF, REASON, SATURATION,
        RENAMED_FROM)
_CANONICAL = {key.lower(): key for key in KEYS}
MAX_VALUE = 500
GIT_GENERATED_PREFIXES = ("Signed-off-by: ", "(cherry picked from commit ")
_GOVERNED_LINE = re.compile(r"^\s*(skill-[a-z0-9-]*)\s*:", re.IGNORECASE)


def canonical_key(key: str) -> str | None:
    """The canonical spelling of a governed key (case-insensitive), or None if not governed."""
    return _CANONICAL.get(key.strip().lower())


_NO_VALUES: dict[str, tuple[str, ...]] = dict.fromkeys(KEYS, ())


class _Indexes:
    """`Trailers.by_key` and `Trailers.by_governed_key`: both built at the first use of either, then kept in
    the instance, where later reads find them without calling this (as `functools.cached_property` does,
    without the lock it takes on each first use: `verify` builds them for every event it reads)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> _Indexes: ...

    @overload
    def __get__(self, instance: Trailers, owner: type | None = None) -> dict[str, tuple[str, ...]]: ...

    def __get__(self, instance: Trailers | None, owner: type | None = None) -> _Indexes | dict[str, tuple[str, ...]]:
        if instance is None:
            return self
        by_key: dict[str, tuple[str, ...]] = {}
        for key, value in instance.items:
            lower = key.lower()
            found = by_key.get(lower)
            by_key[lower] = (value,) if found is None else (*found, value)
        governed = _NO_VALUES.copy()
        for lower, values in by_key.items():
            canon = _CANONICAL.get(lower)
            if canon is not None:
                governed[canon] = values
        kept = instance.__dict__
        kept["by_key"], kept["by_governed_key"] = by_key, governed
        return kept[self.name]  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Trailers:
    """An ordered list of (key, value) pairs as found or to be written."""

    items: tuple[tuple[str, str], ...] = ()

    def get(self, key: str) -> str | None:
        """The last value of `key` (case-insensitive), as git's `%(trailers:key=…)` users expect."""
        values = self.by_governed_key.get(key)
        if values is None:
            values = self.by_key.get(key.lower())
        return values[-1] if values else None

    def get_all(self, key: str) -> list[str]:
        values = self.by_governed_key.get(key)
        return list(values if values is not None else self.by_key.get(key.lower(), ()))

    by_governed_key = _Indexes()
    """Each governed key as `KEYS` spells it → its values (`by_key`'s, none for a key not there): the
    rules ask for those, most of them many times per message, without lower-casing each time."""

    by_key = _Indexes()
    """Lower-cased key → its values in order (built once; lookups are then one dict access)."""

    def governed(self) -> list[tuple[str, str]]:
        """Governed pairs with canonical keys."""
        out = []
        for key, value in self.items:
            canon = canonical_key(key)
            if canon:
                out.append((canon, value))
        return out

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self.by_key


@dataclass(frozen=True)
class Message:
    """A parsed commit message."""

    title: str
    body: str
    trailers: Trailers
    forged: tuple[tuple[int, str], ...] = field(default=())
    """(line number, key) of governed keys found outside the final trailer block."""

    @property
    def event(self) -> str | None:
        return self.trailers.get(EVENT)


# -- parsing ---------------------------------------------------------------------------------------


_SEPARATOR = re.compile(r"(?:[A-Za-z0-9-]+[ \t]*)?:")


def _separator_pos(line: str) -> int:
    """git's find_separator: index of ':' after a token of [A-Za-z0-9-] and optional blanks, or -1.

    (git scans: token characters, then, past the first character, blanks only, up to the ':'.)
    """
    match = _SEPARATOR.match(line)
    return match.end() - 1 if match else -1


def _is_blank(line: str) -> bool:
    return not line.strip(" \t\n\r\v\f")


def _trailer_block_start(lines: list[str]) -> int:
    """Index of the first line of the trailer block, or len(lines) when there is none."""
    end_of_title = 0
    while end_of_title < len(lines):
        if not lines[end_of_title].startswith("#") and not lines[end_of_title].strip(_WS):
            break
        end_of_title += 1
    only_spaces = True
    recognized_prefix = False
    trailer_lines = non_trailer_lines = possible_continuation = 0
    separator = _SEPARATOR.match
    for i in range(len(lines) - 1, end_of_title - 1, -1):
        line = lines[i]
        if line.startswith("#"):
            non_trailer_lines += possible_continuation
            possible_continuation = 0
            continue
        if not line.strip(_WS):  # a blank line
            if only_spaces:
                continue
            non_trailer_lines += possible_continuation
            if recognized_prefix and trailer_lines * 3 >= non_trailer_lines:
                return i + 1
            if trailer_lines and not non_trailer_lines:
                return i + 1
            return len(lines)
        only_spaces = False
        if line.startswith(GIT_GENERATED_PREFIXES):
            trailer_lines += 1
            possible_continuation = 0
            recognized_prefix = True
            continue
        found = separator(line)
        if found is not None and found.end() >= 2 and not line[0].isspace():  # (a separator at 1 or later)
            trailer_lines += 1
            possible_continuation = 0
        elif line[0].isspace():
            possible_continuation += 1
        else:
            non_trailer_lines += 1 + possible_continuation
            possible_continuation = 0
    return len(lines)


def _block_items(lines: list[str]) -> list[tuple[str, str]]:
    items: list[list[str]] = []
    last: list[str] | None = None
    separator = _SEPARATOR.match
    for line in lines:
        if line.startswith("#"):
            last = None
            continue
        if last is not None and line[:1].isspace():
            last[1] += "\n" + line
            continue
        found = separator(line)
        if found is not None and found.end() >= 2:  # `_separator_pos(line) >= 1`
            pos = found.end() - 1
            last = [line[:pos].strip(_WS), line[pos + 1 :].strip(_WS)]
            items.append(last)
        else:
            last = None
    # a value without continuation lines is stripped already: `_unfold` would give it back as it is
    return [(key, _unfold(value) if "\n" in value else value) for key, value in items]


_WS = " \t\n\r\v\f"


_FOLD = re.compile(r"\n[ \t\n\r\v\f]*")


def _unfold(value: str) -> str:
    """git's unfold_value: each newline and the blanks after it become one space; then trim."""
    return _FOLD.sub(" ", value).strip(_WS) if "\n" in value else value.strip(_WS)


def parse_trailers(text: str) -> Trailers:
    """The trailers git sees in `text` (same pairs as `git interpret-trailers --parse --no-divider`)."""
    lines = _lines(text)
    start = _trailer_block_start(lines)
    return Trailers(tuple(_block_items(lines[start:])))


def parse_message(text: str) -> Message:
    """Title, body, trailers, and any governed keys that appear outside the trailer block."""
    lines = _lines(text)
    start = _trailer_block_start(lines)
    trailers = Trailers(tuple(_block_items(lines[start:])))
    head = lines[:start]
    title = head[0].strip() if head else ""
    joined = "\n".join(head)
    body = joined[len(head[0]) + 1 :].strip("\n") if head else ""
    forged = []
    # (a key `canonical_key` knows has `skill-` in its lower case: without one, no line of `head` has such a key)
    if "skill-" in joined.lower():
        for number, line in enumerate(head, start=1):
            match = _GOVERNED_LINE.match(line)
            if match and canonical_key(match.group(1)):
                forged.append((number, canonical_key(match.group(1)) or match.group(1)))
    # continuation lines under a governed key smuggle text into its value: treat as forged too
    block = lines[start:]
    for offset, line in enumerate(block):
        if line[:1].isspace() and line.strip(_WS):
            previous = next((b for b in reversed(block[:offset]) if not b[:1].isspace()), "")
            match = _GOVERNED_LINE.match(previous)
            if match and canonical_key(match.group(1)):
                forged.append((start + offset + 1, canonical_key(match.group(1)) or ""))
    return Message(title, body, trailers, tuple(forged))


def _lines(text: str) -> list[str]:
    text = text.replace("\r\n", "\n")
    return text.split("\n") if text else []


# -- writing ---------------------------------------------------------------------------------------


LINE_SEPARATORS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
"""Characters that end a line for some reader: git splits only on LF, Python's `splitlines()` (and
many editors and log viewers) on all of these, so a value holding one reads as two lines to some."""


_UNFIT = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
"""Line separators and control characters (tab excepted): one search finds either."""


def value_problem(value: str) -> str | None:
    """What makes `value` unfit as a trailer value (as skillgit writes and accepts them), or None."""
    found = _UNFIT.search(value)
    if found is not None:
        ch = found.group()
        if ch in LINE_SEPARATORS:
            return (f"the value contains a line break (U+{ord(ch):04X}); trailer values are one line "
                    "(a line break could inject a forged trailer)")
        return "the value contains control characters"
    stripped = value.strip(_WS)
    if not stripped:
        return "the value is empty"
    if len(stripped) > MAX_VALUE:
        return f"the value has {len(stripped)} characters (limit {MAX_VALUE})"
    return None


def check_value(key: str, value: str) -> str:
    """The value as it will be written, or TrailerError naming the key and the fix."""
    problem = value_problem(value)
    if problem is None:
        return value.strip(_WS)
    if "line break" in problem:
        raise TrailerError(f"trailer {key}: {problem}. Put details in the commit body instead.")
    if problem == "the value is empty":
        raise TrailerError(f"trailer {key}: the value is empty; give a one-line value.")
    if "characters (limit" in problem:
        raise TrailerError(f"trailer {key}: {problem}; shorten it.")
    raise TrailerError(f"trailer {key}: {problem}; remove them.")


def format_message(title: str, trailers: list[tuple[str, str]], body: str = "") -> str:
    """A commit message: title, blank line, optional body, blank line, trailer block.

    Refuses a title or body that carries a governed key, and values with line breaks.
    """
    title = title.strip()
    if not title or "\n" in title or "\r" in title:
        raise TrailerError("commit title must be one non-empty line.")
    body = body.replace("\r\n", "\n").strip("\n")
    for number, line in enumerate(body.split("\n") if body else [], start=2):
        match = _GOVERNED_LINE.match(line)
        if match and canonical_key(match.group(1)):
            raise TrailerError(
                f"commit body line {number}: `{match.group(1)}:` is a governed trailer key; "
                "governed keys may only appear in the final trailer block. Reword the body."
            )
    match = _GOVERNED_LINE.match(title)
    if match and canonical_key(match.group(1)):  # (`skill-creator: …` is a skill's name, not a key)
        raise TrailerError(f"commit title starts with the governed trailer key `{match.group(1)}:`; reword the title.")
    block = []
    for key, value in trailers:
        canon = canonical_key(key) or key
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]*", canon):
            raise TrailerError(f"trailer key {key!r} is not a valid token ([A-Za-z0-9-]); rename it.")
        block.append(f"{canon}: {check_value(canon, value)}")
    parts = [title]
    if body:
        parts.append(body)
    if block:
        parts.append("\n".join(block))
    return "\n\n".join(parts) + "\n"


def cleanup_message(text: str, comment_char: str = "#") -> str:
    """What git keeps of an edited message (cleanup=strip): drop the scissors part and comment lines."""
    kept = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.startswith(f"{comment_char} ------------------------ >8 ------------------------"):
            break
        if line.startswith(comment_char):
            continue
        kept.append(line.rstrip())
    out = "\n".join(kept).strip("\n")
    out = re.sub(r"\n{3,}", "\n\n", out)
    return out + "\n" if out else ""
