"""Safe YAML loading shared by config, skill frontmatter and eval files.

Refuses what a hostile or broken file can do to a loader: anchors/aliases (YAML bombs), duplicate
keys, oversized documents, non-plain types. Returns plain Python data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from skillgit.errors import UsageError

if TYPE_CHECKING:
    from ruamel.yaml import YAML

MAX_YAML_BYTES = 1_000_000


def load_yaml(text: str, source: str, *, max_bytes: int = MAX_YAML_BYTES, line_offset: int = 0) -> Any:
    """Parse one YAML document from `text`; `source` names it in errors.

    `line_offset` is added to reported line numbers (frontmatter starts after the `---` line).
    Simple mappings (see skillgit/yamlio/fast.py) are read without ruamel, with the same result.
    """
    from skillgit.yamlio.fast import NOT_HANDLED, load_simple

    if len(text) <= max_bytes // 4 or len(text.encode("utf-8", "surrogatepass")) <= max_bytes:
        fast = load_simple(text)
        if fast is not NOT_HANDLED:
            return fast
    return load_yaml_ruamel(text, source, max_bytes=max_bytes, line_offset=line_offset)


def load_yaml_ruamel(text: str, source: str, *, max_bytes: int = MAX_YAML_BYTES, line_offset: int = 0) -> Any:
    """`load_yaml` always through ruamel: the reference the fast path is tested against."""
    from ruamel.yaml import YAML
    from ruamel.yaml.constructor import DuplicateKeyError
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    if len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise UsageError(f"{source}: YAML is larger than {max_bytes} bytes; split it or shorten it.")
    yaml = YAML(typ="safe", pure=True)
    yaml.allow_duplicate_keys = False
    try:
        events = yaml.parse(text) if ("&" in text or "*" in text) else ()
        for event in events:
            if type(event).__name__ == "AliasEvent" or getattr(event, "anchor", None):
                line = event.start_mark.line + 1 + line_offset if event.start_mark else "?"
                raise UsageError(
                    f"{source}:{line}: YAML anchors and aliases are not allowed "
                    "(they can expand without bound); write the value out in full."
                )
        return _plain(yaml.load(text))
    except DuplicateKeyError as exc:
        line = exc.problem_mark.line + 1 + line_offset if exc.problem_mark else "?"
        key = _dup_key(str(exc))
        raise UsageError(f"{source}:{line}: duplicate key {key}; keep one of them.") from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + line_offset if mark else "?"
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        raise UsageError(f"{source}:{line}: invalid YAML: {problem}; fix the syntax at that line.") from None
    except YAMLError as exc:
        raise UsageError(f"{source}: invalid YAML: {str(exc).splitlines()[0]}; fix the syntax.") from None
    except RecursionError:
        raise UsageError(f"{source}: YAML is nested too deeply; flatten it.") from None
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        # a scalar whose (explicit or implied) type cannot hold it: `2020-02-30`, `!!int "x"`, a 5,000-digit int
        found = _unbuildable(yaml, text)
        line = found[0] + 1 + line_offset if found else "?"
        shown = f" `{found[1][:40]}{'…' if len(found[1]) > 40 else ''}`" if found else ""
        raise UsageError(
            f"{source}:{line}: the value{shown} cannot be read as its YAML type ({_reason(exc)}); "
            "quote it to keep it as text, or write a valid value."
        ) from None


def _unbuildable(yaml: YAML, text: str) -> tuple[int, str] | None:
    """(0-based line, text) of the first scalar the loader cannot build, found by building each alone."""
    from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

    try:
        root = yaml.compose(text)
    except Exception:  # noqa: BLE001 - only a hint for the message; the caller reports the error anyway
        return None
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop(0)
        if isinstance(node, ScalarNode):
            try:
                yaml.constructor.construct_object(node, deep=True)
            except Exception:  # noqa: BLE001 - any failure to build is the one being located
                return node.start_mark.line, str(node.value)
        elif isinstance(node, MappingNode):
            stack[:0] = [item for pair in node.value for item in pair]
        elif isinstance(node, SequenceNode):
            stack[:0] = list(node.value)
    return None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"not a value of that type: {exc.args[0]!r}" if exc.args else "not a value of that type"
    text = str(exc).split(";")[0]
    return text[:120]


def _dup_key(message: str) -> str:
    for line in message.splitlines():
        if "found duplicate key" in line:
            return line.split("found duplicate key", 1)[1].split(" with value")[0].strip()
    return "(unknown)"


def _plain(value: Any) -> Any:
    """Dates become ISO strings so every consumer sees JSON-compatible data."""
    import datetime as dt

    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value
