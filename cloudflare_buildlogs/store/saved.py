"""Reading a saved log back (README, "view"): this tool's `--ndjson` and `--json` output,
or the API's own logs response (one document, pretty-printed or not, or several, one a line).

`read_saved` streams: pages of lines come as the input is read, so memory does not grow with
the file (a pretty-printed document, which has no line structure to stream by, is read whole).
Anything else is a `UsageError` naming the line where it went wrong.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any, NamedTuple

from ..errors import Irregular, UsageError, irregular
from ..models import LogLine, PageLines, Unusable, is_uuid, parse_line, parse_lines

PAGE = 1000


# What json.loads raises on input that is not JSON, or nested too deeply for it to read.
_UNREADABLE = (ValueError, RecursionError)


@dataclass
class Saved:
    """What a saved log says of its build, filled in as it is read."""

    build_uuid: str | None = None
    status: str | None = None
    outcome: str | None = None
    ended: bool = False


def _bad(name: str, number: int, why: str) -> UsageError:
    return UsageError(
        f"{name}:{number}: {why}",
        "view reads this tool's --ndjson or --json output, or the API's logs response",
    )


def _record_line(record: Any, name: str, number: int) -> LogLine:
    if not isinstance(record, dict) or "message" not in record:
        raise _bad(name, number, "not a line record (no `message`)")
    try:
        return parse_line([record.get("epoch"), record["message"]])
    except Unusable as exc:
        raise _bad(name, number, str(exc)) from None


def _lines(raw: Any, name: str, number: int) -> list[LogLine]:
    try:
        return parse_lines(raw)
    except Unusable as exc:
        raise _bad(name, number, str(exc)) from None


def _ended(saved: Saved, record: dict[str, Any], name: str, number: int) -> None:
    """How the build ended, from an end record or a --json document's tail: fields of the
    right type and shape, or the line is named as wrong (a saved file is untrusted)."""
    uuid, status, outcome = record.get("build_uuid"), record.get("status"), record.get("outcome")
    if uuid is not None and not is_uuid(uuid):
        raise _bad(name, number, "`build_uuid` is not a build UUID")
    for key, value in (("status", status), ("outcome", outcome)):
        if value is not None and not (isinstance(value, str) and value.isidentifier()):
            raise _bad(name, number, f"`{key}` is not a word")
    saved.build_uuid = uuid or saved.build_uuid
    if "status" in record:
        saved.status, saved.outcome, saved.ended = status, outcome, True


def read_saved(
    stream: Iterable[str], name: str, as_text: bool = False
) -> tuple[Saved, Iterator[PageLines | list[LogLine]]]:
    """What the file says of its build, and the pages of its lines in order: the first is
    filled in as the second is read (the end of a build comes last in a file). A file that is
    not JSON is read as a log pasted from the dashboard (`pasted.py`), or with `as_text` as
    plain text."""
    saved = Saved()
    return saved, _read(stream, name, saved, as_text)


def _read(
    stream: Iterable[str], name: str, saved: Saved, as_text: bool
) -> Iterator[PageLines | list[LogLine]]:
    lines = iter(enumerate(stream, 1))
    number, first = next(((n, text) for n, text in lines if text.strip()), (1, ""))
    if not first:
        raise _bad(name, 1, "empty input")
    if as_text or not first.lstrip().startswith(("{", "[")):
        from .pasted import pasted

        yield from pasted(first, number, lines, name, as_text)
        return
    try:
        doc = json.loads(first)
    except _UNREADABLE:
        doc = None
    if isinstance(doc, dict) and "type" in doc:
        yield from _ndjson(doc, number, lines, name, saved)
    elif isinstance(doc, dict) and "result" in doc:
        yield from _api_documents(doc, number, lines, name)
    elif isinstance(doc, dict) and "lines" in doc:
        yield from _document(doc, number, name, saved)
    elif first.lstrip().startswith('{"build_uuid": ') and first.rstrip().endswith('"lines": ['):
        yield from _json_output(first, number, lines, name, saved)
    elif first.lstrip().startswith(("{", "[")):
        rest = "".join(text for _, text in lines)
        try:
            whole = json.loads(first + rest)
        except _UNREADABLE as exc:
            raise _bad(name, number + _line_of(exc), f"not valid JSON: {exc}") from None
        yield from _document(whole, number, name, saved)


def _line_of(exc: Exception) -> int:
    return max(0, getattr(exc, "lineno", 1) - 1)


def _ndjson(
    doc: Any, number: int, lines: Iterator[tuple[int, str]], name: str, saved: Saved
) -> Iterator[PageLines]:
    """`--ndjson` records, decoded a batch of lines at a time: one `json.loads` of a thousand
    records costs what a few of them cost one by one. A page is the records' `[epoch,
    message]` pairs, as an API page is: a plain view formats them as `get` does, unparsed."""
    page: list[Any] = []
    _take(doc, number, name, saved, page)
    while batch := list(islice(lines, PAGE)):  # taken in C: no step of Python a line
        _decode(batch, name, saved, page)
        if len(page) >= PAGE:
            yield PageLines(page)
            page = []
    if page:
        yield PageLines(page)


def _decode(batch: list[tuple[int, str]], name: str, saved: Saved, page: list[Any]) -> None:
    """A batch of lines: one `json.loads` of them all as an array, and one pass that takes
    each line record's pair; any other batch (a blank line, an end record, a message that is
    not a string, a line that is not JSON) is read a line at a time, naming the line that is
    wrong."""
    try:
        records = json.loads("[" + ",".join([text for _, text in batch]) + "]")
        if len(records) == len(batch):
            page.extend(
                [
                    [r.get("epoch"), message]
                    if r["type"] == "line" and type(message := r["message"]) is str
                    else irregular()
                    for r in records
                ]
            )
            return
    except (*_UNREADABLE, Irregular, LookupError, TypeError, AttributeError):
        pass
    for number, text in batch:
        if text.strip():
            try:
                record = json.loads(text)
            except _UNREADABLE as exc:
                raise _bad(name, number, f"not valid JSON: {exc}") from None
            _take(record, number, name, saved, page)


def _take(record: Any, number: int, name: str, saved: Saved, page: list[Any]) -> None:
    kind = record.get("type") if isinstance(record, dict) else None
    if kind == "line":
        _record_line(record, name, number)  # usable, or the error naming its line
        page.append([record.get("epoch"), record["message"]])
    elif kind == "end":
        _ended(saved, {"status": None, **record}, name, number)
    else:
        raise _bad(name, number, "not a record of `--ndjson` output")


def _next_json(lines: Iterator[tuple[int, str]], name: str) -> tuple[int, Any]:
    for number, text in lines:
        if text.strip():
            try:
                return number, json.loads(text)
            except _UNREADABLE as exc:
                raise _bad(name, number, f"not valid JSON: {exc}") from None
    return 0, None


def _api_documents(
    doc: Any, number: int, lines: Iterator[tuple[int, str]], name: str
) -> Iterator[list[LogLine]]:
    while doc is not None:
        result = doc.get("result") if isinstance(doc, dict) else None
        if not isinstance(result, dict) or not isinstance(result.get("lines"), list):
            raise _bad(name, number, "not a logs response (no `result.lines`)")
        yield _lines(result["lines"], name, number)
        number, doc = _next_json(lines, name)


def _document(doc: Any, number: int, name: str, saved: Saved) -> Iterator[list[LogLine]]:
    """One whole document: this tool's --json output, or an API logs response."""
    if isinstance(doc, dict) and isinstance(doc.get("result"), dict):
        result = doc["result"]
        if isinstance(result.get("lines"), list):
            yield _lines(result["lines"], name, number)
            return
    if not isinstance(doc, dict) or not isinstance(doc.get("lines"), list):
        raise _bad(name, number, "not a log document (no `lines`)")
    _ended(saved, doc, name, number)
    records = doc["lines"]
    for start in range(0, len(records), PAGE):
        yield [_record_line(r, name, number) for r in records[start : start + PAGE]]


def _json_output(
    first: str, number: int, lines: Iterator[tuple[int, str]], name: str, saved: Saved
) -> Iterator[list[LogLine]]:
    """This tool's --json output, a line a record as it writes it, read a line at a time."""
    try:
        head = json.loads(first.rstrip()[: -len('"lines": [')].rstrip(", ") + "}")
    except _UNREADABLE as exc:
        raise _bad(name, number, "not this tool's --json output") from exc
    if not isinstance(head, dict) or "build_uuid" not in head:
        raise _bad(name, number, "not this tool's --json output")
    _ended(saved, head, name, number)
    page: list[LogLine] = []
    for number, text in lines:
        stripped = text.strip()
        if stripped.startswith("]"):
            _json_tail(stripped, number, name, saved)
            if page:
                yield page
            return
        try:
            record = json.loads(stripped.removesuffix(","))
        except _UNREADABLE as exc:
            raise _bad(name, number, f"not valid JSON: {exc}") from None
        page.append(_record_line(record, name, number))
        if len(page) >= PAGE:
            yield page
            page = []
    raise _bad(name, number, "the document ends early (truncated?)")


def _json_tail(text: str, number: int, name: str, saved: Saved) -> None:
    """`]}` or `], "status": "stopped", "outcome": "fail"}`: how the build ended, if known."""
    try:
        tail = json.loads("{" + text[1:].lstrip(", "))
    except _UNREADABLE as exc:
        raise _bad(name, number, f"not valid JSON: {exc}") from None
    if isinstance(tail, dict):
        _ended(saved, tail, name, number)


class Part(NamedTuple):
    """A piece of a several-Workers `--ndjson` file (`latest A B --ndjson`): lines of one
    Worker's build, or (`end`) how that build ended."""

    worker: str
    build_uuid: str | None
    lines: list[LogLine]
    end: Saved | None = None


def several(record: Any) -> bool:
    """Whether a first record is of a several-Workers file: it names its Worker."""
    return isinstance(record, dict) and isinstance(record.get("worker"), str)


def read_workers(lines: Iterator[tuple[int, str]], name: str) -> Iterator[Part]:
    """The parts of a several-Workers file, in the order written: runs of one Worker's lines
    (at most PAGE a part), and each build's end; every record checked as `read_saved` does."""
    run: list[LogLine] = []
    key: tuple[str, str | None] | None = None
    for number, text in lines:
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except _UNREADABLE as exc:
            raise _bad(name, number, f"not valid JSON: {exc}") from None
        if not several(record):
            raise _bad(name, number, "not a record of several Workers (no `worker`)")
        uuid = record.get("build_uuid")
        if uuid is not None and not is_uuid(uuid):
            raise _bad(name, number, "`build_uuid` is not a build UUID")
        here = (field_text(record["worker"]), uuid)
        if run and (here != key or len(run) >= PAGE):
            assert key is not None
            yield Part(key[0], key[1], run)
            run = []
        key = here
        kind = record.get("type")
        if kind == "line":
            run.append(_record_line(record, name, number))
        elif kind == "end":
            if run:  # the build's last lines before its end
                yield Part(here[0], uuid, run)
                run = []
            end = Saved()
            _ended(end, {"status": None, **record}, name, number)
            yield Part(here[0], uuid, [], end)
        else:
            raise _bad(name, number, "not a record of `--ndjson` output")
    if run and key is not None:
        yield Part(key[0], key[1], run)


def field_text(value: str) -> str:
    """A Worker's name from a file: a label, so at most 100 characters."""
    return value[:100]
