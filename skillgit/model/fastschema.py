"""A quick "certainly valid" check against a JSON Schema, so the common case skips jsonschema.

`certainly_valid(instance, schema)` implements the Draft 2020-12 keywords the shipped schemas
use, with jsonschema's meaning (types as jsonschema's type checker, string lengths in code points,
`pattern` with `re.search`). It answers True only when jsonschema would report no error; False
means "invalid, or a keyword or value it does not handle": the caller then runs jsonschema, which
produces the problems. It may be stricter than jsonschema (a float such as 1.0 is not taken for an
integer here), never more lenient. tests/test_fast_schema.py compares both.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

# Keywords that never make an instance invalid.
_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description", "default", "examples",
                          "deprecated", "readOnly", "writeOnly"})


class _Unsupported(Exception):
    """A keyword or keyword value this checker does not implement."""


def certainly_valid(instance: Any, schema: Any) -> bool:
    """True only when `instance` is valid against `schema` (a Draft 2020-12 schema without $ref)."""
    try:
        return _valid(instance, schema)
    except _Unsupported:
        return False


def _valid(instance: Any, schema: Any) -> bool:
    if schema is True:
        return True
    if not isinstance(schema, dict):
        raise _Unsupported
    for keyword, value in schema.items():
        if keyword in _ANNOTATIONS:
            continue
        check = _KEYWORDS.get(keyword)
        if check is None:
            raise _Unsupported
        if not check(value, instance, schema):
            return False
    return True


def _is_type(instance: Any, name: str) -> bool:
    if name == "string":
        return isinstance(instance, str)
    if name == "object":
        return isinstance(instance, dict)
    if name == "array":
        return isinstance(instance, list)
    if name == "null":
        return instance is None
    if name == "boolean":
        return isinstance(instance, bool)
    if name == "integer":
        return type(instance) is int
    if name == "number":
        return type(instance) in (int, float)
    raise _Unsupported


def _type(value: Any, instance: Any, schema: dict[str, Any]) -> bool:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names:
        raise _Unsupported
    return any(_is_type(instance, name) for name in names)


def _required(value: Any, instance: Any, schema: dict[str, Any]) -> bool:
    if not isinstance(value, list):
        raise _Unsupported
    return not isinstance(instance, dict) or all(key in instance for key in value)


def _properties(value: Any, instance: Any, schema: dict[str, Any]) -> bool:
    if not isinstance(value, dict):
        raise _Unsupported
    if not isinstance(instance, dict):
        return True
    return all(_valid(instance[key], sub) for key, sub in value.items() if key in instance)


def _additional(value: Any, instance: Any, schema: dict[str, Any]) -> bool:
    if "patternProperties" in schema:
        raise _Unsupported
    if not isinstance(instance, dict):
        return True
    known = schema.get("properties", {})
    extras = [key for key in instance if key not in known]
    if value is True:
        return True
    if value is False:
        return not extras
    return all(_valid(instance[key], value) for key in extras)


def _items(value: Any, instance: Any, schema: dict[str, Any]) -> bool:
    if "prefixItems" in schema:
        raise _Unsupported
    if not isinstance(instance, list):
        return True
    if value is False:
        return not instance
    return all(_valid(item, value) for item in instance)


def _min_length(value: Any, instance: Any, schema: dict[str, Any]) -> bool:
    return not isinstance(instance, str) or len(instance) >= _count(value)


def _max_length(value: Any, instance: Any, schema: dict[str, Any]) -> bool:
    return not isinstance(instance, str) or len(instance) <= _count(value)


def _count(value: Any) -> int:
    if type(value) is not int:
        raise _Unsupported
    return value


def _pattern(value: Any, instance: Any, schema: dict[str, Any]) -> bool:
    if not isinstance(value, str):
        raise _Unsupported
    return not isinstance(instance, str) or _compiled(value).search(instance) is not None


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _enum(value: Any, instance: Any, schema: dict[str, Any]) -> bool:
    if not isinstance(value, list):
        raise _Unsupported
    kind = type(instance)  # strings and integers (not bools) compared with their own type only
    return kind in (str, int) and any(type(each) is kind and each == instance for each in value)


def _minimum(value: Any, instance: Any, schema: dict[str, Any]) -> bool:
    if type(value) not in (int, float):
        raise _Unsupported
    return type(instance) not in (int, float) or instance >= value


def _maximum(value: Any, instance: Any, schema: dict[str, Any]) -> bool:
    if type(value) not in (int, float):
        raise _Unsupported
    return type(instance) not in (int, float) or instance <= value


def _exclusive_minimum(value: Any, instance: Any, schema: dict[str, Any]) -> bool:
    if type(value) not in (int, float):
        raise _Unsupported
    return type(instance) not in (int, float) or instance > value


def _exclusive_maximum(value: Any, instance: Any, schema: dict[str, Any]) -> bool:
    if type(value) not in (int, float):
        raise _Unsupported
    return type(instance) not in (int, float) or instance < value


def _min_items(value: Any, instance: Any, schema: dict[str, Any]) -> bool:
    return not isinstance(instance, list) or len(instance) >= _count(value)


def _max_items(value: Any, instance: Any, schema: dict[str, Any]) -> bool:
    return not isinstance(instance, list) or len(instance) <= _count(value)


def _any_of(value: Any, instance: Any, schema: dict[str, Any]) -> bool:
    if not isinstance(value, list) or not value:
        raise _Unsupported
    return any(_valid(instance, sub) for sub in value)


_KEYWORDS: dict[str, Callable[[Any, Any, dict[str, Any]], bool]] = {
    "type": _type,
    "required": _required,
    "properties": _properties,
    "additionalProperties": _additional,
    "items": _items,
    "minLength": _min_length,
    "maxLength": _max_length,
    "pattern": _pattern,
    "enum": _enum,
    "minimum": _minimum,
    "maximum": _maximum,
    "exclusiveMinimum": _exclusive_minimum,
    "exclusiveMaximum": _exclusive_maximum,
    "minItems": _min_items,
    "maxItems": _max_items,
    "anyOf": _any_of,
}
