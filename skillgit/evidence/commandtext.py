"""Commands in tool calls: how they are quoted, compared and clustered, and which commands a skill names."""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import SequenceMatcher
from functools import lru_cache

from skillgit.evidence.session import COMMAND_KEYS, ToolCall, render_command

_COMMAND = re.compile(r"^[a-z][a-z0-9._-]*(?:\s+\S+)+$")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_CD = re.compile(r"^(?:\s*cd\s+(?:\"[^\"]*\"|'[^']*'|\S+)\s*&&\s*)+")
HEAD_WORDS = re.compile(r"(?>(?:\s*cd\s+(?:\"[^\"]*\"|'[^']*'|\S+)\s*&&\s*)+)?\s*(\S+)?(?:\s+(\S+))?")
"""`_CD` (matched as a whole, as `core` takes it away), then the first two words of what is left: it matches
every text, its groups 1 and 2 are the words of `head` (None where there are fewer)."""
_PLACEHOLDER = re.compile(r"[<{$…]|\.\.\.|[A-Z]\.[A-Z]")
"""Where a quoted command turns into a placeholder: `<version>`, `{name}`, `$VAR`, `...`, `X.Y.Z`."""
_FENCE = re.compile(r"^```(?:bash|sh|shell|console|zsh)?\s*$")


def shown(call: ToolCall) -> str:
    """The command of a call as a person would quote it: the shell command itself, else `tool: arg`."""
    args = call.args
    named = False  # a `command` or `cmd` argument: `call.command` may show it
    for key in ("command", "cmd"):
        value = args.get(key)
        if value is None:
            continue
        named = True
        if isinstance(value, list):
            value = " ".join(str(v) for v in value)
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    if named:
        return call.command
    return render_command(call.name, args, _OTHER_KEYS)  # `call.command` past the two keys above, already looked up


_OTHER_KEYS = COMMAND_KEYS[2:]
"""The keys `ToolCall.command` looks up after `command` and `cmd`, in its order."""


def core(command: str) -> str:
    """A command without a leading `cd DIR &&` (agents prefix most shell calls with one; it is not the command)."""
    found = _CD.match(command)
    return command if found is None else command[found.end():]


@lru_cache(maxsize=1 << 16)
def similar(a: str, b: str, threshold: float) -> bool:
    """`alike`, the answers kept (a bounded cache): agents run the same commands over and over."""
    return alike(a, b, threshold)


def alike(a: str, b: str, threshold: float) -> bool:
    """difflib ratio of the two commands (without `cd DIR &&`) ≥ threshold; cheap upper bounds first."""
    return Alike(b, threshold)(a)


class Alike:
    """`alike(a, command, threshold)` for one `command` and many `a`: what depends on the command alone (its
    `core`, reversed, the bit masks of its characters, difflib's index of it) is found once, when first needed."""

    def __init__(self, command: str, threshold: float) -> None:
        self.b, self.threshold = core(command), threshold
        self.reversed: str | None = None
        self.masks: dict[str, int] | None = None
        self.matcher: SequenceMatcher[str] | None = None

    def __call__(self, a: str) -> bool:
        a, b, threshold = core(a), self.b, self.threshold
        if a == b:
            return True
        total = len(a) + len(b)
        if 2.0 * min(len(a), len(b)) / total < threshold:  # difflib's real_quick_ratio
            return False
        if self.reversed is None:
            self.reversed = b[::-1]
        if 2.0 * max(_common_prefix(a, b), _common_prefix(a[::-1], self.reversed)) / total >= threshold:
            return True  # difflib's first match is a longest common substring: at least the common prefix or suffix
        if self.masks is None:
            self.masks = _masks(b)
        if 2.0 * _common_length(self.masks, len(b), a) / total < threshold:  # difflib's matches: a common subsequence
            return False
        if self.matcher is None:
            self.matcher = SequenceMatcher(None, "", b, autojunk=False)
        self.matcher.set_seq1(a)
        return self.matcher.ratio() >= threshold


def _common_prefix(a: str, b: str) -> int:
    """The length of the common prefix of `a` and `b` (a binary search over slices compared in C)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        mid = (low + high + 1) // 2
        if a[:mid] == b[:mid]:
            low = mid
        else:
            high = mid - 1
    return low


def common_length(a: str, b: str) -> int:
    """The length of the longest common subsequence of `a` and `b`, bit-parallel (Allison–Dix, Hyyrö):
    one pass over `b` with an integer as wide as `a` — an upper bound of difflib's matching characters
    at a tenth of the cost of computing them."""
    return _common_length(_masks(a), len(a), b)


def _masks(a: str) -> dict[str, int]:
    """For each character of `a`, the bits of the places where it is."""
    masks: dict[str, int] = {}
    for i, char in enumerate(a):
        masks[char] = masks.get(char, 0) | (1 << i)
    return masks


def _common_length(masks: dict[str, int], size: int, b: str) -> int:
    """`common_length(a, b)` given `_masks(a)` and the length of `a`."""
    if not size or not b:
        return 0
    full = (1 << size) - 1
    row = full
    get = masks.get
    for char in b:
        match = row & get(char, 0)
        row = ((row + match) | (row - match)) & full
    return size - row.bit_count()


def head(command: str) -> str:
    """The first two words of a command (after `cd DIR &&`): the bucket similar commands are compared in."""
    first, second = HEAD_WORDS.match(command).group(1, 2)  # type: ignore[union-attr]  # it matches every text
    return "" if first is None else first if second is None else f"{first} {second}"


def expected_commands(keywords: Sequence[str], body: str) -> list[str]:
    """Keywords, then commands quoted in the body's Procedure section (placeholders cut off), lowercase."""
    out: list[str] = []

    def add(text: str) -> None:
        text = _PLACEHOLDER.split(" ".join(text.split()))[0].strip().lower()
        if len(text) >= 3 and text not in out:
            out.append(text)

    for keyword in keywords:
        add(keyword)
    in_procedure = in_fence = shell = False
    for line in body.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            in_fence, shell = (False, False) if in_fence else (True, _FENCE.match(stripped) is not None)
            continue
        if stripped.startswith("#") and not in_fence:
            in_procedure = "procedure" in stripped.lower()
            continue
        if not in_procedure or (in_fence and not shell):
            continue
        if in_fence:
            command = stripped.removeprefix("$ ").strip()
            if command and not command.startswith("#") and _COMMAND.match(command):
                add(command)
        else:
            for span in _CODE_SPAN.findall(line):
                if _COMMAND.match(span.strip()):
                    add(span)
    return out
