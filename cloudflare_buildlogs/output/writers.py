"""Writers for the log: text, json and ndjson, and the tail buffer.

Log lines go straight to the stream as preformatted text, one write per page: rich runs at
5k-13k lines/s per `print`, a plain write at 700k+ (benchmarks/PERFORMANCE.md), and rich would
read `[brackets]` in build output as markup. Knows nothing of httpx.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TextIO, cast

from ..analysis.untrusted import continued, sanitize, shown_frame, uncolored
from ..errors import Irregular, irregular
from ..models import (
    EPOCH,
    MESSAGE,
    NUMBER,
    PHASE,
    SECONDS,
    SUBSECOND,
    Line,
    PageLines,
    Tracked,
    parse_line,
)
from .timestamps import Stamper, TimestampMode


class BuildEnd(NamedTuple):
    """How a build ended, when the command knows it (README, "Output", ndjson `end`)."""

    build_uuid: str
    status: str
    outcome: str | None
    lines: int


class Writer:
    """Writes pages of lines to a stream; `close` finishes the document, even after an error."""

    def __init__(self, stream: TextIO, flush: bool = False) -> None:
        self.stream = stream
        self.flush_each = flush
        self.count = 0

    def observe(self, lines: Sequence[Line]) -> None:
        """Called with every line, shown or not (see `TailBuffer` and the filters)."""

    def write(self, lines: Sequence[Line]) -> None:
        if lines:
            self._emit(self._format(lines), len(lines))

    def write_page(self, page: PageLines) -> None:
        """A page as it came from the API (or the store): its lines, parsed."""
        self.write(page.parsed)

    def _emit(self, text: str, count: int) -> None:
        self.count += count
        self.stream.write(text)
        if self.flush_each:
            self.stream.flush()

    def _format(self, lines: Sequence[Line]) -> str:
        raise NotImplementedError

    def close(self, end: BuildEnd | None = None) -> None:
        self.stream.flush()


class TextWriter(Writer):
    """`TIMESTAMP  MESSAGE` lines. With `separators` (for --errors), a `--` line between lines
    that are not consecutive in the log, as `grep -C` prints; those lines must be tracked.
    With a `prefix` (several Workers at once: their padded, maybe coloured name), every
    line and separator starts with it."""

    def __init__(
        self,
        stream: TextIO,
        mode: TimestampMode,
        color: bool,
        flush: bool = False,
        separators: bool = False,
        prefix: str = "",
    ) -> None:
        super().__init__(stream, flush)
        self.stamper = None if mode is TimestampMode.NONE else Stamper(mode)
        self.color = color
        self.separators = separators
        self.last_number: int | None = None
        self.prefix = prefix
        self.separator = f"{prefix}--\n"

    def observe(self, lines: Sequence[Line]) -> None:
        stamper = self.stamper
        if stamper is not None and stamper.origin is None:
            for line in lines:
                stamper.observe(line)
                if stamper.origin is not None:
                    break

    def _format(self, lines: Sequence[Line]) -> str:
        if self.prefix:  # a line at a time: a message's inner line breaks stay inside it
            lines_of, prefix = self._lines, self.prefix
            return self._grouped(
                lines, lambda run: "".join([prefix + lines_of((line,)) for line in run])
            )
        return self._grouped(lines, self._lines)

    def _grouped(self, lines: Sequence[Line], text: Callable[[Sequence[Line]], str]) -> str:
        if not self.separators:
            return text(lines)
        parts, start = [], 0
        for index, line in enumerate(cast("Sequence[Tracked]", lines)):
            if self.last_number is not None and line[NUMBER] != self.last_number + 1:
                parts += [text(lines[start:index]), self.separator]
                start = index
            self.last_number = line[NUMBER]
        parts.append(text(lines[start:]))
        return "".join(parts)

    def _lines(self, lines: Sequence[Line]) -> str:
        """The page's lines as text. A line that is plainly printable (`str.isprintable`, in C)
        is written as it is; one that is printable once its colour is removed (`uncolored`,
        most lines that need cleaning) without it; only the others take the slow path
        (`_slow`): a coloured line costs what a coloured line costs. Both checks are inline,
        so the usual line costs no call. (Formatting the page at once and checking it whole was
        faster on clean pages, but real logs have colour on most pages, which then paid for
        both.)"""
        stamp, slow, plain = self.stamper, self._slow, uncolored
        if self.color:  # a terminal's lines: the timestamp dimmed, the build's own colours kept
            return "".join([slow(line) for line in lines])
        if stamp is None:
            return "".join(
                [
                    f"{line[MESSAGE]}\n"
                    if line[MESSAGE].isprintable()
                    else f"{text}\n"
                    if (text := plain(line[MESSAGE])).isprintable()
                    else slow(line)
                    for line in lines
                ]
            )
        cached = stamp.cached
        return "".join(
            [
                f"{(not line[SUBSECOND] and cached(line[SECONDS])) or stamp(line)}"
                f"  {line[MESSAGE]}\n"
                if line[MESSAGE].isprintable()
                else f"{(not line[SUBSECOND] and cached(line[SECONDS])) or stamp(line)}  {text}\n"
                if (text := plain(line[MESSAGE])).isprintable()
                else slow(line)
                for line in lines
            ]
        )

    def write_page(self, page: PageLines) -> None:
        """A page formatted from the API's own pairs when it can be (`_from_raw`): the tuple of
        a line that is only printed is never made. With colour, a prefix, separators or no
        timestamps, or with a line that is not the usual pair, the page is parsed."""
        plain = not (self.color or self.prefix or self.separators)
        stamp = self.stamper
        text = self._from_raw(page.raw, stamp) if plain and stamp and page.raw else None
        if text is None:
            self.write(page.parsed)
        else:
            self._emit(text, len(page.raw))

    def _from_raw(self, raw: list[Any], stamp: Stamper) -> str | None:
        """What `_lines` makes of `parse_lines(raw)`, made from `raw` itself: each of its lines
        the usual pair `[whole seconds, "text"]` (or any int and a string); None when one is
        anything else. A cached timestamp is looked up by an int only: a float or a bool equal
        to a cached second would pass for it, where the parsed line shows it otherwise."""
        cached, second, plain, slow = stamp.cached, stamp.second, uncolored, self._slow

        def line(seconds: object, text: str) -> Line:  # a line `uncolored` left
            return parse_line([seconds, text]) if type(seconds) is int else irregular()

        try:
            return "".join(
                [
                    f"{(cached(s) or second(s)) if type(s) is int else irregular()}  {t}\n"
                    if t.isprintable()
                    else f"{(cached(s) or second(s)) if type(s) is int else irregular()}  {u}\n"
                    if (u := plain(t)).isprintable()
                    else slow(line(s, t))
                    for s, t in raw
                ]
            )
        except (Irregular, TypeError, ValueError, AttributeError):  # not pairs of int and str
            return None

    def _slow(self, line: Line) -> str:
        """One line that needs cleaning: escapes removed (colour kept when it is on), and each
        line break inside the message followed by the line's own prefix again."""
        lead = self._lead(line)
        text = sanitize(shown_frame(line[MESSAGE]), self.color)
        return f"{lead}{continued(text, self.prefix + lead)}\n"

    def _lead(self, line: Line) -> str:
        """What comes before the message: the timestamp and two spaces, dimmed with colour."""
        if self.stamper is None:
            return ""
        if self.color:
            return f"\x1b[2m{self.stamper(line)}\x1b[0m  "
        return f"{self.stamper(line)}  "


_string: Callable[[str], str] = json.encoder.encode_basestring


def _json_number(value: int | float | None) -> str:
    if value is None or value != value or value in (float("inf"), float("-inf")):
        return "null"
    return repr(value)


def _json_fields(line: Tracked, utc: Stamper) -> str:
    """The fields every JSON form gives a line; `timestamp` is RFC 3339 UTC, or null."""
    stamp = utc(line)
    return (
        f'"timestamp": {"null" if stamp == "?" else _string(stamp)}, '
        f'"epoch": {_json_number(line[EPOCH])}, "message": {_string(line[MESSAGE])}, '
        f'"line": {line[NUMBER]}, "phase": {_string(line[PHASE])}'
    )


class JsonWriter(Writer):
    """One JSON document, written as the pages arrive; memory does not grow with the log."""

    def __init__(self, stream: TextIO, build_uuid: str | None, flush: bool = False) -> None:
        super().__init__(stream, flush)
        self.utc = Stamper(TimestampMode.UTC)
        uuid = "null" if build_uuid is None else _string(build_uuid)
        self.stream.write(f'{{"build_uuid": {uuid}, "lines": [')
        self.first = True

    def _format(self, lines: Sequence[Line]) -> str:
        utc, tracked = self.utc, cast("Sequence[Tracked]", lines)
        body = ",\n".join(["{" + _json_fields(line, utc) + "}" for line in tracked])
        lead = "\n" if self.first else ",\n"
        self.first = False
        return lead + body

    def close(self, end: BuildEnd | None = None) -> None:
        """Close the document; when the build's end is known, it follows the lines."""
        tail = (
            ""
            if end is None
            else (f', "status": {_string(end.status)}, "outcome": {json.dumps(end.outcome)}')
        )
        self.stream.write(("]" if self.first else "\n]") + tail + "}\n")
        super().close(end)


class NdjsonWriter(Writer):
    """One compact object a line, flushed as written; an `end` record when the end is known."""

    def __init__(self, stream: TextIO, extra: dict[str, str] | None = None) -> None:
        """`extra`: fields every record gains (several Workers at once: `worker`, `build_uuid`)."""
        super().__init__(stream, flush=True)
        self.utc = Stamper(TimestampMode.UTC)
        self.extra = extra or {}
        self.tail = "".join(f", {_string(k)}: {_string(v)}" for k, v in self.extra.items()) + "}\n"

    def _format(self, lines: Sequence[Line]) -> str:
        utc, tracked, tail = self.utc, cast("Sequence[Tracked]", lines), self.tail
        return "".join(['{"type": "line", ' + _json_fields(line, utc) + tail for line in tracked])

    def close(self, end: BuildEnd | None = None) -> None:
        if end is not None:
            record = {
                "type": "end",
                "build_uuid": end.build_uuid,
                "status": end.status,
                "outcome": end.outcome,
                "lines": end.lines,
                **self.extra,
            }
            self.stream.write(json.dumps(record) + "\n")
        super().close(end)


class TailBuffer:
    """Holds the last N lines (memory bounded by N) and hands them on at `release`."""

    def __init__(self, inner: Writer, size: int) -> None:
        self.inner = inner
        self.buffer: deque[Line] = deque(maxlen=size)
        self.seen = 0

    def write(self, lines: Sequence[Line]) -> None:
        self.inner.observe(lines)
        self.buffer.extend(lines)
        self.seen += len(lines)

    def release(self) -> None:
        self.inner.write(list(self.buffer))
        self.buffer.clear()
