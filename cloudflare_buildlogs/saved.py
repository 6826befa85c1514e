"""Reading a saved log back (contract section 13): this tool's `--ndjson` and `--json` output,
or the API's own logs response (one document, pretty-printed or not, or several, one a line).

`read_saved` streams: pages of lines come as the input is read, so memory does not grow with
the file (a pretty-printed document, which has no line structure to stream by, is read whole).
Anything else is a `UsageError` naming the line where it went wrong.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from .errors import UsageError
from .models import LogLine, parse_line, parse_lines

PAGE = 1000


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
    return parse_line([record.get("epoch"), record["message"]])


def read_saved(stream: TextIO, name: str, saved: Saved) -> Iterator[list[LogLine]]:
    """Pages of the saved log's lines, in order; `saved` learns the build and its end."""
    lines = iter(enumerate(stream, 1))
    number, first = next(((n, text) for n, text in lines if text.strip()), (1, ""))
    if not first:
        raise _bad(name, 1, "empty input")
    try:
        doc = json.loads(first)
    except ValueError:
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
        except ValueError as exc:
            raise _bad(name, number + _line_of(exc), f"not valid JSON: {exc}") from None
        yield from _document(whole, number, name, saved)
    else:
        raise _bad(name, number, "not JSON")


def _line_of(exc: ValueError) -> int:
    return max(0, getattr(exc, "lineno", 1) - 1)


def _ndjson(
    doc: Any, number: int, lines: Iterator[tuple[int, str]], name: str, saved: Saved
) -> Iterator[list[LogLine]]:
    """`--ndjson` records, decoded a batch of lines at a time: one `json.loads` of a thousand
    records costs what a few of them cost one by one."""
    page: list[LogLine] = []
    batch: list[tuple[int, str]] = []
    _take(doc, number, name, saved, page)
    for number, text in lines:
        if text.strip():
            batch.append((number, text))
            if len(batch) >= PAGE:
                _decode(batch, name, saved, page)
                batch = []
                yield page
                page = []
    _decode(batch, name, saved, page)
    if page:
        yield page


def _decode(batch: list[tuple[int, str]], name: str, saved: Saved, page: list[LogLine]) -> None:
    if not batch:
        return
    try:
        records = json.loads("[" + ",".join(text for _, text in batch) + "]")
    except ValueError:
        records = None
    if records is None or len(records) != len(batch):  # find the line that is wrong
        records = []
        for number, text in batch:
            try:
                records.append(json.loads(text))
            except ValueError as exc:
                raise _bad(name, number, f"not valid JSON: {exc}") from None
    if all(type(r) is dict and r.get("type") == "line" and "message" in r for r in records):
        page.extend(parse_lines([[r.get("epoch"), r["message"]] for r in records]))
        return
    for (number, _), record in zip(batch, records, strict=True):
        _take(record, number, name, saved, page)


def _take(record: Any, number: int, name: str, saved: Saved, page: list[LogLine]) -> None:
    kind = record.get("type") if isinstance(record, dict) else None
    if kind == "line":
        page.append(_record_line(record, name, number))
    elif kind == "end":
        saved.build_uuid = record.get("build_uuid") or saved.build_uuid
        saved.status, saved.outcome, saved.ended = record.get("status"), record.get("outcome"), True
    else:
        raise _bad(name, number, "not a record of `--ndjson` output")


def _next_json(lines: Iterator[tuple[int, str]], name: str) -> tuple[int, Any]:
    for number, text in lines:
        if text.strip():
            try:
                return number, json.loads(text)
            except ValueError as exc:
                raise _bad(name, number, f"not valid JSON: {exc}") from None
    return 0, None


def _api_documents(
    doc: Any, number: int, lines: Iterator[tuple[int, str]], name: str
) -> Iterator[list[LogLine]]:
    while doc is not None:
        result = doc.get("result") if isinstance(doc, dict) else None
        if not isinstance(result, dict) or not isinstance(result.get("lines"), list):
            raise _bad(name, number, "not a logs response (no `result.lines`)")
        yield parse_lines(result["lines"])
        number, doc = _next_json(lines, name)


def _document(doc: Any, number: int, name: str, saved: Saved) -> Iterator[list[LogLine]]:
    """One whole document: this tool's --json output, or an API logs response."""
    if isinstance(doc, dict) and isinstance(doc.get("result"), dict):
        result = doc["result"]
        if isinstance(result.get("lines"), list):
            yield parse_lines(result["lines"])
            return
    if not isinstance(doc, dict) or not isinstance(doc.get("lines"), list):
        raise _bad(name, number, "not a log document (no `lines`)")
    saved.build_uuid = doc.get("build_uuid")
    if "status" in doc:
        saved.status, saved.outcome, saved.ended = doc.get("status"), doc.get("outcome"), True
    records = doc["lines"]
    for start in range(0, len(records), PAGE):
        yield [_record_line(r, name, number) for r in records[start : start + PAGE]]


def _json_output(
    first: str, number: int, lines: Iterator[tuple[int, str]], name: str, saved: Saved
) -> Iterator[list[LogLine]]:
    """This tool's --json output, a line a record as it writes it, read a line at a time."""
    try:
        saved.build_uuid = json.loads(first.rstrip()[: -len('"lines": [')].rstrip(", ") + "}")[
            "build_uuid"
        ]
    except (ValueError, KeyError) as exc:
        raise _bad(name, number, "not this tool's --json output") from exc
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
        except ValueError as exc:
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
    except ValueError as exc:
        raise _bad(name, number, f"not valid JSON: {exc}") from None
    if "status" in tail:
        saved.status, saved.outcome, saved.ended = tail.get("status"), tail.get("outcome"), True
