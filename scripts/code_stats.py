"""Shape of the package: module and function lengths, `Any` uses, import cycles. `python scripts/code_stats.py [PACKAGE_DIR]`.

Lengths count lines from `def`/file start to the last line (docstrings and comments included).
`Any` is allowed only at the JSON and YAML boundaries (`BOUNDARY_MODULES`, `BOUNDARY_FUNCTIONS`): where
text is decoded into Python values that nothing has checked yet. Everything past a boundary has a real
type: the `skillgit.jsontypes` aliases for what skillgit writes, TypedDicts and dataclasses for known
shapes, Protocols for third-party objects, `object` narrowed with `isinstance`. `any_uses` finds the rest;
`PENDING` lists the files that still have some, with how many (tests/test_typing_boundaries.py).
Import cycles are strongly connected components of the graph of `skillgit.*` imports: for the
imports that run at import time (module level, outside `if TYPE_CHECKING:`), for all that run
(imports inside functions too, which keep the first graph acyclic), and with the typing-only ones.
"""

from __future__ import annotations

import ast
import statistics
import sys
from pathlib import Path
from typing import NamedTuple

#: Modules that are a boundary as a whole: hand-written readers of decoded JSON/YAML values, whose
#: input is, by their purpose, any value a document can hold.
BOUNDARY_MODULES: dict[str, str] = {
    "skillgit/yamlio/fast.py": "the hand-written YAML reader for simple mappings (the hook path's fast load)",
    "skillgit/model/fastschema.py": "the hand-written JSON Schema check over decoded YAML values",
    # the trace readers: each decoded record is checked here as it becomes typed sessions and tool calls; a
    # record of another shape raises as it is read, and is skipped and counted as `wrong-type`
    "skillgit/evidence/adapters/lines.py": "the JSON-lines reading the trace readers share, and their value helpers",
    "skillgit/evidence/adapters/claude_code.py": "the Claude Code transcript reader",
    "skillgit/evidence/adapters/codex.py": "the Codex rollout reader",
    "skillgit/evidence/adapters/otlp.py": "the OpenTelemetry (OTLP/JSON, Jaeger) span and log reader",
    "skillgit/evidence/adapters/yoyo.py": "the yoyo audit and outcome reader",
    "skillgit/evidence/adapters/native.py": "the reader of skillgit's own JSON-lines export",
}

#: Functions that decode JSON or YAML text into Python values (each calls a decoder, `DECODERS`, or another
#: boundary function of its module): their result, parameters and locals may be `Any`, because nothing has
#: checked the values yet. Their callers check (schema, isinstance) and type what they keep.
BOUNDARY_FUNCTIONS: dict[str, frozenset[str]] = {
    "skillgit/yamlio/__init__.py": frozenset({"load_yaml", "load_yaml_ruamel", "_plain"}),
    "skillgit/schemas/__init__.py": frozenset({"load_schema"}),
    "skillgit/evidence/store.py": frozenset({"Store.unchanged"}),
}

#: The calls that decode text: `json.load(s)`, ruamel's `load`/`compose`, and the package's YAML readers.
DECODERS = frozenset({"loads", "load", "compose", "load_yaml", "load_yaml_ruamel", "load_simple"})

#: Files outside the boundaries that still use `Any`, with how many uses (the import not counted): the
#: list may only shrink. A file's count going down is progress; remove the entry when it reaches 0.
PENDING: dict[str, int] = {}


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(tree: ast.Module, name: str, is_package: bool, modules: set[str], top_only: bool, typing: bool = False) -> set[str]:
    found: set[str] = set()

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child) and not typing:
                continue
            inner = top and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import) and (inner or not top_only):
                found.update(a.name for a in child.names)
            elif isinstance(child, ast.ImportFrom) and (inner or not top_only):
                base = child.module or ""
                if child.level:
                    package = name if is_package else name.rpartition(".")[0]
                    for _ in range(child.level - 1):
                        package = package.rpartition(".")[0]
                    base = f"{package}.{base}".strip(".")
                subs = {f"{base}.{a.name}" for a in child.names}
                found.update(subs)
                if not subs <= modules:  # `from pkg import mod` names the submodule, not pkg's own names
                    found.add(base)
            visit(child, inner)

    visit(tree, True)
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    sys.setrecursionlimit(10_000)

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def dist(values: list[int]) -> str:
    values = sorted(values)
    q = statistics.quantiles(values, n=100, method="inclusive")
    return (f"n={len(values)} median={statistics.median(values):g} p90={q[89]:g} p99={q[98]:g} max={values[-1]} "
            f"sum={sum(values)}")


def parse_package(root: Path) -> dict[str, tuple[Path, ast.Module]]:
    """module name → (file, syntax tree) of every module of the package at `root` (not the demo's data)."""
    files = sorted(p for p in root.rglob("*.py") if not p.is_relative_to(root / "demo" / "data"))
    return {module_name(root, p): (p, ast.parse(p.read_text(encoding="utf-8"))) for p in files}


def import_graph(trees: dict[str, tuple[Path, ast.Module]], top_only: bool, typing: bool) -> dict[str, set[str]]:
    """module → the package's modules it imports (see the module doc for `top_only` and `typing`)."""
    graph: dict[str, set[str]] = {}
    for m, (p, tree) in trees.items():
        targets = imports(tree, m, p.name == "__init__.py", set(trees), top_only, typing)
        graph[m] = {t for t in targets if t in trees and t != m}
    return graph


class AnyUse(NamedTuple):
    """One `Any` in an annotation or expression (not its import): where, and the enclosing function."""

    path: str
    line: int
    function: str | None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" + (f" (in {self.function})" if self.function else "")


def _any_names(node: ast.AST) -> list[int]:
    """Line of each `Any` / `typing.Any` in `node`, string annotations included."""
    lines = []
    for n in ast.walk(node):
        if (isinstance(n, ast.Name) and n.id == "Any") or (isinstance(n, ast.Attribute) and n.attr == "Any"):
            lines.append(n.lineno)
        elif isinstance(n, ast.Constant) and isinstance(n.value, str) and "Any" in n.value and _annotation_text(n):
            try:
                inner = ast.parse(n.value.strip(), mode="eval")
            except SyntaxError:
                continue
            lines.extend(n.lineno for _ in _any_names(inner))
    return lines


def _annotation_text(node: ast.Constant) -> bool:
    parent: ast.AST | None = node
    while parent is not None:
        if getattr(parent, "sg_annotation", False):
            return True
        parent = getattr(parent, "sg_parent", None)
    return False


def _mark(tree: ast.Module) -> None:
    """Give every node its parent, and mark annotations, TypeAlias values and `cast`/`TypeVar` arguments."""
    for n in ast.walk(tree):
        for child in ast.iter_child_nodes(n):
            child.sg_parent = n  # type: ignore[attr-defined]
        if isinstance(n, ast.arg) and n.annotation is not None:
            n.annotation.sg_annotation = True  # type: ignore[attr-defined]
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.returns is not None:
            n.returns.sg_annotation = True  # type: ignore[attr-defined]
        elif isinstance(n, ast.AnnAssign):
            n.annotation.sg_annotation = True  # type: ignore[attr-defined]
            if n.value is not None:
                n.value.sg_annotation = True  # type: ignore[attr-defined]
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in ("cast", "TypeVar"):
            for a in (*n.args, *(k.value for k in n.keywords)):
                a.sg_annotation = True  # type: ignore[attr-defined]


def _functions(tree: ast.Module) -> list[tuple[str, int, int]]:
    """(qualified name, first line, last line) of every function, outermost first."""
    out: list[tuple[str, int, int]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                out.append((prefix + child.name, first, child.end_lineno or child.lineno))
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return out


def any_uses(root: Path, boundaries: bool = False) -> list[AnyUse]:
    """Every `Any` of the package at `root` outside the boundaries (with `boundaries`, those inside only)."""
    found = []
    for _, (path, tree) in parse_package(root).items():
        rel = path.relative_to(root.parent).as_posix()
        _mark(tree)
        functions = _functions(tree)
        allowed = BOUNDARY_FUNCTIONS.get(rel, frozenset())
        for line in sorted(_any_names(tree)):
            inner = [name for name, first, last in functions if first <= line <= last]
            function = inner[-1] if inner else None
            inside = rel in BOUNDARY_MODULES or any(name in allowed for name in inner)
            if inside == boundaries:
                found.append(AnyUse(rel, line, function))
    return found


def boundary_problems(root: Path) -> list[str]:
    """A listed boundary function that is missing or decodes nothing (the list must name real decoders)."""
    problems = []
    for rel, names in sorted(BOUNDARY_FUNCTIONS.items()):
        path = root.parent / rel
        if not path.exists():
            problems.append(f"{rel}: listed in BOUNDARY_FUNCTIONS but missing")
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        starts = {first: name for name, first, _ in _functions(tree)}
        defs = {starts[min([n.lineno, *(d.lineno for d in n.decorator_list)])]: n for n in ast.walk(tree)
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}  # by qualified name: `Class.method`
        for name in sorted(names):
            node = defs.get(name)
            if node is None:
                problems.append(f"{rel}: boundary function {name} not found; remove it from BOUNDARY_FUNCTIONS")
                continue
            calls = {c.func.id if isinstance(c.func, ast.Name) else c.func.attr for c in ast.walk(node)
                     if isinstance(c, ast.Call) and isinstance(c.func, (ast.Name, ast.Attribute))}
            if not calls & (DECODERS | names):
                problems.append(f"{rel}: {name} decodes no JSON or YAML (it calls none of {sorted(DECODERS)}); "
                                "type it and remove it from BOUNDARY_FUNCTIONS")
    for rel in sorted(BOUNDARY_MODULES):
        if not (root.parent / rel).exists():
            problems.append(f"{rel}: listed in BOUNDARY_MODULES but missing")
    return problems


def any_counts(uses: list[AnyUse]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for u in uses:
        counts[u.path] = counts.get(u.path, 0) + 1
    return counts


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "skillgit").resolve()
    trees = parse_package(root)
    module_lines = {m: len(p.read_text(encoding="utf-8").splitlines()) for m, (p, _) in trees.items()}
    function_lines = [n.end_lineno - n.lineno + 1 for _, tree in trees.values() for n in ast.walk(tree)
                      if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno is not None]
    print(f"modules (lines): {dist(list(module_lines.values()))}")
    print("  largest: " + ", ".join(f"{m} {n}" for m, n in sorted(module_lines.items(), key=lambda x: -x[1])[:5]))
    print(f"functions (lines): {dist(function_lines)}")
    buckets = [(1, 10), (11, 25), (26, 50), (51, 100), (101, 10**9)]
    print("  by length: " + ", ".join(f"{lo}-{hi if hi < 10**9 else ''}: {sum(lo <= n <= hi for n in function_lines)}" for lo, hi in buckets))
    outside, inside = any_uses(root), any_uses(root, boundaries=True)
    counts = any_counts(outside)
    print(f"Any (not counting imports): {len(inside)} at the JSON/YAML boundaries, {len(outside)} elsewhere "
          f"({sum(n for p, n in counts.items() if p in PENDING)} in PENDING files)")
    for path, n in sorted(counts.items(), key=lambda x: (-x[1], x[0])):
        print(f"  {path}: {n}" + ("" if path in PENDING else "  (not in PENDING)"))
    modes = (("import-time", True, False), ("run time (incl. imports inside functions)", False, False),
             ("run time and typing (incl. `if TYPE_CHECKING:` imports)", False, True))
    for label, top_only, typing in modes:
        found = cycles(import_graph(trees, top_only, typing))
        print(f"import cycles, {label}: {len(found)}" + "".join(f"\n  {' <-> '.join(c)}" for c in found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
