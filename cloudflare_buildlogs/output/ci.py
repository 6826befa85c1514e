"""Text output for CI (README, "In CI: GitHub Actions and GitLab"): each phase's lines folded in
a GitHub group or a GitLab section, the log kept from acting as workflow commands, and what a
job reads after the build: annotations, the step summary and the step outputs.

Only the text form changes; the JSON forms are written by their own writers, untouched.

GitHub Actions reads a workflow command from any line of a step's output that starts (after
white space) with `::`. A build's log is written by whoever opened the pull request, so its
lines are printed between `::stop-commands::TOKEN` and `::TOKEN::`, TOKEN being 32 random hex
digits new on every run: no line of the log can act (`::add-mask::`, `::error::`,
`::endgroup::`...). GitLab opens a section only on `section_start:...\\r\\x1b[0K`, and every
escape sequence but colour is removed from the log as always, so no log line can open one.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TextIO, cast

from ..analysis.phases import FAILED_OUTCOMES
from ..analysis.untrusted import field, strip_escapes
from ..models import MESSAGE, PHASE, SECONDS, Line, Tracked
from .timestamps import TimestampMode
from .writers import BuildEnd, TextWriter

if TYPE_CHECKING:
    from .summary import Summary


def new_token() -> str:
    """A stop-commands token: 32 random hex digits, new on every run."""
    return secrets.token_hex(16)


class Spans:
    """The group or section open on one stream. Several Workers' writers share one stdout,
    and neither CI nests or interleaves them, so a writer that writes closes another's
    first. `token` is the run's stop-commands token."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token or new_token()
        self.holder: SpanWriter | None = None

    def enter(self, writer: SpanWriter, phase: str, first: Tracked) -> str:
        if self.holder is writer and writer.phase == phase:
            return ""
        text = self.leave()
        self.holder = writer
        writer.phase = phase
        return text + writer.opening(phase, first)

    def leave(self) -> str:
        holder, self.holder = self.holder, None
        return "" if holder is None else holder.closing()


class SpanWriter(TextWriter):
    """Text lines, each phase's run of them inside a span that the subclass writes."""

    def __init__(
        self,
        stream: TextIO,
        mode: TimestampMode,
        color: bool,
        flush: bool = False,
        separators: bool = False,
        prefix: str = "",
        *,
        spans: Spans,
        worker: str | None = None,
        now: Callable[[], float],
    ) -> None:
        super().__init__(stream, mode, color, flush, separators, prefix)
        self.spans, self.worker, self.now = spans, worker, now
        self.phase: str | None = None
        self.last_seconds: float | None = None

    def _format(self, lines: Sequence[Line]) -> str:
        tracked = cast("Sequence[Tracked]", lines)
        if tracked[0][PHASE] == tracked[-1][PHASE]:  # phases only move forward: one run
            return self._run(tracked)
        parts, start = [], 0
        for index in range(1, len(tracked) + 1):
            if index == len(tracked) or tracked[index][PHASE] != tracked[start][PHASE]:
                parts.append(self._run(tracked[start:index]))
                start = index
        return "".join(parts)

    def _run(self, run: Sequence[Tracked]) -> str:
        """Lines of one phase, in its span."""
        opening = self.spans.enter(self, run[0][PHASE] or "log", run[0])
        text = super()._format(run)
        seconds = next((t[SECONDS] for t in reversed(run) if t[SECONDS] is not None), None)
        self.last_seconds = seconds if seconds is not None else self.last_seconds
        return opening + text

    def close(self, end: BuildEnd | None = None) -> None:
        if self.spans.holder is self:
            self.stream.write(self.spans.leave())
        super().close(end)

    def title(self, phase: str) -> str:
        return field(f"{self.worker} {phase}" if self.worker else phase)

    def opening(self, phase: str, first: Tracked) -> str:
        raise NotImplementedError

    def closing(self) -> str:
        raise NotImplementedError


class GithubWriter(SpanWriter):
    """`::group::PHASE`, the untrusted lines between `::stop-commands::TOKEN` and `::TOKEN::`,
    then `::endgroup::`."""

    def opening(self, phase: str, first: Tracked) -> str:
        token = self.spans.token
        return f"::group::{escape_data(self.title(phase))}\n::stop-commands::{token}\n"

    def closing(self) -> str:
        return f"::{self.spans.token}::\n::endgroup::\n"


class GitlabWriter(SpanWriter):
    """A collapsed section a phase, named `cfbl_PHASE` (`cfbl_WORKER_PHASE`), from the whole
    second of its first line to that of its last."""

    def opening(self, phase: str, first: Tracked) -> str:
        self.name = section_name(self.worker, phase)
        seconds = first[SECONDS] if first[SECONDS] is not None else self.last_seconds
        epoch = int(seconds if seconds is not None else self.now())
        self.started = epoch
        return (
            f"\x1b[0Ksection_start:{epoch}:{self.name}[collapsed=true]\r\x1b[0K"
            f"{self.title(phase)}\n"
        )

    def closing(self) -> str:
        seconds = self.last_seconds
        epoch = max(self.started, int(seconds)) if seconds is not None else self.started
        return f"\x1b[0Ksection_end:{epoch}:{self.name}\r\x1b[0K\n"


def section_name(worker: str | None, phase: str) -> str:
    """`cfbl_deploy`, `cfbl_my_worker_deploy`: what GitLab allows in a section's name."""
    raw = f"{worker}_{phase}" if worker else phase
    return "cfbl_" + "".join(c if c.isascii() and c.isalnum() else "_" for c in raw)


# -- GitHub's escaping, as its toolkit (@actions/core) escapes ---------------------------------


def escape_data(text: str) -> str:
    """A command's message: `%`, CR and LF escaped, and every other escape sequence or
    control character removed."""
    return strip_escapes(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    """A command's property value: as a message, and `:` and `,` escaped too."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


ANNOTATIONS = 10  # error lines of the failed phase annotated


def annotate(s: Summary, redact: Callable[[str], str]) -> str:
    """`::error` for the first error lines of the failed phase, `::warning` for a success that
    deployed nothing; messages passed through `redact` (an annotation is shown on the pull
    request, as the step summary is). The failed phase's error lines come from its kept
    groups, which hold its first 50 whatever the other phases logged."""
    who = f"{s.worker}: " if s.worker else ""
    out = []
    if s.build is not None and s.build.stopped and not s.build.succeeded:
        phase = s.failed_phase
        title = escape_property(f"{who}build failed" + (f" in {phase}" if phase else ""))
        lines = [
            line
            for group in s.groups
            for line, error in group.lines
            if error and (phase is None or line[PHASE] == phase)
        ]
        for line in lines[:ANNOTATIONS]:
            out.append(f"::error title={title}::{escape_data(redact(line[MESSAGE]))}\n")
    if s.deployed is False:
        from .summary import FALSE_GREEN

        title = escape_property(f"{who}deployed nothing")
        why = s.not_deployed.text if s.not_deployed is not None else FALSE_GREEN
        out.append(f"::warning title={title}::{escape_data(why)}\n")
    return "".join(out)


def _flag(value: bool | None) -> str:
    return "" if value is None else "true" if value else "false"


def outputs(s: Summary) -> dict[str, str]:
    """The step outputs of one build, every value on one line."""
    build = s.build
    first = next((d for d in s.deployments if d.version_id), None)
    preview = (first.preview_url if first else None) or (build.preview_url if build else None)
    values = {
        "build_uuid": s.build_uuid,
        "status": build.status.value if build else "",
        "outcome": (build.outcome or "") if build else "",
        "url": s.url or "",
        "failed_phase": s.failed_phase or "",
        "deployed": _flag(s.deployed),
        "version_id": (first.version_id or "") if first else "",
        "preview_url": preview or "",
    }
    return {name: field(value) for name, value in values.items()}


def output_lines(summaries: Sequence[Summary]) -> str:
    """What `$GITHUB_OUTPUT` gains: one build's fields; with several Workers those of the first
    that failed (else the first), and `builds=` with every build's as compact JSON."""
    if not summaries:
        return ""
    failed = [s for s in summaries if s.build is not None and s.build.outcome in FAILED_OUTCOMES]
    chosen = outputs((failed or list(summaries))[0])
    text = "".join(f"{name}={value}\n" for name, value in chosen.items())
    if len(summaries) > 1:
        builds = [{"worker": s.worker, **outputs(s)} for s in summaries]
        text += "builds=" + json.dumps(builds, separators=(",", ":")) + "\n"
    return text
