"""Timestamps of log lines in each mode, and durations, as people read them."""

from __future__ import annotations

import enum
import time

from ..models import EPOCH, MILLIS_THRESHOLD, SECONDS, SUBSECOND, Line, parse_line


class TimestampMode(str, enum.Enum):
    LOCAL = "local"
    UTC = "utc"
    ELAPSED = "elapsed"
    EPOCH = "epoch"
    NONE = "none"


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
        self._clock = local or mode is TimestampMode.UTC  # a time of day, not a count
        self._zone = "Z" if mode is TimestampMode.UTC else ""

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
        if self.origin is None and line[SECONDS] is not None:
            self.origin = line[SECONDS]

    def __call__(self, line: Line) -> str:
        seconds = line[SECONDS]
        if line[SUBSECOND]:
            return self._render(line)
        text = self._cache.get(seconds)
        return self._keep(seconds, self._render(line)) if text is None else text

    def second(self, seconds: int) -> str:
        """What `self` gives a line stamped with the int `seconds`, without making the line:
        the text writer calls it when `cached` had nothing. The usual timestamp (whole seconds
        since 1970) in local or UTC time is formatted here, four calls fewer than a line's."""
        if self._clock and 0 <= seconds <= MILLIS_THRESHOLD:
            return self._keep(seconds, self._time(seconds))
        return self(parse_line([seconds, ""]))

    def _keep(self, seconds: float | None, text: str) -> str:
        if len(self._cache) > 4096:
            self._cache.clear()
        self._cache[seconds] = text
        return text

    def _render(self, line: Line) -> str:
        epoch, seconds, subsecond = line[EPOCH], line[SECONDS], line[SUBSECOND]
        mode = self.mode
        if mode is TimestampMode.EPOCH:
            return "?" if epoch is None else str(epoch)
        if seconds is None:
            return "?"
        if mode is TimestampMode.ELAPSED:
            self.observe(line)
            return _elapsed(seconds - (self.origin or 0.0), subsecond)
        return self._time(_whole(seconds), _fraction(seconds) if subsecond else "")

    def _time(self, whole: int, fraction: str = "") -> str:
        """Local or UTC time, with the fraction and UTC's Z; `?` for a time no calendar shows."""
        try:
            return self._format(whole) + fraction + self._zone
        except (OverflowError, OSError, ValueError):
            return "?"


def _elapsed(delta: float, subsecond: bool) -> str:
    """`+00:42`, `+1:02:03`, `-00:05`; milliseconds when the API gives them."""
    sign = "-" if delta < 0 else "+"
    hours, rest = divmod(_whole(abs(delta)), 3600)
    minutes, seconds = divmod(rest, 60)
    fraction = _fraction(abs(delta)) if subsecond else ""
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{seconds:02d}{fraction}"
    return f"{sign}{minutes:02d}:{seconds:02d}{fraction}"


def format_duration(seconds: float) -> str:
    """`42s`, `3m05s`, `1h02m03s`."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"
