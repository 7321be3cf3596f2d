"""Lenient line reading shared by every adapter: JSON lines in, dicts out, bad lines counted.

A bad line never raises: it is recorded in the `ReadReport` as `file:line: reason` and reading
goes on. Reasons (also the keys of `ReadReport.counts`):

    truncated     the line ends before its JSON value does (a writer killed mid-line)
    not-json      anything else json.loads rejects
    wrong-type    valid JSON, but not the object shape the format needs
    too-long      longer than traces.max_line_bytes (the line is never held in memory)
    binary        NUL bytes or invalid UTF-8
    empty         an empty file (file-level)
    unreadable    a file that cannot be opened or read (file-level)
    unknown-format  a file no adapter recognizes, named on the command line or with a trace suffix (file-level)
    wrong-format  a file read with a forced --format that holds nothing usable in that format (file-level)

Half of a surrogate pair in a string (valid JSON, never valid UTF-8) is read as U+FFFD (`mend_surrogates`).
"""

from __future__ import annotations

import json
import os
import re
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import MISSING, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from skillgit.evidence.session import Learning, Session, ToolCall
from skillgit.frozenrecord import Record
from skillgit.safefile import open_regular

DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024
MAX_EXAMPLES = 20
ARG_MAX_CHARS = 4096
ERROR_MAX_CHARS = 500
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
_fromiso = datetime.fromisoformat
_new = object.__new__
_setattr = object.__setattr__
_SCAN: Any = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # the C scanner json.loads ends in
_LONE = re.compile("[\ud800-\udfff]")
"""A lone surrogate: in a decoded string, a pair's two halves are one character already."""
CAREFUL = False
"""Whether `iter_json` looks at every line for lone surrogates (`mend_surrogates`). Looking costs a pass over
every line's text, a sixteenth of an ingest's time, for what is rare: a reading is made without it, and one the
store refuses for a lone surrogate is made again with it (`ingest`)."""

# fields added to ToolCall later (with defaults) beyond the seven tool_call() sets
_CALL_DEFAULTS = {f.name: f.default for f in fields(ToolCall) if f.default is not MISSING and f.name not in
                  ("ok", "ts", "duration_ms", "error", "exit_code")}


@dataclass(frozen=True, eq=False, repr=False)
class Skip(Record):
    """One skipped line (`line` 0 for a whole file)."""

    file: str
    line: int
    reason: str
    detail: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.reason}" + (f" ({self.detail})" if self.detail else "")


@dataclass
class ReadReport:
    """What reading skipped: counts by reason, the first few places, and the files read along."""

    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
    counts: Counter[str] = field(default_factory=Counter)
    examples: list[Skip] = field(default_factory=list)
    depends: list[Path] = field(default_factory=list)
    lines: int = 0

    def skip(self, file: Path | str, line: int, reason: str, detail: str = "") -> None:
        self.counts[reason] += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(Skip(str(file), line, reason, detail))

    def depends_on(self, path: Path) -> None:
        """Note a companion file the current source was read with (its change invalidates the cache)."""
        self.depends.append(path)

    @property
    def skipped(self) -> int:
        return sum(self.counts.values())

    def merge(self, counts: dict[str, int], examples: list[Skip]) -> None:
        self.counts.update(counts)
        room = MAX_EXAMPLES - len(self.examples)
        if room > 0:
            self.examples.extend(examples[:room])


@dataclass
class Cursor:
    """Where a resumable read of a JSON-lines file stands: `offset` bytes and `line` lines read, every one
    of them complete. A last line without its newline may still be being written: `before_tail` is called
    (once) before it is used, so that the reader's state without it can be kept, and the cursor stays
    before it. `data`: a data line was seen (an empty file is reported once); `resumable` turns False
    when the file is not JSON lines (pretty-printed documents are read whole, every time)."""

    offset: int = 0
    line: int = 0
    data: bool = False
    resumable: bool = True
    before_tail: Callable[[], None] | None = None


READ_BUFFER = 1 << 16
"""Bytes read from a trace file at a time: a transcript's lines run to kilobytes, and reading them
through the default 8 KiB buffer costs several reads a line (a third of the reading's CPU)."""


def iter_json(path: Path, report: ReadReport, cursor: Cursor | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every line of `path` that is a JSON object; the rest is reported.

    With a `cursor`, reading starts at its offset (line numbers go on from its line) and the cursor
    follows every complete line, once its object has been used."""
    try:
        handle = open_regular(path, READ_BUFFER)  # closed by the `with handle` below
    except OSError as exc:
        report.skip(path, 0, "unreadable", exc.strerror or type(exc).__name__)
        return
    limit = report.max_line_bytes
    scan = _SCAN
    careful = CAREFUL
    number = start = cursor.line if cursor is not None else 0
    seen_data = cursor is not None and cursor.data
    tail = cursor.before_tail if cursor is not None else None
    # the cursor's place (offset, lines, data) follows the lines in locals, given to the cursor before `tail`
    # is called and when the reading ends or is given up (attribute stores cost more, every line)
    offset = cursor.offset if cursor is not None else 0
    done, done_data = number, seen_data
    try:
        with handle:
            if offset:
                handle.seek(offset)
            readline = handle.readline
            while True:
                try:
                    line = readline(limit + 1)
                except OSError as exc:
                    report.skip(path, number + 1, "unreadable", exc.strerror or type(exc).__name__)
                    break
                if not line:
                    break
                number += 1
                size = len(line)
                whole = line[-1] == 10
                if size > limit and not whole:
                    drained, whole = _drain(readline)
                    size += drained
                    if not whole and tail is not None:
                        _place(cursor, offset, done, done_data)
                        tail()
                        tail = None
                    report.skip(path, number, "too-long", f"over {limit} bytes")
                    seen_data = True
                else:
                    if not whole and tail is not None:
                        _place(cursor, offset, done, done_data)
                        tail()  # the reader's state as it is before a line still being written
                        tail = None
                    # json.loads(line) minus its Python-level wrapping: decode, then the C scanner directly.
                    # Anything unusual (BOM, leading blanks, errors) takes the json.loads path below.
                    obj: Any = None
                    try:
                        text = line.decode()
                        obj, end = scan(text, 0)
                        if end < len(text) and not text[end:].isspace():
                            raise ValueError("extra data")
                        if careful and may_hold_surrogates(text):
                            obj = mend_surrogates(obj)
                    except (ValueError, StopIteration, RecursionError):
                        try:
                            obj = mend_surrogates(json.loads(line))  # bytes: an encoded surrogate passes
                        except (ValueError, RecursionError) as exc:
                            obj = _BAD
                            if not line.isspace():
                                seen_data = True
                                report.skip(path, number, *_classify(line, exc))
                    if obj is not _BAD:
                        seen_data = True
                        if type(obj) is dict:
                            yield number, obj
                        else:
                            report.skip(path, number, "wrong-type", f"a JSON {type(obj).__name__}, not an object")
                if whole:
                    offset += size
                    done = number
                    done_data = seen_data
    finally:
        _place(cursor, offset, done, done_data)
    report.lines += number - start
    if not seen_data:
        report.skip(path, 0, "empty")


_BAD = object()


def _place(cursor: Cursor | None, offset: int, line: int, data: bool) -> None:
    """Set where `cursor` (when there is one) stands."""
    if cursor is not None:
        cursor.offset, cursor.line, cursor.data = offset, line, data


def iter_values(path: Path, report: ReadReport, cursor: Cursor | None = None) -> Iterator[tuple[int, Any]]:
    """(line number, value) for every JSON document of `path`, whichever way it is laid out: one a line
    (JSON lines, as `iter_json` reads them), or pretty-printed over many lines, one document or several
    written one after the other (the OTLP example files, Python's ConsoleSpanExporter). A file whose
    first non-blank line is a complete JSON value is read as JSON lines; otherwise, when it starts with
    `{` or `[`, as a stream of documents (at most `max_line_bytes` in all), reported at the line each
    one starts on. Objects and arrays are yielded; other values are `wrong-type`. A `cursor` is followed
    as `iter_json` follows it (a stream of documents makes it not resumable: such a file is read whole)."""
    if cursor is not None and cursor.offset:
        yield from iter_json(path, report, cursor)  # it was read as JSON lines up to there
        return
    first = _first_line(path, report.max_line_bytes)
    if first is None or first[:1] not in (b"{", b"[") or len(first) > report.max_line_bytes or _complete(first):
        yield from iter_json(path, report, cursor)
        return
    if cursor is not None:
        cursor.resumable = False
    try:
        with open_regular(path) as handle:
            data = read_upto(handle, report.max_line_bytes + 1)
    except OSError as exc:
        report.skip(path, 0, "unreadable", exc.strerror or type(exc).__name__)
        return
    if len(data) > report.max_line_bytes:
        report.skip(path, 1, "too-long", f"a JSON document over {report.max_line_bytes} bytes")
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.skip(path, 1, "binary", "invalid UTF-8")
        return
    decode = _DECODER.raw_decode
    lone = may_hold_surrogates(text)
    at, size, line = 0, len(text), 1
    while True:
        stop = at
        while stop < size and text[stop].isspace():
            stop += 1
        line += text.count("\n", at, stop)
        at = stop
        if at >= size:
            break
        try:
            value, end = decode(text, at)
        except (ValueError, RecursionError) as exc:
            report.skip(path, line, *_classify(text[at:].encode(), exc))
            break
        report.lines += text.count("\n", at, end)
        if type(value) in (dict, list):
            yield line, mend_surrogates(value) if lone else value
        else:
            report.skip(path, line, "wrong-type", f"a JSON {type(value).__name__}, not an object")
        line += text.count("\n", at, end)
        at = end


_DECODER = json.JSONDecoder()


def _first_line(path: Path, limit: int) -> bytes | None:
    """The first non-blank line of `path` (stripped, at most `limit` bytes), None when there is none."""
    try:
        with open_regular(path) as handle:
            while True:
                line = handle.readline(limit + 1)
                if not line:
                    return None
                stripped = line.strip().removeprefix(b"\xef\xbb\xbf")
                if stripped:
                    return stripped
    except OSError:
        return None


def _complete(line: bytes) -> bool:
    try:
        json.loads(line)
    except (ValueError, RecursionError):
        return False
    return True


def read_upto(handle: BinaryIO, limit: int) -> bytes:
    """`handle.read(limit)`, without making a buffer of `limit` bytes first (`read(n)` does, and a limit is
    megabytes where a file is a few hundred bytes): what the file's size says, then whatever it grew by."""
    size = os.fstat(handle.fileno()).st_size
    data = handle.read(min(size, limit - 1) + 1)
    if len(data) > size and len(data) < limit:
        data += handle.read(limit - len(data))
    return data


def read_json_file(path: Path, report: ReadReport, data: bytes | None = None) -> dict[str, Any] | None:
    """A whole-file JSON object (yoyo's pretty-printed outcome.json), or None after reporting why; `data`:
    the file's bytes when they were read already (the whole file)."""
    if data is None:
        try:
            with open_regular(path) as handle:
                data = read_upto(handle, report.max_line_bytes + 1)
        except OSError as exc:
            report.skip(path, 0, "unreadable", exc.strerror or type(exc).__name__)
            return None
    if len(data) > report.max_line_bytes:
        report.skip(path, 1, "too-long", f"over {report.max_line_bytes} bytes")
        return None
    if not data.strip():
        report.skip(path, 0, "empty")
        return None
    try:
        obj = mend_surrogates(json.loads(data))  # bytes: an encoded surrogate passes
    except (ValueError, RecursionError) as exc:
        report.skip(path, 1, *_classify(data, exc))
        return None
    if type(obj) is not dict:
        report.skip(path, 1, "wrong-type", f"a JSON {type(obj).__name__}, not an object")
        return None
    return obj


def _drain(readline: Callable[[int], bytes]) -> tuple[int, bool]:
    """Read on to the end of an overlong line: (bytes read, whether the line ended with its newline)."""
    size = 0
    while True:
        chunk = readline(1 << 20)
        size += len(chunk)
        if not chunk:
            return size, False
        if chunk[-1] == 10:
            return size, True


def _classify(line: bytes, exc: BaseException) -> tuple[str, str]:
    if b"\x00" in line or isinstance(exc, UnicodeDecodeError):
        return "binary", "NUL bytes" if b"\x00" in line else "invalid UTF-8"
    if isinstance(exc, json.JSONDecodeError):
        cut_off = not line.endswith(b"\n") and line.lstrip()[:1] in (b"{", b"[")
        if cut_off or exc.msg.startswith("Unterminated string") or exc.pos >= len(exc.doc.rstrip()):
            return "truncated", "the line ends inside a JSON value"
        return "not-json", exc.msg
    return "not-json", type(exc).__name__


# -- small value helpers shared by the adapters ------------------------------------------------


def parse_time(value: Any) -> datetime | None:
    """An aware datetime from ISO 8601 text (naive = UTC) or unix seconds/milliseconds; else None."""
    if type(value) is str:
        try:
            parsed = _fromiso(value)
            # a naive time is UTC; re-parsing with an offset is ~10x cheaper than .replace(tzinfo=)
            return parsed if parsed.tzinfo is not None else _fromiso(value + "+00:00")
        except ValueError:
            return None
    if type(value) in (int, float):
        seconds = value / 1000 if value > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, ValueError, OSError):
            return None
    return None


def duration_until(started: datetime | None, end: Any) -> int | None:
    """Milliseconds from `started` to `end` (as read: `parse_time`), when both are known and in that order."""
    if started is None or end is None:
        return None
    finished = parse_time(end)
    if finished is None or finished < started:
        return None
    return int((finished - started).total_seconds() * 1000)


def tool_call(
    name: str,
    args: Mapping[str, Any],
    ok: bool | None = None,
    ts: datetime | None = None,
    duration_ms: int | None = None,
    error: str | None = None,
    exit_code: int | None = None,
) -> ToolCall:
    """`ToolCall(...)` without the frozen-dataclass `__init__` cost (3x faster; same object).

    Adapters create one per traced tool call, millions per large ingest, so this matters.
    """
    call = _new(ToolCall)
    state = {"name": name, "args": args, "ok": ok, "ts": ts, "duration_ms": duration_ms, "error": error, "exit_code": exit_code}
    _setattr(call, "__dict__", {**_CALL_DEFAULTS, **state} if _CALL_DEFAULTS else state)
    return call


def mend_surrogates(obj: Any) -> Any:
    """`obj`, decoded JSON, with each lone surrogate of its strings replaced by U+FFFD. JSON lets a string hold one
    (a `\\ud800` escape, as a tool that cut a string between the halves of a pair writes it; `json.loads` of
    bytes lets an encoded one through), but UTF-8 cannot: the store, whose text is UTF-8, would refuse the
    session."""
    if type(obj) is str:
        return _LONE.sub("\ufffd", obj)
    if type(obj) is list:
        return [mend_surrogates(x) for x in obj]
    if type(obj) is dict:
        return {mend_surrogates(k): mend_surrogates(v) for k, v in obj.items()}
    return obj


def may_hold_surrogates(text: str) -> bool:
    """Whether JSON `text` may decode to a lone surrogate: only an escape of one can make one."""
    return "\\ud" in text or "\\uD" in text


def loads_mended(text: str) -> Any:
    """json.loads(text), lone surrogates mended (`mend_surrogates`)."""
    obj = json.loads(text)
    return mend_surrogates(obj) if may_hold_surrogates(text) else obj


def loads_object(text: str) -> Any:
    """json.loads(text) for one small document, through the C scanner when it can."""
    try:
        obj, end = _SCAN(text, 0)
        if end == len(text) or text[end:].isspace():
            return mend_surrogates(obj) if may_hold_surrogates(text) else obj
    except (ValueError, StopIteration, RecursionError):
        pass
    return loads_mended(text)


def from_unix_nanos(value: Any) -> datetime | None:
    """OTLP `...UnixNano` (string or int) as an aware datetime, exact to the microsecond."""
    try:
        nanos = int(value)
    except (TypeError, ValueError):
        return None
    if nanos <= 0:
        return None
    try:
        return EPOCH + MICROSECOND * (nanos // 1000)
    except OverflowError:
        return None


def clip(text: str, limit: int = ARG_MAX_CHARS) -> str:
    """`text` cut to at most `limit` chars, saying so (idempotent: a clipped text is not cut again)."""
    if len(text) <= limit:
        return text
    suffix = f"... [truncated, {len(text)} chars total]"
    return text[: limit - len(suffix)] + suffix


def clip_args(args: dict[str, Any]) -> dict[str, Any]:
    """Tool arguments with long string values clipped (file contents written by a tool, say)."""
    for value in args.values():
        if type(value) is str and len(value) > ARG_MAX_CHARS:
            return {k: clip(v) if type(v) is str else v for k, v in args.items()}
    return args


def split_skill(ref: str) -> tuple[str, str | None]:
    """(`brainstorming`, `superpowers:brainstorming`) for a plugin-namespaced reference."""
    ref = ref.strip().lstrip("/")
    if ":" in ref:
        return ref.rsplit(":", 1)[1], ref
    return ref, None


def stamp_version(record: dict[str, Any]) -> str | None:
    """A skill version id carried next to a skill name (`skill_version` / `skillVersion`)."""
    version = record.get("skill_version") or record.get("skillVersion")
    return version if type(version) is str and version else None


@dataclass(frozen=True, eq=False, repr=False)
class Batch(Record):
    """What a reader has for the store since its last flush: new or changed records, and which of the
    sessions it gave before still stand (None: all of them — its records only add to them).

    `kept`: for a session given before that goes on, how many of its first tool calls stand as given;
    its record then carries only the calls after them (everything else about it is whole). `restart`:
    what was read cannot be added to what the reader gave before: read the file again from its start.
    `changed`: for a session given before, tool calls before the ones its record carries that changed, by
    place: (ok, end time as read, error, exit code; `...` for the error or exit code as given before). Its
    record then goes on from the first of them (`skillgit.evidence.ingest`), the calls between as stored."""

    records: list[Session | Learning]
    keep: frozenset[str] | None = None
    kept: Mapping[str, int] = field(default_factory=dict)
    restart: bool = False
    changed: Mapping[str, Mapping[int, tuple[Any, ...]]] = field(default_factory=dict)


class LineReader(Protocol):
    """The running state of one trace file read record by record. It is plain data (picklable), so an
    ingest can keep it and a later one go on from where the file's last complete line was."""

    documents: bool
    """Whether the file may also be pretty-printed JSON documents (read with `iter_values`)."""

    # A reader may say `tail_safe = False`: its state kept before a last line still being written does not
    # describe what the flush after that line gives; such a file is then read whole the next time.

    def add(self, number: int, value: Any) -> None:
        """Take the record on line `number`; a record of the wrong shape raises TypeError, ValueError,
        KeyError or AttributeError (it is then skipped and counted as `wrong-type`)."""

    def flush(self, report: ReadReport) -> Batch:
        """The records since the last flush (see `Batch`). A reader's pickled state leaves out what the
        next flush delivers (records pending, sessions to redo), so a state kept just before a flush goes
        on without giving them twice."""


def feed(path: Path, report: ReadReport, reader: LineReader, cursor: Cursor | None = None) -> None:
    """Feed every record of `path` (from `cursor` on, when given) to `reader`; bad ones go to `report`."""
    values = iter_values(path, report, cursor) if reader.documents else iter_json(path, report, cursor)
    add = reader.add
    for number, value in values:
        try:
            add(number, value)
        except (TypeError, AttributeError, ValueError, KeyError) as exc:
            report.skip(path, number, "wrong-type", str(exc) or type(exc).__name__)


def read_lines(path: Path, report: ReadReport, reader: LineReader) -> Iterator[Session | Learning]:
    """Every record of `path`, read whole through `reader`."""
    feed(path, report, reader)
    yield from reader.flush(report).records


class LineAdapter(ABC):
    """A format read record by record: the adapter makes a file's `reader`; `read` reads it whole with one."""

    @abstractmethod
    def reader(self, path: Path) -> LineReader:
        """A new reader of `path` (see `LineReader`)."""

    def read(self, path: Path, report: ReadReport) -> Iterator[Session | Learning]:
        return read_lines(path, report, self.reader(path))
