"""`skillgit validate`: check SKILL.md files against the frontmatter schema and the naming rules.

Every problem carries the file, the key, what is wrong and the fix. Rules:

- `file`: the file cannot be read or parsed (encoding, `---` lines, YAML); exit 2 in the CLI
- `required`, `type`, `length`, `pattern`, `enum`, `range`, `schema`: the JSON Schema
  `skillgit/schemas/skill.schema.json` (lengths count Unicode code points)
- `name-dir-mismatch`: `name` differs from the skill's directory name
- `unknown-field`: a top-level key the schema does not know (`policy.unknown_fields`:
  `warn` (default), `error` or `ignore`)

jsonschema is imported only when a file may be invalid: skillgit/model/fastschema.py first checks
the common case (certainly valid) without it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from skillgit.errors import UsageError
from skillgit.jsontypes import JSONObject
from skillgit.model.skill import SKILL_FILE, Skill, SkillParseError, name_is_safe, parse_skill, read_skill, slugify

if TYPE_CHECKING:
    from skillgit.config import Config
    from skillgit.model.layout import Layout
    from skillgit.schemas import SchemaError

Severity = Literal["error", "warning"]
UnknownFields = Literal["warn", "error", "ignore"]

_SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__"}


@dataclass(frozen=True)
class Problem:
    """One finding in one file: `path[:line]: severity: key: message. Fix.`"""

    path: str
    key: str | None
    message: str
    fix: str
    severity: Severity
    rule: str = "schema"
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        key = f"{self.key}: " if self.key else ""
        fix = self.fix[:1].upper() + self.fix[1:]
        return f"{where}: {self.severity}: {key}{self.message}. {fix}"

    def to_dict(self) -> JSONObject:
        return {"path": self.path, "key": self.key, "message": self.message, "fix": self.fix,
                "severity": self.severity, "rule": self.rule, "line": self.line}


@dataclass(frozen=True)
class Report:
    """The result of validating a set of files."""

    files: tuple[str, ...]
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> int:
        return sum(p.severity == "error" for p in self.problems)

    @property
    def warnings(self) -> int:
        return sum(p.severity == "warning" for p in self.problems)

    @property
    def exit_code(self) -> int:
        """2 when a file could not be read or parsed, 1 for other errors, 0 otherwise."""
        if any(p.rule == "file" for p in self.problems):
            return 2
        return 1 if self.errors else 0

    def summary(self) -> str:
        return f"{_plural(len(self.files), 'file')}, {_plural(self.errors, 'error')}, {_plural(self.warnings, 'warning')}"

    def to_dict(self) -> JSONObject:
        return {
            "problems": [p.to_dict() for p in self.problems],
            "summary": {"files": len(self.files), "errors": self.errors, "warnings": self.warnings},
        }


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# -- one file ------------------------------------------------------------------------------------


def validate_skill_bytes(raw: bytes, path: str, *, unknown_fields: UnknownFields = "warn") -> list[Problem]:
    """Every problem of one SKILL.md given as bytes; `path` names it (its parent is the skill dir)."""
    try:
        skill = parse_skill(raw, path)
    except SkillParseError as exc:
        return [_file_problem(exc)]
    return validate_skill(skill, unknown_fields=unknown_fields)


def validate_skill(skill: Skill, *, unknown_fields: UnknownFields = "warn") -> list[Problem]:
    """Schema, name-equals-directory and unknown-field problems of a parsed skill."""
    from skillgit.model.fastschema import certainly_valid
    from skillgit.schemas import error_path, load_schema, schema_errors

    data = dict(skill.frontmatter)
    problems: list[tuple[tuple[str | int, ...], Problem]] = []
    errors = [] if certainly_valid(data, load_schema("skill")) else schema_errors(data, "skill")
    for error in errors:
        key_path = tuple(error.absolute_path)
        problem = _schema_problem(skill, error, error_path(error) if key_path else None)
        problems.append((key_path or (problem.key or "",), problem))
    name = data.get("name")
    if name_is_safe(name) and skill.dir_name and name != skill.dir_name:
        problems.append((("name",), Problem(
            skill.path, "name", f"{name!r} does not match the directory name {skill.dir_name!r}",
            f"rename the directory to `{name}` or set `name: {skill.dir_name}`.",
            "error", "name-dir-mismatch",
        )))
    if unknown_fields != "ignore":
        known = set(load_schema("skill")["properties"])
        for key in data:
            if key not in known:
                problems.append(((key,), _unknown(skill.path, key, known, unknown_fields)))
    lines = {path: skill.line_of(path) for path, _ in problems}
    located = [_with_line(p, lines[path]) for path, p in problems]
    return sorted(located, key=lambda p: p.line or 0)


def _with_line(problem: Problem, line: int | None) -> Problem:
    if problem.rule == "required":
        return problem
    return Problem(problem.path, problem.key, problem.message, problem.fix, problem.severity, problem.rule, line)


def _file_problem(exc: SkillParseError) -> Problem:
    return Problem(exc.path, None, exc.problem, exc.fix, "error", "file", exc.line)


def _unknown(path: str, key: str, known: set[str], policy: UnknownFields) -> Problem:
    import difflib

    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.75)
    hint = f"did you mean `{close[0]}`? Otherwise remove" if close else "remove"
    return Problem(
        path, key, "unknown field (not an Agent Skills, governance or bookkeeping field)",
        f"{hint} it, move it under `metadata:`, or set policy.unknown_fields: ignore in skillgit.yaml.",
        "error" if policy == "error" else "warning", "unknown-field",
    )


_TYPE_NAMES = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "true or false",
               "array": "a list", "object": "a mapping", "null": "null"}


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    for kind, name in ((str, "a string"), (int, "an integer"), (float, "a number"), (list, "a list"), (dict, "a mapping")):
        if isinstance(value, kind):
            return name
    return f"a {type(value).__name__}"


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _schema_problem(skill: Skill, error: SchemaError, key: str | None) -> Problem:
    """A jsonschema error as a Problem with a message and a fix a person can act on."""
    from skillgit.model.frontmatter import render_scalar

    value, schema, kind = error.instance, error.schema, error.validator
    last = str(error.absolute_path[-1]) if error.absolute_path else ""

    def made(message: str, fix: str, rule: str) -> Problem:
        return Problem(skill.path, key, message, fix, "error", rule)

    if kind == "required":
        quoted = str(error.message).split(" is a required property")[0]
        missing = quoted[1:-1] if quoted[:1] == quoted[-1:] == "'" else quoted
        fix = f"add `name: {skill.dir_name or 'my-skill'}`." if missing == "name" else (
            "add `description:` saying what the skill does and when to use it." if missing == "description"
            else f"add `{missing}:`.")
        return Problem(skill.path, missing, "missing", fix, "error", "required")
    if kind == "maxLength":
        return made(f"{len(value) if isinstance(value, str) else _short(value)} characters, over the limit of {error.validator_value}",
                    f"shorten it to {error.validator_value} characters or fewer.", "length")
    if kind == "minLength":
        return made("empty", "write a value or remove the key.", "length")
    if kind == "pattern" and last == "name":
        suggestion = slugify(str(value)) or skill.dir_name or "my-skill"
        return made(f"{_short(value)} is not a valid skill name",
                    "use lowercase letters, digits and single hyphens (no leading, trailing or double hyphen), "
                    f"e.g. `name: {suggestion}`, and name the directory the same.", "pattern")
    if kind == "enum":
        values = error.validator_value
        allowed = ", ".join(str(v) for v in (values if isinstance(values, list) else [values]))
        return made(f"{_short(value)} is not one of {allowed}", "use one of those values.", "enum")
    if kind == "minimum":
        return made(f"{value} is below {error.validator_value}", f"use {error.validator_value} or more.", "range")
    if kind in ("type", "anyOf"):
        expected = _expected(schema)
        if "a string" in expected and not isinstance(value, (list, dict)) and value is not None:
            fix = f'quote it: `{last}: "{render_scalar(value)}"`.'
        elif expected == "true or false":
            fix = "write `true` or `false` without quotes."
        elif "a list" in expected and "a string" not in expected:
            fix = f"write a list, e.g. `{last}: [a, b]`."
        elif expected == "a mapping":
            fix = "write `key: value` lines indented under it."
        else:
            fix = f"write {expected}."
        shown = _kind(value) if isinstance(value, (list, dict)) or value is None else f"{_short(value)} is {_kind(value)}"
        return made(f"{shown}, expected {expected}", fix, "type")
    return made(str(error.message), "fix the value (see docs/skill-format.md).", "schema")


def _expected(schema: Mapping[str, object]) -> str:
    branches = schema.get("anyOf")
    if isinstance(branches, list):
        names = []
        for sub in branches:
            if not isinstance(sub, Mapping):
                continue
            items = sub.get("items")
            if sub.get("type") == "array" and isinstance(items, Mapping) and items.get("type") == "string":
                names.append("a list of strings")
            else:
                names.append(_expected(sub))
        return " or ".join(names)
    given = schema.get("type", [])
    types = [given] if isinstance(given, str) else given if isinstance(given, list) else []
    return " or ".join(_TYPE_NAMES.get(str(t), str(t)) for t in types) or "another value"


# -- many files ----------------------------------------------------------------------------------


def validate_paths(paths: Sequence[Path], root: Path, config: Config | None = None) -> list[Problem]:
    """Every problem under `paths` (see `validate_report`)."""
    return list(validate_report(paths, root, config).problems)


def validate_report(paths: Sequence[Path], root: Path, config: Config | None = None) -> Report:
    """Validate SKILL.md files. Each path is a SKILL.md, a skill directory, or a directory searched
    recursively for skills; relative paths are taken from `root`. No paths: the configured skills
    directory (`paths.skills`), which may be missing (0 files). A missing explicit path is a UsageError.
    Files are read only inside `root` (or inside the given path, for paths outside `root`):
    symlinks that lead elsewhere are reported as problems.
    """
    if config is None:
        from skillgit.config import Config

        config = Config.defaults()
    policy: UnknownFields = config.policy.unknown_fields
    targets = [p if p.is_absolute() else root / p for p in paths]
    layout = config.layout
    if not paths:
        tops = [root / top for top in layout.active_scan_roots]
        targets = [top for top in tops if top.exists() or top.is_symlink()]
    for target in targets:
        if not target.exists() and not target.is_symlink():
            raise UsageError(f"{_show(target, root)}: no such file or directory; pass a SKILL.md, a skill directory or a directory of skills.")
    files: list[str] = []
    problems: list[Problem] = []
    seen: set[Path] = set()
    for target in targets:
        boundary = root if _inside(target, root) else (target if target.is_dir() else target.parent)
        for file in _skill_files(target):
            key = Path(os.path.normpath(file.absolute()))
            if key in seen:
                continue
            seen.add(key)
            label = _show(file, root)
            if not paths and not _is_skill_file(layout, label):
                continue  # under a root's plain top folder (`plugins/`) but not in a skill root (`plugins/*/skills`)
            files.append(label)
            rel = _relative(file, boundary) or file.name
            try:
                skill = read_skill(boundary, rel, label=label)
            except SkillParseError as exc:
                problems.append(_file_problem(exc))
                continue
            found = validate_skill(skill, unknown_fields=policy)
            place = layout.place(label)
            allowed = frozenset(str(c) for c in config.baseline.get(place.name, ())) if place else frozenset()
            problems.extend(_in_baseline(p) if p.severity == "error" and _ident(p) in allowed else p for p in found)
    return Report(tuple(files), tuple(problems))


def _is_skill_file(layout: Layout, path: str) -> bool:
    found = layout.place(path)
    return found is not None and found.skill_file == path and found.location == "active"


def _ident(p: Problem) -> str:
    """How the baseline in skillgit.yaml names a problem: `SG007/length:description`."""
    return f"SG007/{p.rule}" + (f":{p.key}" if p.key else "")


def _in_baseline(p: Problem) -> Problem:
    """A problem the skill already had at adoption: reported, as a warning (a change may keep it, not make it worse)."""
    return replace(p, severity="warning", message=f"{p.message} (baseline: the skill had it when skillgit was adopted)")


def _skill_files(target: Path) -> list[Path]:
    """SKILL.md files at `target`: the file itself, the dir's SKILL.md, or every skill below it."""
    if not target.is_dir():
        return [target]
    if os.path.lexists(target / SKILL_FILE):
        return [target / SKILL_FILE]
    found: list[Path] = []
    for current, dirs, names in os.walk(target):
        here = Path(current)
        if SKILL_FILE in names or os.path.lexists(here / SKILL_FILE):
            found.append(here / SKILL_FILE)
            dirs[:] = []
            continue
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        for d in list(dirs):
            if (here / d).is_symlink():
                dirs.remove(d)
                if os.path.lexists(here / d / SKILL_FILE):
                    found.append(here / d / SKILL_FILE)
    return sorted(found, key=lambda p: p.as_posix())


def _inside(path: Path, root: Path) -> bool:
    return _relative(path, root) is not None


def _relative(path: Path, root: Path) -> str | None:
    """`path` relative to `root` without following symlinks below `root`; None when outside it."""
    norm = Path(os.path.normpath(path.absolute()))
    for base in {Path(os.path.normpath(root.absolute())), root.resolve()}:
        if norm.is_relative_to(base):
            return norm.relative_to(base).as_posix() or "."
    return None


def _show(path: Path, root: Path) -> str:
    """`path` relative to `root` (POSIX) when inside it, else as an absolute path."""
    return _relative(path, root) or Path(os.path.normpath(path.absolute())).as_posix()
