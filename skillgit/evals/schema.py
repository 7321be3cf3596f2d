"""Validation against one definition of `evals.schema.json`, with readable messages."""

from __future__ import annotations

from functools import cache

from skillgit.schemas import SchemaError, Validator, allowed_keys, error_path, load_schema, not_one_of, sorted_errors, validator


@cache
def _validator(definition: str) -> Validator:
    schema = load_schema("evals")
    if definition:
        schema = {"$ref": f"#/$defs/{definition}", "$defs": schema["$defs"]}
    return validator(schema)


def problems(instance: object, definition: str = "", prefix: str = "") -> list[str]:
    """`path: what is wrong` for every schema error of `instance` (against `$defs/<definition>`,
    or the whole file when empty). `prefix` is joined in front of each path."""
    errors = sorted_errors(_validator(definition).iter_errors(instance))
    return [f"{join_path(prefix, error_path(e))}: {explain(e)}" for e in map(_specific, errors)]


def _specific(error: SchemaError) -> SchemaError:
    """For an `anyOf` failure, the error of the branch that has the value's type (if exactly one does)."""
    while error.validator == "anyOf" and error.context:
        relevant = [e for e in error.context if e.validator != "type" or e.relative_path]
        branches = {e.relative_schema_path[0] for e in relevant}
        if len(branches) != 1:
            break
        error = min(relevant, key=lambda e: -len(e.absolute_path))
    return error


def join_path(prefix: str, path: str) -> str:
    if path == "(top level)":
        return prefix or path
    if not prefix:
        return path
    return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"


def explain(error: SchemaError) -> str:
    """jsonschema's message, made shorter and specific for the common cases."""
    kind, value = error.validator, error.validator_value
    if kind == "additionalProperties":
        allowed = allowed_keys(error)
        extra = sorted(set(error.instance) - set(allowed)) if isinstance(error.instance, dict) else []
        return f"unknown key {', '.join(map(repr, extra))}; allowed keys here: {', '.join(allowed)}"
    if kind == "enum":
        return not_one_of(error)
    if kind == "const":
        return f"{error.instance!r} is not supported; use {value!r}"
    if kind == "type":
        return f"{error.instance!r} is not {_article(value)}"
    if kind == "required":
        return str(error.message).replace("is a required property", "is required")
    if kind == "minItems" and value == 1:
        return "must not be empty"
    if kind == "minLength" and value == 1:
        return "must not be an empty string"
    if kind == "anyOf":
        return f"{_short(error.instance)} is not a valid value here"
    return str(error.message)


def _article(kind: object) -> str:
    names = {"array": "a list", "object": "a mapping", "string": "a string", "integer": "an integer",
             "number": "a number", "boolean": "true or false", "null": "null"}
    kinds = kind if isinstance(kind, list) else [kind]
    return " or ".join(names.get(str(k), str(k)) for k in kinds)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
