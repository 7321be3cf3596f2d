"""Shape of the package: module and function lengths, `Any` uses, import cycles. `python scripts/code_stats.py [PACKAGE_DIR]`.

Lengths count lines from `def`/file start to the last line (docstrings and comments included).
Import cycles are strongly connected components of the graph of `skillgit.*` imports: for the
imports that run at import time (module level, outside `if TYPE_CHECKING:`), for all that run
(imports inside functions too, which keep the first graph acyclic), and with the typing-only ones.
"""

from __future__ import annotations

import ast
import statistics
import sys
from pathlib import Path


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
    modes = (("import-time", True, False), ("run time (incl. imports inside functions)", False, False),
             ("run time and typing (incl. `if TYPE_CHECKING:` imports)", False, True))
    for label, top_only, typing in modes:
        found = cycles(import_graph(trees, top_only, typing))
        print(f"import cycles, {label}: {len(found)}" + "".join(f"\n  {' <-> '.join(c)}" for c in found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
