"""Logs a person copied or downloaded from the dashboard (README, "Logs from anywhere"):

    2025-12-11T01:46:02.351Z<TAB>message          the dashboard's download
    01:46:02.351 | message                        rows pasted from its table (or with a TAB)
    | 01:46:02.351 | message |                    the same, as a Markdown table

Markdown header and separator rows (`-- | --`) and an `<html><body>` wrapper are skipped. A
time of day alone (no date) becomes that time on 1970-01-01 UTC, a day later each time the
clock goes back by more than twelve hours, so `--timestamps utc` shows it as pasted and
`elapsed` works. A line that does not start with a time continues the message before it (a
message can span lines). `as_text` reads any file as one message a line, with no time.

The form is decided from the first lines; a file that is none of them is a usage error that
names the line. Every pattern is anchored and bounded: linear in the line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import chain

from ..errors import UsageError
from ..models import LogLine, parse_time

PAGE = 1000
LOOK = 5  # lines looked at to decide the form

_RFC3339 = re.compile(
    r"(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})?)\t"
)
_CLOCK = re.compile(r"\|?\s{0,8}(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?\s{0,8}(?:\||\t)")
_WRAPPER = re.compile(r"(?:\s*</?(?:html|body|pre|head|meta|title)\b[^>]{0,200}>){1,8}\s*$", re.I)
_SEPARATOR = re.compile(r"\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")


def _skipped(text: str) -> bool:
    return (
        not text.strip() or _WRAPPER.match(text) is not None or _SEPARATOR.match(text) is not None
    )


def pasted(
    first: str, number: int, rest: Iterator[tuple[int, str]], name: str, as_text: bool = False
) -> Iterator[list[LogLine]]:
    """The pages of a pasted log whose first non-blank line is `first` (line `number`)."""
    lines = chain([(number, first)], rest)
    if as_text:
        yield from _paged((None, None, False, text.rstrip("\r\n")) for _, text in lines)
        return
    head: list[tuple[int, str]] = []
    form, looked = None, 0
    for number, text in lines:
        head.append((number, text))
        if _skipped(text):
            continue
        if _RFC3339.match(text):
            form = "rfc3339"
            break
        if _CLOCK.match(text):
            form = "clock"
            break
        looked += 1
        if looked >= LOOK or not _header(text):
            raise _none(name, number)
    if form is None:
        raise _none(name, head[-1][0] if head else number)
    yield from _paged(_lines(chain(head, lines), form))


def _header(text: str) -> bool:
    """A Markdown table's header row (`Time | Message`), which may come before the rows."""
    return "|" in text and not any(ch.isdigit() for ch in text[:12])


def _none(name: str, number: int) -> UsageError:
    return UsageError(
        f"{name}:{number}: not a log this tool reads: not JSON, nor `TIME<TAB>message`, nor "
        "`HH:MM:SS.mmm | message` lines",
        "--input text reads any text file as one message a line",
    )


def _lines(lines: Iterator[tuple[int, str]], form: str) -> Iterator[LogLine]:
    day = 0.0
    last: float | None = None
    pending: LogLine | None = None
    for _, raw in lines:
        text = raw.rstrip("\r\n")
        if _skipped(text):
            continue
        seconds: float | None = None
        if form == "rfc3339":
            match = _RFC3339.match(text)
            if match is not None:
                seconds = parse_time(match[1])
        else:
            match = _CLOCK.match(text)
            if match is not None:
                hours, minutes, secs, fraction = match.groups()
                of_day = int(hours) * 3600 + int(minutes) * 60 + int(secs)
                seconds = of_day + (float(f"0.{fraction}") if fraction else 0.0)
                if last is not None and seconds + day < last - 12 * 3600:
                    day += 86400.0  # past midnight
                seconds += day
        if match is None:  # a message that spans lines goes on
            if pending is None and _header(text):
                continue  # a table's header row, before the first line
            if pending is not None:
                pending = (*pending[:3], pending[3] + "\n" + text)
            else:
                pending = (None, None, False, text)
            continue
        if pending is not None:
            yield pending
        message = text[match.end() :]
        if form == "clock":
            message = _cell(message)
        last = seconds
        pending = (seconds, seconds, True, message)
    if pending is not None:
        yield pending


def _cell(message: str) -> str:
    """A Markdown row's message cell: one space after the bar, and the closing bar gone."""
    message = message[1:] if message.startswith(" ") else message
    stripped = message.rstrip()
    return stripped[:-1].rstrip() if stripped.endswith("|") else message


def _paged(lines: Iterator[LogLine]) -> Iterator[list[LogLine]]:
    page: list[LogLine] = []
    for line in lines:
        page.append(line)
        if len(page) >= PAGE:
            yield page
            page = []
    if page:
        yield page
