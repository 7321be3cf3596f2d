"""`skillgit.yaml`: loading, schema validation, and a default for every key."""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skillgit.errors import ConfigError, UsageError
from skillgit.schemas import error_path, load_schema, schema_errors

if TYPE_CHECKING:
    from skillgit.model.layout import Layout

CONFIG_FILE = "skillgit.yaml"


class Section(Mapping[str, Any]):
    """A read-only view of one config mapping with attribute access: `config.cycle.min_sessions`."""

    def __init__(self, data: Mapping[str, Any], path: str = "") -> None:
        self._data = dict(data)
        self._path = path

    def __getattr__(self, key: str) -> Any:
        try:
            value = self._data[key]
        except KeyError:
            raise AttributeError(f"config has no key {self._path}{key}") from None
        if isinstance(value, Mapping):
            return Section(value, f"{self._path}{key}.")
        return value

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def to_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self._data)


class Config(Section):
    """The effective configuration: the file's values over the schema's defaults."""

    def __init__(self, data: Mapping[str, Any], source: str = CONFIG_FILE) -> None:
        super().__init__(data)
        self.source = source

    @classmethod
    def defaults(cls) -> Config:
        return cls(_with_defaults({}, load_schema("config")), "(defaults)")

    @classmethod
    def from_text(cls, text: str, source: str = CONFIG_FILE) -> Config:
        from skillgit.yamlio import load_yaml

        try:
            data = load_yaml(text, source)
        except UsageError as exc:
            raise ConfigError(str(exc)) from None
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: the top level must be a mapping of keys; see docs/config.md.")
        from skillgit.model.fastschema import certainly_valid

        errors = [] if certainly_valid(data, load_schema("config")) else schema_errors(data, "config")  # jsonschema when needed
        if errors:
            lines = [f"{source}: {error_path(e)}: {_explain(e)}" for e in errors]
            raise ConfigError("\n".join(lines) + "\nFix the values above; every key and its default is in docs/config.md.")
        config = cls(_with_defaults(data, load_schema("config")), source)
        _check_roots(config, source)
        return config

    @classmethod
    def load(cls, root: Path) -> Config:
        """The config of the work tree at `root`; defaults when there is no skillgit.yaml."""
        from skillgit.safefile import describe, read_regular
        from skillgit.yamlio import MAX_YAML_BYTES

        path = root / CONFIG_FILE
        if not path.exists():
            return cls.defaults()
        try:
            text = read_regular(path, MAX_YAML_BYTES).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{CONFIG_FILE}: not valid UTF-8 at byte {exc.start}; save it as UTF-8.") from None
        except OSError as exc:
            raise ConfigError(f"{CONFIG_FILE}: cannot read it ({describe(exc)}); make it a regular YAML file.") from None
        return cls.from_text(text, CONFIG_FILE)

    @property
    def layout(self) -> Layout:
        """Where skills live: the roots of `paths.skills` and the attic."""
        from skillgit.model.layout import config_layout

        return config_layout(self.paths)

    @property
    def agent_email(self) -> str | None:
        """The author e-mail for commits the cycle makes."""
        if self.agent.email:
            return str(self.agent.email)
        for pattern in self.agent.identities:
            if not any(ch in pattern for ch in IDENTITY_WILDCARDS):
                return str(pattern)
        return None


IDENTITY_WILDCARDS = "*?"
"""The only special characters of an `agent.identities` pattern; everything else, `[` and `]`
included (as in `yoyo[bot]@users.noreply.github.com`), matches itself."""


@functools.lru_cache(maxsize=512)
def _identity_regex(pattern: str) -> re.Pattern[str]:
    parts = (".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern.casefold())
    return re.compile("".join(parts), re.DOTALL)


def identity_matches(email: str, patterns: Iterable[str]) -> bool:
    """True when `email` matches one of the `agent.identities` patterns: case-insensitive, the whole
    address; `*` is any run of characters, `?` one character, every other character is literal."""
    folded = email.casefold()
    return any(_identity_regex(str(p)).fullmatch(folded) for p in patterns)


def _check_roots(config: Config, source: str) -> None:
    """`paths.skills` (folders or globs) and `paths.attic` name folders inside the repository (relative,
    no `..`, not `.git`)."""
    from skillgit.model.layout import root_problem

    skills = config.paths["skills"]
    values = [("skills", v) for v in ([skills] if isinstance(skills, str) else skills)] + [("attic", config.paths["attic"])]
    for key, value in values:
        problem = root_problem(str(value))
        if problem is not None:
            default = "skills" if key == "skills" else "skills_attic"
            raise ConfigError(f"{source}: paths.{key}: `{value}` {problem}; the default is `{default}`.")


def _explain(error: Any) -> str:
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        return f"{error.message}; allowed keys here: {', '.join(allowed)}"
    if error.validator == "enum":
        return f"{error.instance!r} is not one of {', '.join(map(repr, error.validator_value))}"
    return str(error.message)


def _with_defaults(data: Any, schema: Mapping[str, Any]) -> Any:
    """`data` with every missing key filled from the schema's `default`s, recursively."""
    if schema.get("type") != "object" or not isinstance(data, dict):
        return data
    out = dict(data)
    for key, sub in schema.get("properties", {}).items():
        if key not in out and "default" in sub:
            out[key] = copy.deepcopy(sub["default"])
        if key in out:
            out[key] = _with_defaults(out[key], sub)
    return out


_YAML_WORDS = frozenset({"null", "true", "false", "yes", "no", "on", "off", "y", "n"})


def default_config_text(
    origin: str | None = None,
    self_skill: str | None = None,
    *,
    skills: Sequence[str] = ("skills",),
    attic: str = "skills_attic",
    identities: Sequence[str] = (),
    baseline: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """The commented skillgit.yaml that `skillgit init` writes."""
    import json

    def scalar(value: str | None) -> str:
        if value is None:
            return "null"
        plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.@/-]*", value) and value.lower() not in _YAML_WORDS
        return value if plain else json.dumps(value, ensure_ascii=False)

    roots = scalar(skills[0]) if len(skills) == 1 else "[" + ", ".join(scalar(r) for r in skills) + "]"
    people = "[" + ", ".join(scalar(i) for i in identities) + "]"
    text = f"""# skillgit configuration. Every key has a default; see docs/config.md.
version: 1
paths:
  skills: {roots}{' ' * max(1, 22 - len(roots))}# folders (or globs) holding the skill folders
  attic: {scalar(attic)}
agent:
  origin: {scalar(origin)}{' ' * max(1, 22 - len(scalar(origin)))}# frontmatter origin the agent may edit
  identities: {people}{' ' * max(1, 18 - len(people))}# e-mails of agent commits (author or committer; `*` and `?` are wildcards)
  self_skill: {scalar(self_skill)}{' ' * max(1, 18 - len(scalar(self_skill)))}# the evolver's own skill: never editable by the agent
"""
    return text + (baseline_text(baseline) if baseline else "")


def baseline_text(baseline: Mapping[str, Sequence[str]]) -> str:
    """The `baseline:` section of skillgit.yaml, with its comment."""
    import json

    lines = ["# Problems the skills had when skillgit was adopted: a change may keep them, not make them worse.",
             "# Fix one, then delete its entry (docs/rules.md, Baseline).", "baseline:"]
    lines += [f"  {name}: [{', '.join(json.dumps(str(c)) for c in sorted(baseline[name]))}]" for name in sorted(baseline)]
    return "\n".join(lines) + "\n"
