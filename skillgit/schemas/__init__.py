"""JSON Schemas shipped as package data, loaded by name, and what skillgit reads of jsonschema's errors."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Protocol


class SchemaError(Protocol):
    """A jsonschema `ValidationError`, as skillgit reads it (jsonschema ships no type information)."""

    message: str
    validator: str
    validator_value: object
    instance: object
    schema: Mapping[str, object]
    absolute_path: Sequence[str | int]
    relative_path: Sequence[str | int]
    relative_schema_path: Sequence[str | int]
    context: Sequence[SchemaError]


class Validator(Protocol):
    """A jsonschema validator (`Draft202012Validator`)."""

    def iter_errors(self, instance: object) -> Iterator[SchemaError]: ...


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The schema `skillgit/schemas/<name>.schema.json` as a dict."""
    text = Path(__file__).with_name(f"{name}.schema.json").read_text(encoding="utf-8")  # (importlib.resources: slower to import)
    return json.loads(text)  # type: ignore[no-any-return]


def error_path(error: SchemaError) -> str:
    """`a.b[2].c` from a jsonschema error's absolute_path ('(top level)' when empty)."""
    out = ""
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def allowed_keys(error: SchemaError) -> list[str]:
    """The keys an `additionalProperties` error's schema allows, sorted."""
    properties = error.schema.get("properties")
    return sorted(properties) if isinstance(properties, Mapping) else []


def not_one_of(error: SchemaError) -> str:
    """The message of an `enum` error: the value and the ones allowed."""
    allowed = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
    return f"{error.instance!r} is not one of {', '.join(map(repr, allowed))}"


def sorted_errors(errors: Iterable[SchemaError]) -> list[SchemaError]:
    """`errors` in the order of their paths."""
    return sorted(errors, key=lambda e: [str(p) for p in e.absolute_path])


def schema_errors(instance: object, name: str) -> list[SchemaError]:
    """Every jsonschema error of `instance` against schema `name`, sorted by path."""
    return sorted_errors(_named_validator(name).iter_errors(instance))


def validator(schema: Mapping[str, object]) -> Validator:
    """jsonschema's Draft 2020-12 validator of `schema` (the caller keeps it: building one reads the schema)."""
    import jsonschema

    built: Validator = jsonschema.Draft202012Validator(schema)
    return built


@cache
def _named_validator(name: str) -> Validator:
    return validator(load_schema(name))
