"""Regenerate docs/api.md from the docstrings of the names in `skillgit.__all__`: `python scripts/gen_api_docs.py`.

`--check` exits 1 (changing nothing) when docs/api.md is out of date; tests/test_api.py runs it.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import sys
from pathlib import Path
from typing import Any

import skillgit

TARGET = Path(__file__).resolve().parent.parent / "docs" / "api.md"
WHOLE_DOC = {"skillgit.errors"}
"""Modules whose whole docstring is shown (the exit codes and how a command gives one), not its first paragraph."""

HEADER = """# Python API

Generated from the docstrings of the names in `skillgit.__all__` by `python scripts/gen_api_docs.py`;
a test fails when this file is out of date. `import skillgit` imports each name on first use;
`python -c "import skillgit; help(skillgit)"` shows the same. Names outside `__all__` (the modules
under `skillgit/`) may change without notice.

"""


def _annotation(value: Any) -> str:
    if value is inspect.Parameter.empty:
        return ""
    return value if isinstance(value, str) else inspect.formatannotation(value)


def _default(value: Any) -> str:
    if callable(value) and not isinstance(value, type):
        return "<function>"
    return repr(value)


def signature(obj: Any) -> str:
    """`(a: T, *, b: U = 1) -> R` with annotations as written (string annotations unquoted)."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return "(...)"
    parts: list[str] = []
    star_done = False
    for p in sig.parameters.values():
        if p.kind is inspect.Parameter.KEYWORD_ONLY and not star_done:
            parts.append("*")
            star_done = True
        if p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            star_done = star_done or p.kind is inspect.Parameter.VAR_POSITIONAL
        prefix = {inspect.Parameter.VAR_POSITIONAL: "*", inspect.Parameter.VAR_KEYWORD: "**"}.get(p.kind, "")
        text = prefix + p.name
        note = _annotation(p.annotation)
        if note:
            text += f": {note}"
        if p.default is not inspect.Parameter.empty:
            text += f" = {_default(p.default)}" if note else f"={_default(p.default)}"
        parts.append(text)
    out = f"({', '.join(parts)})"
    returns = _annotation(sig.return_annotation)
    return out + (f" -> {returns}" if returns else "")


def _doc(obj: Any) -> str:
    doc = inspect.getdoc(obj) or ""
    if dataclasses.is_dataclass(obj) and doc.startswith(f"{obj.__name__}("):
        return ""  # the generated one only repeats the fields
    return doc


def _members(cls: type) -> list[str]:
    lines: list[str] = []
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(member, property):
            doc = (inspect.getdoc(member) or "").split("\n\n")[0].replace("\n", " ")
            note = _annotation(inspect.signature(member.fget).return_annotation) if member.fget else ""
            lines.append(f"- `{name}` (property{': ' + note if note else ''}){' — ' + doc if doc else ''}")
        elif isinstance(member, (staticmethod, classmethod)) or inspect.isfunction(member):
            func = member.__func__ if isinstance(member, (staticmethod, classmethod)) else member
            sig = signature(func)
            if isinstance(member, classmethod) or (not isinstance(member, staticmethod) and sig.startswith("(self")):
                sig = "(" + sig.split(", ", 1)[1] if ", " in sig.split(")")[0] else "()" + sig.split(")", 1)[1]
            doc = (inspect.getdoc(func) or "").split("\n\n")[0].replace("\n", " ")
            lines.append(f"- `{name}{sig}`{' — ' + doc if doc else ''}")
    return lines


def _fields(cls: type) -> list[str]:
    if not dataclasses.is_dataclass(cls):
        return []
    out = []
    for f in dataclasses.fields(cls):
        text = f"- `{f.name}: {_annotation(f.type)}"
        if f.default is not dataclasses.MISSING:
            text += f" = {_default(f.default)}"
        elif f.default_factory is not dataclasses.MISSING:
            text += f" = {_default(f.default_factory())}"
        out.append(text + "`")
    return out


def entry(name: str, obj: Any) -> str:
    if inspect.isclass(obj):
        bases = [b.__name__ for b in obj.__bases__ if b is not object]
        head = f"### class `skillgit.{name}`" + (f" ({', '.join(bases)})" if bases else "")
        body = [_doc(obj)]
        fields = _fields(obj)
        if fields:
            body.append("Fields:\n\n" + "\n".join(fields))
        members = _members(obj)
        if members:
            body.append("Methods and properties:\n\n" + "\n".join(members))
    else:
        head = f"### `skillgit.{name}{signature(obj)}`"
        body = [_doc(obj)]
    return "\n\n".join([head, *[b for b in body if b]]) + "\n"


def render() -> str:
    exports: dict[str, str] = skillgit._EXPORTS
    parts = [HEADER, "## Overview\n\n", (inspect.getdoc(skillgit) or "").split("\n", 1)[1].strip() + "\n"]
    modules: dict[str, list[str]] = {}
    for name, module in exports.items():
        modules.setdefault(module, []).append(name)
    for module, names in modules.items():
        doc = inspect.getdoc(importlib.import_module(module)) or ""
        summary = doc if module in WHOLE_DOC else doc.split("\n\n")[0].replace("\n", " ")
        parts.append(f"\n## From `{module}`\n\n{summary}\n")
        for name in names:
            parts.append("\n" + entry(name, getattr(skillgit, name)))
    return "".join(parts)


def main() -> int:
    text = render()
    if "--check" in sys.argv:
        if not TARGET.exists() or TARGET.read_text(encoding="utf-8") != text:
            print("stale: docs/api.md; run `python scripts/gen_api_docs.py`")
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
