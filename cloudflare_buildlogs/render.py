"""Writers for the log: text, json and ndjson; timestamps; escape-sequence sanitising.

Log lines go straight to the stream as preformatted text, one write per page: rich runs at
5k-13k lines/s per `print`, a plain write at 700k+ (performance-notes.md), and rich would
read `[brackets]` in build output as markup. Knows nothing of httpx.
"""

from __future__ import annotations

import enum
import json
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import NamedTuple, NoReturn, TextIO, cast

from .models import LogLine, Tracked
from .untrusted import continued, sanitize

# What a writer takes: lines as read, or tracked (numbered, with their phase).
Line = LogLine | Tracked


def assert_never(value: NoReturn) -> NoReturn:
    """Exhaustiveness: mypy fails where an enum member is left unhandled."""
    raise AssertionError(f"unhandled value: {value!r}")  # pragma: no cover


class OutputFormat(str, enum.Enum):
    TEXT = "text"
    JSON = "json"
    NDJSON = "ndjson"


class SummaryFormat(str, enum.Enum):
    """The forms of a summary (contract section 11); see `summary.py`."""

    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"


class TimestampMode(str, enum.Enum):
    LOCAL = "local"
    UTC = "utc"
    ELAPSED = "elapsed"
    EPOCH = "epoch"
    NONE = "none"


# -- untrusted text: see untrusted.py, the one door -------------------------------------


# -- timestamps -------------------------------------------------------------------------


def _fraction(seconds: float) -> str:
    return f".{round(seconds * 1000) % 1000:03d}"


def _whole(seconds: float) -> int:
    # Round to the millisecond first so 1.9999999 shows as 2.000, not 1.000.
    return round(seconds * 1000) // 1000


class Stamper:
    """Formats a line's timestamp in one mode: `stamper(line)`.

    Whole-second timestamps are cached by value: a log has many lines a second, and formatting
    a time is the costliest step of a line. The cache is cleared when it grows large.
    """

    def __init__(self, mode: TimestampMode) -> None:
        self.mode = mode
        self.origin: float | None = None
        self._cache: dict[float | None, str] = {}
        # The text of a whole-second timestamp already formatted, or None: for inlining.
        self.cached = self._cache.get
        self._minutes: dict[int, str] = {}
        local = mode is TimestampMode.LOCAL
        self._convert = time.localtime if local else time.gmtime
        self._pattern = "%Y-%m-%d %H:%M" if local else "%Y-%m-%dT%H:%M"

    def _format(self, whole: int) -> str:
        """`2021-11-09 15:40:00`, the minute's text cached: zone offsets and DST changes fall
        on whole minutes, so within one minute only the seconds differ."""
        minute, second = divmod(whole, 60)
        prefix = self._minutes.get(minute)
        if prefix is None:
            parts = self._convert(minute * 60)
            prefix = time.strftime(self._pattern, parts)
            if parts.tm_gmtoff % 60:  # an old local mean time, offset by odd seconds
                return time.strftime(self._pattern + ":%S", self._convert(whole))
            if len(self._minutes) > 4096:
                self._minutes.clear()
            self._minutes[minute] = prefix
        return f"{prefix}:{second:02d}"

    def observe(self, line: Line) -> None:
        """Elapsed time counts from the build's first line with a usable timestamp."""
        if self.origin is None and line[1] is not None:
            self.origin = line[1]

    def __call__(self, line: Line) -> str:
        seconds, subsecond = line[1], line[2]
        if not subsecond:
            text = self._cache.get(seconds)
            if text is not None:
                return text
        text = self._render(line)
        if not subsecond:
            if len(self._cache) > 4096:
                self._cache.clear()
            self._cache[seconds] = text
        return text

    def _render(self, line: Line) -> str:
        epoch, seconds, subsecond = line[0], line[1], line[2]
        mode = self.mode
        if mode is TimestampMode.EPOCH:
            return "?" if epoch is None else str(epoch)
        if seconds is None:
            return "?"
        if mode is TimestampMode.ELAPSED:
            self.observe(line)
            return _elapsed(seconds - (self.origin or 0.0), subsecond)
        try:
            text = self._format(_whole(seconds))
        except (OverflowError, OSError, ValueError):
            return "?"
        fraction = _fraction(seconds) if subsecond else ""
        return text + fraction + ("Z" if mode is TimestampMode.UTC else "")


def _elapsed(delta: float, subsecond: bool) -> str:
    """`+00:42`, `+1:02:03`, `-00:05`; milliseconds when the API gives them."""
    sign = "-" if delta < 0 else "+"
    hours, rest = divmod(_whole(abs(delta)), 3600)
    minutes, seconds = divmod(rest, 60)
    fraction = _fraction(abs(delta)) if subsecond else ""
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{seconds:02d}{fraction}"
    return f"{sign}{minutes:02d}:{seconds:02d}{fraction}"


# -- writers ----------------------------------------------------------------------------


class BuildEnd(NamedTuple):
    """How a build ended, when the command knows it (contract section 5, ndjson `end`)."""

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
        if not lines:
            return
        self.count += len(lines)
        self.stream.write(self._format(lines))
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
            if self.last_number is not None and line[4] != self.last_number + 1:
                parts += [text(lines[start:index]), self.separator]
                start = index
            self.last_number = line[4]
        parts.append(text(lines[start:]))
        return "".join(parts)

    def _lines(self, lines: Sequence[Line]) -> str:
        """The page's lines as text. Only the lines that are not plainly printable
        (`str.isprintable`, in C) take the slow path (`_slow`): a coloured line costs what a
        coloured line costs. (Formatting the page at once and checking it whole was faster on
        clean pages, but real logs have colour on most pages, which then paid for both.)"""
        stamp, slow = self.stamper, self._slow
        if self.color:  # a terminal's lines: the timestamp dimmed, the build's own colours kept
            return "".join([slow(line) for line in lines])
        if stamp is None:
            return "".join(
                [f"{line[3]}\n" if line[3].isprintable() else slow(line) for line in lines]
            )
        cached = stamp.cached  # inlined: the usual line costs no call
        return "".join(
            [
                f"{(not line[2] and cached(line[1])) or stamp(line)}  {line[3]}\n"
                if line[3].isprintable()
                else slow(line)
                for line in lines
            ]
        )

    def _slow(self, line: Line) -> str:
        """One line that needs cleaning: escapes removed (colour kept when it is on), and each
        line break inside the message followed by the line's own prefix again."""
        lead = self._lead(line)
        return f"{lead}{continued(sanitize(line[3], self.color), self.prefix + lead)}\n"

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
        f'"epoch": {_json_number(line[0])}, "message": {_string(line[3])}, '
        f'"line": {line[4]}, "phase": {_string(line[5])}'
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


def make_writer(
    fmt: OutputFormat,
    stream: TextIO,
    *,
    build_uuid: str | None,
    mode: TimestampMode,
    color: bool,
    flush: bool,
    separators: bool = False,
) -> Writer:
    if fmt is OutputFormat.TEXT:
        return TextWriter(stream, mode, color, flush, separators)
    if fmt is OutputFormat.JSON:
        return JsonWriter(stream, build_uuid, flush)
    if fmt is OutputFormat.NDJSON:
        return NdjsonWriter(stream)
    assert_never(fmt)
