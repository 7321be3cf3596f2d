"""The typed, read-only config: every schema key is a field of its section, defaults agree, a
misspelled key is a type error (mypy) and an AttributeError (at run time)."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import typing
from collections.abc import Mapping
from pathlib import Path

import pytest

from skillgit.config import AgentCliConfig, Config, PolicyConfig, TraceSource
from skillgit.schemas import load_schema

ROOT = Path(__file__).resolve().parents[1]


def _sections() -> list[tuple[str, Mapping[str, object], object]]:
    """(schema path, schema of an object, the config value it gives) for every object section."""
    config = Config.defaults()
    out: list[tuple[str, Mapping[str, object], object]] = []

    def walk(path: str, schema: Mapping[str, typing.Any], value: object) -> None:
        if schema.get("type") != "object" or "properties" not in schema:
            return
        out.append((path, schema, value))
        for key, sub in schema["properties"].items():
            walk(f"{path}.{key}" if path else key, sub, getattr(value, key.replace("-", "_")))

    walk("", load_schema("config"), config)
    return out


def test_every_schema_key_is_a_typed_field_of_its_section() -> None:
    for path, schema, value in _sections():
        assert dataclasses.is_dataclass(value), path
        names = {f.name for f in dataclasses.fields(value) if f.name not in ("source", "_data")}
        keys = {key.replace("-", "_") for key in schema["properties"]}  # type: ignore[attr-defined]
        assert names == keys, f"{path or 'top level'}: fields {sorted(names ^ keys)} differ from the schema"


def test_the_defaults_are_the_schemas() -> None:
    checked = 0
    for path, schema, value in _sections():
        for key, sub in schema["properties"].items():  # type: ignore[attr-defined]
            if "default" in sub and sub.get("type") != "object":
                got = getattr(value, key.replace("-", "_"))
                assert got == sub["default"], f"{path}.{key}: {got!r} != schema default {sub['default']!r}"
                checked += 1
    assert checked > 80


def test_the_config_is_read_only() -> None:
    config = Config.from_text("policy: {thrash_cycles: 4}\ntraces: {sources: [{path: logs/}]}\n")
    assert isinstance(config.policy, PolicyConfig) and config.policy.thrash_cycles == 4
    assert config.traces.sources == [TraceSource("logs/", "auto")]
    assert config.agents.of("claude-code") == AgentCliConfig(None, None) == config.agents.claude_code
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.policy.thrash_cycles = 5  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.policy = config.policy  # type: ignore[misc]
    with pytest.raises(AttributeError, match="thrash_cycle"):
        _ = config.policy.thrash_cycle  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        config.baseline["x"] = []  # type: ignore[index]


def test_a_config_survives_its_json_cache() -> None:
    config = Config.from_text("paths: {skills: [a, b]}\nbaseline: {x: [SG007/length:description]}\n", "s.yaml")
    again = Config.from_data(config.to_dict(), "s.yaml")
    assert again.paths.skills == ["a", "b"] and again.baseline["x"] == ["SG007/length:description"]
    assert again.to_dict() == config.to_dict() and again.layout.patterns == ("a", "b")


def test_a_misspelled_key_is_a_type_error(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("from skillgit.config import Config\n\n"
                     "def f(config: Config) -> int:\n"
                     "    return config.cycle.min_session\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(ROOT / ".mypy_cache"),
                             "--no-error-summary", "probe.py"], cwd=tmp_path, env={**os.environ, "MYPYPATH": str(ROOT)},
                            capture_output=True, text=True, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'probe.py:4: error: "CycleConfig" has no attribute "min_session"' in result.stdout, result.stdout
