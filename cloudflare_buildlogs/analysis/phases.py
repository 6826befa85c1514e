"""Phases of a build, derived from the platform's own marker lines (README, "When a build fails").

Workers Builds logs carry no step metadata. `Tracker` numbers each line and names its phase as
the pages stream past (no second pass, nothing of the log kept), and keeps each phase's first
line, start and line count; `report` turns that into durations and statuses once the build's
state is known. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any, NamedTuple

from ..errors import Irregular, irregular
from ..models import (
    EPOCH,
    MESSAGE,
    MILLIS_THRESHOLD,
    NUMBER,
    SECONDS,
    SUBSECOND,
    Build,
    LogLine,
    PageLines,
    Tracked,
    parse_time,
)
from .classify import clean

PHASES = ("initialize", "clone", "configure", "install", "build", "deploy")


# The start of a marker line (escapes removed, leading white space skipped) -> its phase.
MARKERS: tuple[tuple[str, int], ...] = (
    ("Initializing build environment", 0),
    ("Cloning repository", 1),
    ("Checking for configuration in a ", 2),
    ("Detected the following tools from environment", 2),
    ("Installing project dependencies", 3),
    ("Executing user build command", 4),
    ("Executing user command", 4),
    ("Executing user deploy command", 5),
)


_PREFIXES = tuple(prefix for prefix, _ in MARKERS)


# A marker line's first character, before any clean-up: a letter of a marker, white space or
# an escape. Every other line is passed over after one comparison.
_MAY_MARK = frozenset("ICDE \t\x1b")


def _needles(current: int) -> tuple[str, ...]:
    """What a page must hold somewhere for a line of it to begin a phase after `current`:
    the later phases' markers, those of the build and deploy phases by their common stem."""
    later = [prefix for prefix, phase in MARKERS if phase > current]
    if "Executing user command" in later:
        later = [p for p in later if not p.startswith("Executing user ")] + ["Executing user "]
    return tuple(later)


# For each phase, what a page needs to hold anywhere for a marker line of a later phase to be
# in it: a page with none of them stays in its phase (phases only move forward).
_LATER = tuple(_needles(current) for current in range(len(PHASES)))
_MESSAGE = itemgetter(MESSAGE)


def marker_phase(message: str) -> int | None:
    """The index in PHASES of the phase a marker line begins, or None for any other line."""
    text = clean(message)
    if not text.startswith(_PREFIXES):
        return None
    return next(phase for prefix, phase in MARKERS if text.startswith(prefix))


def parse_phases(value: str) -> frozenset[str]:
    """`build,deploy` -> the names; ValueError naming what is not a phase."""
    names = {name.strip().lower() for name in value.split(",") if name.strip()}
    unknown = sorted(names - set(PHASES))
    if unknown or not names:
        raise ValueError(", ".join(unknown) or repr(value))
    return frozenset(names)


class Phase:
    """What is known of a phase that began: its first line, when, and how many lines."""

    __slots__ = ("first_line", "lines", "name", "started")

    def __init__(self, name: str, first_line: int, started: float | None) -> None:
        self.name, self.first_line, self.started, self.lines = name, first_line, started, 0


class Tracker:
    """Numbers lines and names their phase, page by page; phases only move forward."""

    def __init__(self) -> None:
        self.count = 0
        self.phases: list[Phase] = []
        self.current = -1
        self.last_seconds: float | None = None
        self.text: str | None = None

    @property
    def phase(self) -> str | None:
        return PHASES[self.current] if self.current >= 0 else None

    def track(self, lines: Sequence[LogLine] | PageLines) -> list[Tracked]:
        """Each line numbered, with its phase. `text` is then the page's messages joined by
        line breaks, where it was made (None where not)."""
        self.text = None
        if isinstance(lines, PageLines):
            tracked = self._from_raw(lines.raw)
            if tracked is not None:
                return tracked
            lines = lines.parsed
        if self.current >= 0 and lines and not self._may_move(lines):
            # The usual page: every line in the current phase, numbered in one comprehension,
            # several times faster than the loop below.
            start, name = self.count + 1, PHASES[self.current]
            numbered = range(start, start + len(lines))
            return self._tracked(
                [(a, b, c, d, n, name) for (a, b, c, d), n in zip(lines, numbered, strict=True)]
            )
        out: list[Tracked] = []
        append = out.append
        number = self.count
        name = PHASES[self.current] if self.current >= 0 else ""
        for line in lines:
            number += 1
            message = line[MESSAGE]
            if self.current < 0 or message[:1] in _MAY_MARK:
                began = marker_phase(message)
                if self.current < 0 and (began is None or began == 0):
                    began = 0
                if began is not None and began > self.current:
                    self._begin(began, number, line[SECONDS])
                    name = PHASES[began]
            append((line[EPOCH], line[SECONDS], line[SUBSECOND], message, number, name))
        return self._tracked(out) if out else out

    def _from_raw(self, raw: list[Any]) -> list[Tracked] | None:
        """What `track` makes of `parse_lines(raw)` for the usual page (no later phase's
        marker, every line a pair of a whole second and a string), made from the pairs
        themselves: no tuple of the parsed line on the way. None for any other page."""
        if self.current < 0 or not raw:
            return None
        try:
            text = "\n".join([message for _, message in raw])  # pairs, the messages strings
        except (TypeError, ValueError):
            return None
        if self._moves(text):
            return None
        start, name = self.count + 1, PHASES[self.current]
        try:
            page: list[Tracked] = [
                (s, s, False, t, n, name)
                if type(s) is int and 0 <= s <= MILLIS_THRESHOLD
                else irregular()
                for (s, t), n in zip(raw, range(start, start + len(raw)), strict=True)
            ]
        except Irregular:
            return None
        self.text = text
        return self._tracked(page)

    def _may_move(self, lines: Sequence[LogLine]) -> bool:
        """`_moves` of the page's joined messages, joined only when a later phase has any."""
        return bool(_LATER[self.current]) and self._moves("\n".join(map(_MESSAGE, lines)))

    def _moves(self, text: str) -> bool:
        """Whether a later phase's marker is anywhere in a page's joined messages: a few
        substrings searched in C; a line that holds one is looked at after."""
        return any(prefix in text for prefix in _LATER[self.current])

    def _tracked(self, page: list[Tracked]) -> list[Tracked]:
        """A page tracked, its last line and last known time counted."""
        self._counted(page[-1][NUMBER])
        seconds = next((t[SECONDS] for t in reversed(page) if t[SECONDS] is not None), None)
        if seconds is not None:
            self.last_seconds = seconds
        return page

    def _begin(self, index: int, number: int, seconds: float | None) -> None:
        self._counted(number - 1)
        self.current = index
        self.phases.append(Phase(PHASES[index], number, seconds))

    def _counted(self, last: int) -> None:
        """Lines of the current phase, up to line `last`."""
        self.count = last
        if self.phases:
            self.phases[-1].lines = last - self.phases[-1].first_line + 1


class PhaseReport(NamedTuple):
    name: str
    first_line: int
    started: float | None
    duration: float | None
    lines: int
    status: str | None  # ok | failed | running, None when the build's state is unknown


FAILED_OUTCOMES = frozenset({"fail", "cancelled", "terminated"})


def report(tracker: Tracker, build: Build | None) -> list[PhaseReport]:
    """Each phase that began, with its duration and status (README, "When a build fails")."""
    phases = tracker.phases
    stopped = build is not None and build.stopped
    out: list[PhaseReport] = []
    for index, phase in enumerate(phases):
        last = index == len(phases) - 1
        if not last:
            end = phases[index + 1].started
            status: str | None = "ok"
        else:
            end = parse_time(build.stopped_on) if build is not None and stopped else None
            end = end if end is not None else tracker.last_seconds
            status = _last_status(build)
        duration = None
        if phase.started is not None and end is not None:
            duration = max(0.0, end - phase.started)
        out.append(PhaseReport(phase.name, phase.first_line, phase.started, duration,
                               phase.lines, status))  # fmt: skip
    return out


def _last_status(build: Build | None) -> str | None:
    if build is None:
        return None
    if not build.stopped:
        return "running"
    if build.succeeded:
        return "ok"
    return "failed" if build.outcome in FAILED_OUTCOMES else None


def failed_phase(reports: Sequence[PhaseReport]) -> str | None:
    return next((r.name for r in reports if r.status == "failed"), None)
