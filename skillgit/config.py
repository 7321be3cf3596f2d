"""`skillgit.yaml`: loading, schema validation, and a default for every key."""

from __future__ import annotations

import copy
import dataclasses
import functools
import re
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

from skillgit.errors import ConfigError, UsageError
from skillgit.frozenrecord import Record
from skillgit.schemas import SchemaError, allowed_keys, error_path, load_schema, not_one_of, schema_errors

if TYPE_CHECKING:
    from skillgit.model.layout import Layout

CONFIG_FILE = "skillgit.yaml"


@dataclass(frozen=True, eq=False, repr=False)
class PathsConfig(Record):
    """`paths`: where skills, retired skills, the journal and the learnings file live."""

    skills: str | Sequence[str]
    attic: str
    journal: str
    learnings: str


@dataclass(frozen=True, eq=False, repr=False)
class IdentityConfig(Record):
    """`identity`: the author of maintainer events when GIT_AUTHOR_* is not set."""

    name: str | None
    email: str | None


@dataclass(frozen=True, eq=False, repr=False)
class AgentConfig(Record):
    """`agent`: who the agent is and what it owns."""

    origin: str | None
    identities: Sequence[str]
    self_skill: str | None
    name: str
    email: str | None

    def is_agent(self, *emails: str) -> bool:
        """True when one of `emails` (a commit's author and committer) matches `identities`: the one test
        of an agent commit, used by the rules, the hooks, `verify`, the commands and the cycle."""
        return any(identity_matches(email, self.identities) for email in emails if email)


@dataclass(frozen=True, eq=False, repr=False)
class PolicyConfig(Record):
    """`policy`: the rules' options (docs/rules.md names the rule each one belongs to)."""

    disabled: Sequence[str]
    unknown_fields: Literal["warn", "error", "ignore"]
    refine_max_added: int
    refine_max_removed: int
    frontmatter_max_chars: int
    body_max_words: int
    agent_description_max: int
    candidate_prefix: str
    max_active: int
    max_non_core: int
    keyword_overlap: int
    thrash_cycles: int
    bootstrap_create_from: int
    bootstrap_retire_from: int
    protected_paths: Sequence[str]


@dataclass(frozen=True, eq=False, repr=False)
class TraceSource(Record):
    """One entry of `traces.sources`."""

    path: str
    format: str


@dataclass(frozen=True, eq=False, repr=False)
class TracesConfig(Record):
    """`traces`: where the agent's trace files are, and the longest line read."""

    sources: Sequence[TraceSource]
    max_line_bytes: int


@dataclass(frozen=True, eq=False, repr=False)
class MetricsConfig(Record):
    """`metrics`: the score's weights and window."""

    prior_score: float
    blend_weight: float
    prev_weight: float
    win_weight: float
    complaint_weight: float
    mention_weight: float
    count_weak: bool
    window_sessions: int


@dataclass(frozen=True, eq=False, repr=False)
class DiagnosisConfig(Record):
    """`diagnosis`: the thresholds of the trace findings."""

    retry_min: int
    revert_min_sessions: int
    failure_min_sessions: int
    docless_min_calls: int
    similarity: float
    revert_window: int
    absent_min_sessions: int


@dataclass(frozen=True, eq=False, repr=False)
class EvalConfig(Record):
    """`eval`: the runner, the judge and the gate's statistics."""

    runner: str | None
    judge: str | None
    timeout_seconds: float
    trials: int
    alpha: float
    min_effect: float
    max_regression: float
    max_runs: int
    cycle_budget: int | None
    jobs: int


@dataclass(frozen=True, eq=False, repr=False)
class HoldoutConfig(Record):
    """`holdout`: the seal's margin and pass floor when a lock does not carry them."""

    margin: float
    min_pass: float


@dataclass(frozen=True, eq=False, repr=False)
class CycleConfig(Record):
    """`cycle`: when and how `skillgit cycle` decides, proposes and sandboxes."""

    min_sessions: int
    cooldown_hours: float
    on_propose: Literal["ask", "auto", "disabled"]
    proposer: str
    proposer_timeout_seconds: float
    refine_min_complaints: int
    refine_max_win_rate: float
    refine_min_uses: int
    retire_max_score: float
    retire_unused_sessions: int
    min_active: int
    create_min_sessions: int
    saturation_noops: int
    lock_timeout_seconds: float
    expect_horizon_sessions: int
    sandbox: Literal["bwrap", "none"]
    sandbox_binds: Sequence[str]
    sandbox_repo_paths: Sequence[str]


@dataclass(frozen=True, eq=False, repr=False)
class AgentCliConfig(Record):
    """`agents.<name>`: the command line and model of one agent CLI."""

    argv: Sequence[str] | None
    model: str | None


@dataclass(frozen=True, eq=False, repr=False)
class AgentsConfig(Record):
    """`agents`: the agent CLIs (`claude-code` is the key `claude_code` here)."""

    claude_code: AgentCliConfig
    codex: AgentCliConfig

    def of(self, name: str) -> AgentCliConfig:
        """The section of agent `name` as skillgit.yaml spells it (`claude-code`, `codex`)."""
        found: AgentCliConfig = getattr(self, _attr(name))
        return found


@dataclass(frozen=True, eq=False, repr=False)
class WatchConfig(Record):
    """`watch`: the window and drop that flag a regression after a change."""

    window_days: float
    max_drop: float
    min_sessions: int


@dataclass(frozen=True, eq=False)
class Config:
    """The effective configuration: the file's values over the schema's defaults, read-only.

    Build it with `Config.load`, `Config.from_text` or `Config.defaults` (they validate against
    the schema first); `to_dict()` is the validated mapping it was built from."""

    version: int
    paths: PathsConfig
    identity: IdentityConfig
    agent: AgentConfig
    policy: PolicyConfig
    traces: TracesConfig
    metrics: MetricsConfig
    diagnosis: DiagnosisConfig
    eval: EvalConfig
    holdout: HoldoutConfig
    cycle: CycleConfig
    agents: AgentsConfig
    baseline: Mapping[str, Sequence[str]]
    """Skill name → the checks it was adopted with (`SG007/length:description`)."""
    watch: WatchConfig
    source: str = CONFIG_FILE
    _data: Mapping[str, object] = field(default_factory=dict, repr=False)

    @classmethod
    def from_data(cls, data: Mapping[str, object], source: str = CONFIG_FILE) -> Config:
        """The config of a mapping already validated against the schema, defaults filled in."""
        values = _build(cls, data)  # checked against the schema, which the fields mirror
        return _construct(cls, {**values, "source": source, "_data": copy.deepcopy(dict(data))})

    def to_dict(self) -> dict[str, object]:
        return copy.deepcopy(dict(self._data))

    @classmethod
    def defaults(cls) -> Config:
        return cls.from_data(_with_defaults_top({}, load_schema("config")), "(defaults)")

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
        config = cls.from_data(_with_defaults_top(data, load_schema("config")), source)
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

    @functools.cached_property
    def layout(self) -> Layout:
        """Where skills live: the roots of `paths.skills` and the attic."""
        from skillgit.model.layout import config_layout

        return config_layout(self.paths)

    @property
    def agent_email(self) -> str | None:
        """The author e-mail for commits the cycle makes."""
        if self.agent.email:
            return self.agent.email
        for pattern in self.agent.identities:
            if not any(ch in pattern for ch in IDENTITY_WILDCARDS):
                return pattern
        return None


def _attr(key: str) -> str:
    """The attribute name of a skillgit.yaml key (`claude-code` → `claude_code`)."""
    return key.replace("-", "_")


def _build(cls: type, data: Mapping[str, object]) -> dict[str, object]:
    """The constructor arguments of section dataclass `cls` from its validated, defaulted mapping."""
    out: dict[str, object] = {}
    for name, key, hint in _fields(cls):
        out[name] = _convert(hint, data[key])
    return out


@functools.cache
def _fields(cls: type) -> tuple[tuple[str, str, object], ...]:
    """(attribute, skillgit.yaml key, type) of every config field of section dataclass `cls`."""
    hints = typing.get_type_hints(cls)
    return tuple((f.name, f.name.replace("_", "-") if f.name in _DASHED else f.name, hints[f.name])
                 for f in dataclasses.fields(cls) if f.name not in ("source", "_data"))


_DASHED = frozenset({"claude_code"})
"""Attributes whose skillgit.yaml key has a dash."""


_T = TypeVar("_T")


def _construct(cls: type[_T], values: Mapping[str, object]) -> _T:
    """`cls(**values)`: the values were checked against the schema, which the section's fields mirror."""
    return cls(**values)


def _convert(hint: object, value: object) -> object:
    """`value` (validated JSON data) as type `hint`: a mapping becomes its section object; a list stays a
    list (read-only by its type, `Sequence`)."""
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    for option in options:
        origin = typing.get_origin(option) or option
        if isinstance(value, list) and origin is Sequence:
            item = typing.get_args(option)[0]
            return [_convert(item, v) for v in value]
        if isinstance(value, dict) and isinstance(origin, type) and dataclasses.is_dataclass(origin):
            return _construct(origin, _build(origin, value))
        if isinstance(value, dict) and origin is Mapping:
            return types.MappingProxyType({k: list(v) for k, v in value.items()})
    return value


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
    return any(_identity_regex(p).fullmatch(folded) for p in patterns)


def _check_roots(config: Config, source: str) -> None:
    """`paths.skills` (folders or globs) and `paths.attic` name folders inside the repository (relative,
    no `..`, not `.git`)."""
    from skillgit.model.layout import root_problem

    skills = config.paths.skills
    values = [("skills", v) for v in ([skills] if isinstance(skills, str) else skills)] + [("attic", config.paths.attic)]
    for key, value in values:
        problem = root_problem(str(value))
        if problem is not None:
            default = "skills" if key == "skills" else "skills_attic"
            raise ConfigError(f"{source}: paths.{key}: `{value}` {problem}; the default is `{default}`.")


def _explain(error: SchemaError) -> str:
    if error.validator == "additionalProperties":
        return f"{error.message}; allowed keys here: {', '.join(allowed_keys(error))}"
    if error.validator == "enum":
        return not_one_of(error)
    return str(error.message)


def _with_defaults_top(data: Mapping[str, object], schema: Mapping[str, object]) -> dict[str, object]:
    """`_with_defaults` of the whole file (a mapping)."""
    out = _with_defaults(data, schema)
    return out if isinstance(out, dict) else dict(data)


def _with_defaults(data: object, schema: Mapping[str, object]) -> object:
    """`data` with every missing key filled from the schema's `default`s, recursively (the objects in an
    array too: `traces.sources[].format`)."""
    items = schema.get("items")
    if isinstance(data, list) and isinstance(items, Mapping):
        return [_with_defaults(item, items) for item in data]
    properties = schema.get("properties")
    if schema.get("type") != "object" or not isinstance(data, dict) or not isinstance(properties, Mapping):
        return data
    out = dict(data)
    for key, sub in properties.items():
        if not isinstance(sub, Mapping):
            continue
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


def config_from_bytes(raw: bytes | None, rev: str) -> Config:
    """The config of the bytes of the file committed at `rev` (defaults for None: no file there)."""
    if raw is None:
        return Config.defaults()
    try:
        return Config.from_text(raw.decode("utf-8"), f"{CONFIG_FILE}@{rev[:12]}")
    except UnicodeDecodeError:
        raise ConfigError(f"{CONFIG_FILE}@{rev[:12]}: not valid UTF-8; fix the file in a new commit.") from None
