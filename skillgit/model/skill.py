"""The skill file: `SKILL.md` = a `---` line, YAML frontmatter, a `---` line, a Markdown body.

`parse_skill` reads bytes into a frozen `Skill` that keeps the exact bytes; `Skill.with_fields`
and `Skill.with_body` return a new `Skill` whose bytes differ from the old ones only in what was
changed (comments, key order, quoting, CRLF/LF and the final newline survive). Only the first
`---` line after the opening one ends the frontmatter: a `---` in the body is body text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import TYPE_CHECKING

from skillgit.errors import SkillFileError, UsageError
from skillgit.git import blob_id

if TYPE_CHECKING:
    from ruamel.yaml.nodes import Node

    from skillgit.model.frontmatter import FrontmatterValue

SKILL_FILE = "SKILL.md"
MAX_FRONTMATTER_BYTES = 64 * 1024
MAX_SKILL_BYTES = 16 * 1024 * 1024
MAX_FLOW_OPENERS = 256  # the YAML scanner is quadratic in `[`/`{` nesting depth; bound it up front
NAME_MAX = 64
BOM = b"\xef\xbb\xbf"

_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_DELIMITER = re.compile(r"^---[ \t]*\r?$", re.MULTILINE)
_YAML_WHERE = re.compile(r"^(?P<line>\d+|\?)?:? ?(?P<rest>.*)$", re.DOTALL)


class SkillParseError(SkillFileError):
    """A SKILL.md that cannot be read or parsed; the parts are kept for reports."""

    def __init__(self, path: str, line: int | None, problem: str, fix: str) -> None:
        self.path, self.line, self.problem, self.fix = path, line, problem, fix
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {problem}; {fix}")


def name_is_safe(name: object) -> bool:
    """A valid skill name: `[a-z0-9]+(-[a-z0-9]+)*`, at most 64 characters (so never `../x` or `a/b`)."""
    return isinstance(name, str) and len(name) <= NAME_MAX and _NAME.fullmatch(name) is not None


def check_name(name: object) -> str:
    """`name` if it is a valid skill name, else UsageError with the fix."""
    if not isinstance(name, str) or not name_is_safe(name):
        suggestion = slugify(str(name)) or "my-skill"
        raise UsageError(
            f"skill name {name!r} is not allowed: use 1-{NAME_MAX} lowercase letters, digits and single "
            f"hyphens (no `/`, `..`, leading or trailing hyphen); for example `{suggestion}`."
        )
    return name


def slugify(text: str) -> str:
    """A valid skill name made from `text` ('' when nothing is left)."""
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))[:NAME_MAX].strip("-")


@dataclass(frozen=True)
class Skill:
    """One SKILL.md. Equality and hashing use `path` and `raw`; the rest is derived from them."""

    path: str
    raw: bytes
    frontmatter: Mapping[str, object] = field(compare=False)
    body: str = field(compare=False)
    newline: str = field(compare=False)
    span: tuple[int, int] = field(compare=False)
    body_offset: int = field(compare=False)

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8")

    @property
    def frontmatter_text(self) -> str:
        """The YAML between the two `---` lines, exactly as in the file."""
        return self.raw[self.span[0] : self.span[1]].decode("utf-8")

    @property
    def name(self) -> str:
        """The frontmatter `name` ('' when missing or not a string)."""
        value = self.frontmatter.get("name")
        return value if isinstance(value, str) else ""

    @property
    def dir_name(self) -> str:
        return PurePosixPath(self.path).parent.name

    @property
    def description(self) -> str:
        value = self.frontmatter.get("description")
        return value if isinstance(value, str) else ""

    @property
    def origin(self) -> str | None:
        value = self.frontmatter.get("origin")
        return value if isinstance(value, str) else None

    @property
    def core(self) -> bool:
        return self.frontmatter.get("core") is True

    @property
    def status(self) -> str | None:
        value = self.frontmatter.get("status")
        return value if isinstance(value, str) else None

    @property
    def keywords(self) -> tuple[str, ...]:
        value = self.frontmatter.get("keywords")
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list):
            return tuple(str(item) for item in value if item is not None)
        return ()

    @property
    def version(self) -> str:
        """The skill version id: the git blob id of the file bytes."""
        return blob_id(self.raw)

    def line_of(self, key_path: tuple[str | int, ...]) -> int | None:
        """The file line (1-based) of a frontmatter key or list item, None when it is not there."""
        from skillgit.yamlio.fast import NOT_HANDLED, line_at

        where = self._where
        if where is not NOT_HANDLED:
            line = line_at(where, key_path)
        else:
            from skillgit.model.frontmatter import node_line

            line = node_line(self._nodes, key_path)
        return None if line is None else line + 1 + self._first_line()

    @cached_property
    def _where(self) -> object:
        """Key and item lines from the fast reader (NOT_HANDLED: ask ruamel's node tree)."""
        from skillgit.yamlio.fast import load_lines

        return load_lines(self.frontmatter_text)

    @cached_property
    def _nodes(self) -> Node | None:
        from skillgit.model.frontmatter import compose

        return compose(self.frontmatter_text)

    def _first_line(self) -> int:
        return self.raw[: self.span[0]].count(b"\n")

    def with_field(self, key: str, value: FrontmatterValue) -> Skill:
        return self.with_fields({key: value})

    def with_fields(self, updates: Mapping[str, FrontmatterValue] | None = None, /, **more: FrontmatterValue) -> Skill:
        """A copy with top-level frontmatter keys set; only the bytes of those values change.

        Keys that are missing are appended as `key: value` lines before the closing `---`.
        Values are scalars or lists of scalars. Setting `name` checks it is a safe skill name.
        """
        from skillgit.model.frontmatter import edit_text

        changes = {**(updates or {}), **more}
        if not changes:
            return self
        for key in changes:
            if not isinstance(key, str) or not key:
                raise UsageError(f"{self.path}: frontmatter keys must be non-empty strings, not {key!r}.")
        if "name" in changes:
            check_name(changes["name"])
        try:
            new_yaml = edit_text(self.frontmatter_text, changes, self.newline)
        except UsageError as exc:
            raise SkillParseError(self.path, self._first_line() + 1, str(exc).rstrip("."), "edit the file by hand.") from None
        raw = self.raw[: self.span[0]] + new_yaml.encode("utf-8") + self.raw[self.span[1] :]
        new = parse_skill(raw, self.path)
        expected = {**self.frontmatter, **{k: list(v) if isinstance(v, tuple) else v for k, v in changes.items()}}
        if dict(new.frontmatter) != expected:
            raise SkillParseError(
                self.path,
                self._first_line() + 1,
                f"setting {', '.join(sorted(changes))} would not read back as written",
                "edit the file by hand.",
            )
        return new

    def with_body(self, body: str) -> Skill:
        """A copy with a new body; the frontmatter and both `---` lines keep their exact bytes."""
        return parse_skill(self.raw[: self.body_offset] + body.encode("utf-8"), self.path)


def render_skill(fields: Mapping[str, FrontmatterValue], body: str, *, newline: str = "\n", path: str = SKILL_FILE) -> Skill:
    """A new SKILL.md from frontmatter fields (in order) and a body."""
    from skillgit.model.frontmatter import render_frontmatter

    if "name" in fields:
        check_name(fields["name"])
    text = f"---{newline}{render_frontmatter(fields, newline)}---{newline}{body}"
    return parse_skill(text.encode("utf-8"), path)


def parse_skill(raw: bytes, path: str) -> Skill:
    """Parse SKILL.md bytes. Bad input raises SkillParseError ("path:line: problem; fix")."""
    if len(raw) > MAX_SKILL_BYTES:
        raise SkillParseError(path, None, f"file is {len(raw)} bytes, over the limit of {MAX_SKILL_BYTES}",
                              "split the skill into a shorter SKILL.md and reference files.")
    if raw.startswith(BOM):
        raise SkillParseError(path, 1, "file starts with a UTF-8 byte order mark (BOM)",
                              "save it as UTF-8 without BOM.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SkillParseError(path, line, f"not valid UTF-8 at byte {exc.start}", "save the file as UTF-8.") from None
    first_end = text.find("\n") + 1 or len(text)
    if not _DELIMITER.fullmatch(text[:first_end].rstrip("\n")):
        raise SkillParseError(path, 1, "the file does not start with a `---` line",
                              "put the YAML frontmatter between two `---` lines at the top of the file.")
    newline = "\r\n" if text[:first_end].endswith("\r\n") else "\n"
    closing = _DELIMITER.search(text, first_end) if first_end < len(text) else None
    if closing is None:
        raise SkillParseError(path, 1, "the frontmatter has no closing `---` line",
                              "end the frontmatter with a line holding only `---`.")
    yaml_text = text[first_end : closing.start()]
    start, end = first_end, first_end + len(yaml_text.encode("utf-8"))
    if end - start > MAX_FRONTMATTER_BYTES:
        raise SkillParseError(path, 2, f"the frontmatter is {end - start} bytes, over the limit of {MAX_FRONTMATTER_BYTES}",
                              "move long content into the body.")
    openers = yaml_text.count("[") + yaml_text.count("{")
    if openers > MAX_FLOW_OPENERS:
        raise SkillParseError(path, 2, f"the frontmatter has {openers} `[`/`{{` characters, over the limit of {MAX_FLOW_OPENERS}",
                              "nest less, or move long text into the body.")
    body_start = closing.end() + (1 if closing.end() < len(text) else 0)
    data = _load(yaml_text, path)
    body_offset = end + len(text[closing.start() : body_start].encode("utf-8"))
    return Skill(
        path=path,
        raw=raw,
        frontmatter=MappingProxyType(data),
        body=text[body_start:],
        newline=newline,
        span=(start, end),
        body_offset=body_offset,
    )


def _load(yaml_text: str, path: str) -> dict[str, object]:
    """The frontmatter's mapping; the same text loaded before gives the same (read-only: see `Skill`) mapping,
    so the versions of a skill whose edits leave the frontmatter alone load it once."""
    found = _LOADED.get(yaml_text)
    if found is not None:
        return found
    from skillgit.yamlio import load_yaml

    try:
        data = load_yaml(yaml_text, path, max_bytes=MAX_FRONTMATTER_BYTES, line_offset=1)
    except UsageError as exc:
        raise _as_parse_error(str(exc), path) from None
    if not isinstance(data, dict):
        got = "nothing" if data is None else f"a {type(data).__name__}"
        raise SkillParseError(path, 2, f"the frontmatter must be a mapping of keys, got {got}",
                              "write `key: value` lines, starting with `name:` and `description:`.")
    for index, key in enumerate(data):
        if not isinstance(key, str):
            from skillgit.model.frontmatter import compose

            root = compose(yaml_text)
            line = root.value[index][0].start_mark.line + 2 if root is not None else 2
            raise SkillParseError(path, line, f"frontmatter key {key!r} is not a string",
                                  f'quote it: `"{key}": …`.')
    if len(_LOADED) >= _LOADED_MAX:
        _LOADED.clear()
    _LOADED[yaml_text] = data
    return data


_LOADED: dict[str, dict[str, object]] = {}
_LOADED_MAX = 4096


def _as_parse_error(message: str, path: str) -> SkillParseError:
    """load_yaml's "path:line: problem; fix." as a SkillParseError with its parts."""
    rest = message[len(path) + 1 :] if message.startswith(path + ":") else message
    match = _YAML_WHERE.match(rest)
    line_text = match.group("line") if match else None
    body = (match.group("rest") if match else rest).strip()
    problem, _, fix = body.rpartition("; ")
    if not problem:
        problem, fix = body.rstrip("."), "fix the YAML."
    return SkillParseError(path, int(line_text) if line_text and line_text.isdigit() else None, problem, fix)


def read_skill(root: Path, rel: str, *, label: str | None = None) -> Skill:
    """Read and parse `root/rel`, refusing paths and symlinks that lead outside `root`.

    `label` is the path used in messages and as `Skill.path` (default: `rel`).
    """
    label = label or rel
    parts = PurePosixPath(rel.replace("\\", "/")).parts
    if not parts or PurePosixPath(rel).is_absolute() or ".." in parts:
        raise SkillParseError(label, None, "the path leaves the repository",
                              "name the skill file by a path inside the repository.")
    root_real = root.resolve()
    path = root.joinpath(*parts)
    for depth in range(1, len(parts) + 1):
        part = root.joinpath(*parts[:depth])
        if part.is_symlink() and not part.resolve().is_relative_to(root_real):
            shown = "/".join(parts[:depth])
            raise SkillParseError(label, None, f"{shown} is a symlink to {part.resolve()}, outside the repository",
                                  "replace the symlink with the real files or point it inside the repository.")
    if not path.exists():
        raise SkillParseError(label, None, "no such file", "check the path (`skillgit status` lists the skills).")
    if not path.is_file():
        raise SkillParseError(label, None, "not a regular file", f"a skill is a directory holding a {SKILL_FILE} file.")
    try:
        size = path.stat().st_size
        if size > MAX_SKILL_BYTES:
            raise SkillParseError(label, None, f"file is {size} bytes, over the limit of {MAX_SKILL_BYTES}",
                                  "split the skill into a shorter SKILL.md and reference files.")
        raw = path.read_bytes()
    except OSError as exc:
        raise SkillParseError(label, None, f"cannot read it ({exc.strerror})", "check the file's permissions.") from None
    return parse_skill(raw, label)
