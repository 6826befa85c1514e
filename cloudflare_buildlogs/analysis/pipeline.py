"""From pages of lines to what is written: numbering and phases, redaction, the filters, and
what a summary needs to know, all in the one streaming pass.

    pages -> Tracker -> Redactor -> Collector (sees every line) -> --phase -> --errors -> sink

A plain `get` needs none of it and writes pages straight to its writer (`Output` with
`track` off), so the common piped path stays as fast as it was.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Protocol

from ..models import MESSAGE, NUMBER, PHASE, LogLine, PageLines, Tracked

if TYPE_CHECKING:  # a plain `get` tracks nothing, and imports none of these
    from .deploy import DeployReader
    from .hints import Hint
    from .redact import Redactor


LEARN_MORE = "To learn more about this error"
ERRORS_KEPT = 50  # error lines a summary lists (README, "summary")


_MESSAGE = itemgetter(MESSAGE)


def joined(lines: Sequence[Tracked]) -> str:
    """A page's messages, joined by line breaks: what the page-wide checks search, in C."""
    return "\n".join(map(_MESSAGE, lines))


class Sink(Protocol):
    def write(self, lines: list[Tracked]) -> None: ...


class Observer(Protocol):
    def observe(self, lines: Sequence[Tracked]) -> None: ...


class Discard:
    """Where a read that only observes (a summary) sends its lines: nowhere."""

    def write(self, lines: Sequence[Tracked]) -> None:
        pass

    def observe(self, lines: Sequence[Tracked]) -> None:
        pass


class ContextFilter:
    """Error lines with `context` lines around each, as `grep -C` picks them."""

    def __init__(self, context: int) -> None:
        from .classify import error_lines, page_may_have_errors

        self.error_lines, self.page_may_have_errors = error_lines, page_may_have_errors
        self.context = context
        self.before: deque[Tracked] = deque(maxlen=context)
        self.after = 0

    def filter(
        self, lines: Sequence[Tracked], text: str | None = None
    ) -> list[tuple[Tracked, bool]]:
        """(line, is an error line) for each line to show, in order; `text`, the page's
        messages joined by line breaks, when the caller has it already."""
        if text is None:
            text = joined(lines)
        errors = (
            self.error_lines(list(map(_MESSAGE, lines)), text)
            if self.page_may_have_errors(text)
            else None
        )
        if not errors:
            shown = lines[: self.after]
            self.after -= len(shown)
            if self.context:
                self.before.extend(lines[len(shown) :])
            return [(line, False) for line in shown]
        out: list[tuple[Tracked, bool]] = []
        wanted = set(errors)
        for index, line in enumerate(lines):
            if index in wanted:
                out.extend((kept, False) for kept in self.before)
                self.before.clear()
                out.append((line, True))
                self.after = self.context
            elif self.after:
                out.append((line, False))
                self.after -= 1
            elif self.context:
                self.before.append(line)
        return out


class Group:
    """Error lines and their context, consecutive in the log."""

    __slots__ = ("lines",)

    def __init__(self, lines: list[tuple[Tracked, bool]]) -> None:
        self.lines = lines

    @property
    def phases(self) -> set[str]:
        return {line[PHASE] for line, error in self.lines if error}


class Collector:
    """What a summary tells of the errors: the first ERRORS_KEPT error lines, their count,
    each phase's first ERRORS_KEPT error lines with context, and the hints they call for;
    and what the deploy phase deployed (`deploys`). Memory is bounded by those numbers, not
    by the log."""

    def __init__(self, context: int) -> None:
        from .deploy import DeployReader
        from .hints import hints_for

        self.hints_for = hints_for
        self.deploys: DeployReader = DeployReader()
        self.filter = ContextFilter(context)
        self.errors: list[Tracked] = []
        self.total = 0
        self.groups: list[Group] = []
        self.per_phase: dict[str, int] = {}
        self.hints: dict[tuple[str, str | None], Hint] = {}
        self._last = -1
        self._group: Group | None = None  # the group being kept, if it is
        self._pending: deque[tuple[Tracked, bool]] = deque(maxlen=context)

    def observe(self, lines: Sequence[Tracked], text: str | None = None) -> None:
        """A page's lines; `text`, their messages joined by line breaks, when made already."""
        if text is None:
            text = joined(lines)  # searched by both, made once
        self.deploys.observe(lines, text)
        for line, error in self.filter.filter(lines, text):
            if line[NUMBER] != self._last + 1:  # a new group begins
                self._group = None
                self._pending.clear()
            self._last = line[NUMBER]
            if error:
                self._error(line)
            if self._group is not None:
                self._group.lines.append((line, error))
            else:
                self._pending.append((line, error))
        if any(LEARN_MORE in line[MESSAGE] for line in lines):
            for line in lines:
                self._hints(line[MESSAGE])

    def _error(self, line: Tracked) -> None:
        self.total += 1
        if len(self.errors) < ERRORS_KEPT:
            self.errors.append(line)
        if LEARN_MORE not in line[MESSAGE]:  # that line is seen in `observe`
            self._hints(line[MESSAGE])
        count = self.per_phase.get(line[PHASE], 0)
        self.per_phase[line[PHASE]] = count + 1
        if count >= ERRORS_KEPT:  # enough of this phase: keep no more of this group
            self._group = None
        elif self._group is None:
            self._group = Group(list(self._pending))
            self.groups.append(self._group)

    def _hints(self, message: str) -> None:
        for hint in self.hints_for(message):
            self.hints.setdefault((hint.text, hint.url), hint)

    def first_error(self, phase: str | None) -> Tracked | None:
        for group in self.groups:
            for line, error in group.lines:
                if error and (phase is None or line[PHASE] == phase):
                    return line
        return None

    def groups_of(self, phase: str | None) -> list[Group]:
        """The error groups of `phase` when it has any, else every group kept."""
        mine = [g for g in self.groups if phase in g.phases]
        return mine or self.groups


class Pipeline:
    """Tracks, redacts, observes and filters each page on its way to `sink`."""

    def __init__(
        self,
        sink: Sink,
        writer: Observer,
        *,
        redact: bool = False,
        phases: frozenset[str] | None = None,
        context: int | None = None,
        collector: Collector | None = None,
    ) -> None:
        from .phases import Tracker

        self.sink, self.writer = sink, writer
        self.tracker = Tracker()
        self.redactor: Redactor | None = None
        if redact:
            from .redact import Redactor

            self.redactor = Redactor()
        self.phases = phases
        self.errors = None if context is None else ContextFilter(context)
        self.collector = collector

    def write(self, lines: PageLines | list[LogLine]) -> None:
        tracked = self.tracker.track(lines)
        text = self.tracker.text  # the messages joined, when the tracker joined them
        redact = self.redactor
        if redact is not None:
            tracked = [(a, b, c, redact(m), n, p) for a, b, c, m, n, p in tracked]
            text = None
        if self.collector is not None:
            self.collector.observe(tracked, text)
        if self.phases is not None or self.errors is not None:
            self.writer.observe(tracked)  # elapsed time counts from the log's first line
        if self.phases is not None:
            wanted = self.phases
            tracked = [line for line in tracked if line[PHASE] in wanted]
        if self.errors is not None:
            tracked = [line for line, _ in self.errors.filter(tracked)]
        self.sink.write(tracked)
