"""Load `evals.yaml` (version 1) and `holdout.jsonl` into eval records.

Every problem is reported with the file and the path to the bad value, e.g.
`skills/x/evals/evals.yaml: suites[0].cases[2].graders[1].expectTools: 'Bash' is not a list`, and
all problems of a file are reported at once. A grader that cannot fail is a load error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import cast

from skillgit.errors import UsageError
from skillgit.evals.graders import GRADERS
from skillgit.evals.model import EvalCase, EvalSet, EvalSuite, Grader, GraderSpec
from skillgit.evals.schema import join_path, problems
from skillgit.jsontypes import JSON

MAX_HOLDOUT_BYTES = 50_000_000
FIX = "Fix the values above; the evals.yaml format is in docs/evals.md."


class EvalsFileError(UsageError):
    """An `evals.yaml` or `holdout.jsonl` that cannot be loaded."""


def load_evals(path: Path, *, name: str | None = None) -> EvalSet:
    """Load and validate an `evals.yaml`. `name` is how errors name the file (default: `path`)."""
    source = name or str(path)
    text = _read(path, source)
    from skillgit.yamlio import load_yaml

    try:
        data = load_yaml(text, source)
    except UsageError as exc:
        raise EvalsFileError(str(exc)) from None
    if not isinstance(data, dict):
        raise EvalsFileError(
            f"{source}: the top level must be a mapping with `version: 1` and `suites`; see docs/evals.md."
        )
    found = problems(data)
    if found:
        raise EvalsFileError("\n".join(f"{source}: {p}" for p in found) + "\n" + FIX)
    errors: list[str] = []
    suites: list[EvalSuite] = []
    seen: dict[str, str] = {}
    for si, suite in enumerate(data["suites"]):
        cases = []
        for ci, raw in enumerate(suite["cases"]):
            case = _case(raw, source, f"suites[{si}].cases[{ci}]", suite["name"], path.parent, errors, ("id", "name"))
            if case is not None:
                _unique(case, seen, errors)
                cases.append(case)
        suites.append(EvalSuite(suite["name"], tuple(cases)))
    if errors:
        raise EvalsFileError("\n".join(errors))
    return EvalSet(tuple(c for s in suites for c in s.cases), path, tuple(suites))


def load_holdout(path: Path, *, name: str | None = None) -> list[EvalCase]:
    """Load a holdout: one JSON case a line, each with an `id` and the fields of an evals.yaml case.

    Blank lines are skipped; every other problem names its line. Unknown fields are case data
    (see `EvalCase.data`); a line with `input` but no `prompt` (qvr's scenarios.jsonl) uses it
    as the prompt.
    """
    source = name or str(path)
    text = _read(path, source, max_bytes=MAX_HOLDOUT_BYTES)
    errors: list[str] = []
    cases: list[EvalCase] = []
    seen: dict[str, str] = {}
    schema_failed = False
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{source}:{lineno}"
        try:
            raw = json.loads(line)
        except ValueError as exc:
            errors.append(f"{where}: not valid JSON ({exc}); each line must be one JSON case object.")
            continue
        if not isinstance(raw, dict):
            errors.append(f"{where}: a holdout line must be a JSON object with an `id`; found {type(raw).__name__}.")
            continue
        found = problems(raw, "case")
        if found:
            errors.extend(f"{where}: {p}" for p in found)
            schema_failed = True
            continue
        if "prompt" not in raw and isinstance(raw.get("input"), str):
            raw = {**raw, "prompt": raw["input"]}
        case = _case(raw, where, "", None, path.parent, errors, ("id",))
        if case is not None:
            _unique(case, seen, errors)
            cases.append(case)
    if errors:
        raise EvalsFileError("\n".join(errors) + ("\n" + FIX if schema_failed else ""))
    return cases


def _read(path: Path, source: str, max_bytes: int | None = None) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise EvalsFileError(f"{source}: no such file; create it or fix the path.") from None
    except IsADirectoryError:
        raise EvalsFileError(f"{source}: is a directory; name the file itself.") from None
    except OSError as exc:
        raise EvalsFileError(f"{source}: cannot read it ({exc.strerror}).") from None
    if max_bytes is not None and len(data) > max_bytes:
        raise EvalsFileError(f"{source}: larger than {max_bytes} bytes; split the holdout.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EvalsFileError(f"{source}: not valid UTF-8 at byte {exc.start}; save it as UTF-8.") from None


def _case(
    raw: Mapping[str, JSON],
    place: str,
    path: str,
    suite: str | None,
    base: Path,
    errors: list[str],
    id_keys: tuple[str, ...],
) -> EvalCase | None:
    """The case at `place` (`file` or `file:line`) and JSON path `path`, checked against the schema;
    problems go to `errors`."""
    where = f"{place}: {path}" if path else place
    case_id = next((raw[k] for k in id_keys if raw.get(k)), None)
    if case_id is None:
        keys = " or ".join(f"`{k}`" for k in id_keys)
        errors.append(f"{where}: a case needs {keys}; give it a unique one.")
        return None
    graders: list[Grader] = []
    specs = raw.get("graders")
    for gi, spec in enumerate(cast("list[GraderSpec]", specs) if isinstance(specs, list) else ()):
        try:
            at = f"{place}: {join_path(path, f'graders[{gi}]')}"
            graders.append(GRADERS[spec["type"]].from_spec(spec, at, base))
        except UsageError as exc:
            errors.append(str(exc))
    data = {k: v for k, v in raw.items() if k != "graders"}
    prompt = raw.get("prompt")
    return EvalCase(str(case_id), prompt if isinstance(prompt, str) else None, tuple(graders), suite, where, data)


def _unique(case: EvalCase, seen: dict[str, str], errors: list[str]) -> None:
    if case.id in seen:
        errors.append(f"{case.source}: case id {case.id!r} is already used at {seen[case.id]}; give each case a unique id.")
    else:
        seen[case.id] = case.source
