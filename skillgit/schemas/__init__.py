"""JSON Schemas shipped as package data, loaded by name."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The schema `skillgit/schemas/<name>.schema.json` as a dict."""
    text = Path(__file__).with_name(f"{name}.schema.json").read_text(encoding="utf-8")  # (importlib.resources: slower to import)
    return json.loads(text)  # type: ignore[no-any-return]


def error_path(error: Any) -> str:
    """`a.b[2].c` from a jsonschema error's absolute_path ('(top level)' when empty)."""
    out = ""
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def schema_errors(instance: Any, name: str) -> list[Any]:
    """Every jsonschema error of `instance` against schema `name`, sorted by path."""
    return sorted(_validator(name).iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path])


@cache
def _validator(name: str) -> Any:
    import jsonschema

    return jsonschema.Draft202012Validator(load_schema(name))
