"""What a person sees on stderr: a spinner while waiting, and a followed build's closing line.

The spinner appears only when stderr is a terminal (rich is imported only then); the closing
line is always written, coloured on a terminal and plain otherwise. Text from the API goes
through the same cleaning as log lines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..analysis.untrusted import field
from ..env import Env
from ..models import Build
from .timestamps import format_duration

if TYPE_CHECKING:
    from rich.status import Status


OUTCOME_WORDS = {
    "success": "succeeded",
    "fail": "failed",
    "cancelled": "was cancelled",
    "terminated": "was terminated",
    "skipped": "was skipped",
}


class Spinner:
    """A spinner with a line of state on stderr, only on a terminal; `stop` before printing."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self._status: Status | None = None

    def show(self, text: str) -> None:
        if not self.env.stderr_tty:
            return
        text = field(text)
        if self._status is None:
            from .console import console

            self._status = console(self.env.stderr, terminal=True).status(text)
            self._status.start()
        else:
            self._status.update(text)

    def stop(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None


def waiting_text(build: Build) -> str:
    state = build.status.value
    return f"build {field(build.build_uuid[:8])} is {state}, waiting…"


def summary(build: Build, lines: int, worker: str | None, named: bool = True) -> str:
    """`build 5b1d8f2e succeeded in 1m42s · 1,234 lines · my-worker · main · 9f8e7d6`;
    without the Worker when the line is already `named` by it."""
    if build.outcome is None:
        verdict = "stopped without an outcome"
    else:
        verdict = OUTCOME_WORDS.get(build.outcome, f"stopped ({build.outcome})")
    took = f" in {format_duration(build.duration)}" if build.duration is not None else ""
    parts = [f"build {build.build_uuid[:8]} {verdict}{took}", f"{lines:,} lines"]
    tag = f"worker {build.worker_tag[:8]}" if build.worker_tag else None  # no name known
    name = (worker or tag) if named else None
    parts += [p for p in (name, build.branch, (build.commit_hash or "")[:7]) if p]
    return field(" · ".join(parts))


def write_summary(env: Env, build: Build, lines: int, worker: str | None, color: bool) -> None:
    """The closing line of a followed build, with a coloured mark when stderr's colour is on."""
    mark = ""
    if color:
        mark = "\x1b[32m✓\x1b[0m " if build.succeeded else "\x1b[31m✗\x1b[0m "
    env.error_line(summary(build, lines, worker), mark)
