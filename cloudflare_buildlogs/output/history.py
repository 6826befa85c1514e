"""A Worker's history printed (README, "history"): on a terminal a table and a chart drawn by
rich (one bar a build: its length the duration, its colour the outcome, its segments the
phases); in a pipe tab-separated rows and the totals; JSON; Markdown."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from ..analysis.phases import PHASES
from ..analysis.untrusted import code, field
from ..env import Env
from ..models import Build
from ..output.formats import SummaryFormat
from .timestamps import format_duration

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

BAR = 40  # columns of the longest bar
# Each phase's segment: a shade of its own, so that the phases show within one colour.
_SHADES = {"initialize": "░", "clone": "▒", "configure": "▓", "install": "█", "build": "▆",
           "deploy": "▄"}  # fmt: skip
_COLOURS = {"success": "green", "skipped": "cyan", "fail": "red", "cancelled": "yellow",
            "terminated": "red"}  # fmt: skip


class Row(NamedTuple):
    number: int
    build: Build
    queue: float | None
    phases: dict[str, float]


class History(NamedTuple):
    worker: str  # as named: its name, else its tag
    rows: list[Row]
    success_rate: float | None
    median: float | None
    p90: float | None
    slowest_phase: str | None
    flaky: list[str]


def to_json(history: History) -> dict[str, Any]:
    def record(row: Row) -> dict[str, Any]:
        b = row.build
        return {
            "build_uuid": b.build_uuid,
            "outcome": b.outcome,
            "status": b.status.value,
            "branch": b.branch,
            "commit_hash": b.commit_hash,
            "created_on": b.created_on,
            "queue_seconds": _round(row.queue),
            "duration_seconds": _round(b.duration),
            "phases": {name: _round(seconds) for name, seconds in row.phases.items()},
        }

    return {
        "worker": history.worker,
        "builds": [record(row) for row in history.rows],
        "success_rate": _round(history.success_rate),
        "median_seconds": _round(history.median),
        "p90_seconds": _round(history.p90),
        "slowest_phase": history.slowest_phase,
        "flaky_commits": history.flaky,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def json_text(history: History) -> str:
    return json.dumps(to_json(history), indent=2, ensure_ascii=False) + "\n"


def print_history(env: Env, history: History, fmt: SummaryFormat, color: bool, first: bool) -> None:
    if fmt is SummaryFormat.JSON:
        env.stdout.write(json_text(history))
    elif fmt is SummaryFormat.MARKDOWN:
        env.stdout.write(("" if first else "\n") + to_markdown(history))
    elif env.stdout_tty or color:
        from .console import console

        if not first:
            env.stdout.write("\n")
        draw(history, console(env.stdout, terminal=True, width=env.width, no_color=not color))
    else:
        env.stdout.write(("" if first else "\n") + to_text(history))
    env.stdout.flush()


def _seconds(value: float | None) -> str:
    return "-" if value is None else format_duration(value)


def _cells(row: Row) -> list[str]:
    b = row.build
    return [
        str(row.number),
        b.build_uuid,
        field(b.outcome or b.status.value),  # the API's word: any text at all
        field(b.branch or "-"),
        field((b.commit_hash or "-")[:7]),
        field(b.created_on or "-"),
        _seconds(row.queue),
        _seconds(b.duration),
        *(_seconds(row.phases.get(name)) for name in PHASES),
    ]


HEADER = ["#", "build", "outcome", "branch", "commit", "created", "queue", "duration", *PHASES]


def totals_lines(history: History, quote: Callable[[str], str] = field) -> list[str]:
    """The totals, a line each; commits (from outside) through `quote` (`code` in Markdown)."""
    rate = history.success_rate
    judged = "-" if rate is None else f"{rate:.0%}"
    out = [
        f"success rate: {judged}",
        f"median: {_seconds(history.median)}, p90: {_seconds(history.p90)}",
        f"slowest phase (median): {history.slowest_phase or '-'}",
    ]
    if history.flaky:
        out.append("flaky commits: " + ", ".join(quote(c[:7]) for c in history.flaky))
    return out


def to_text(history: History) -> str:
    rows = ["\t".join(HEADER), *("\t".join(_cells(row)) for row in history.rows)]
    return "\n".join([f"# {field(history.worker)}", *rows, "", *totals_lines(history)]) + "\n"


def to_markdown(history: History) -> str:
    out = [
        f"### History of {code(history.worker)}",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + " --- |" * len(HEADER),
    ]
    for row in history.rows:
        cells = _cells(row)
        cells[1] = code(cells[1][:8])
        for index in (2, 3, 4, 5):  # from outside: only inside code
            cells[index] = code(cells[index])
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")  # GFM
    out += ["", *(f"- {line}" for line in totals_lines(history, code))]
    return "\n".join(out) + "\n"


def draw(history: History, console: Console) -> None:
    from rich.table import Table
    from rich.text import Text

    console.print(Text(f"History of {field(history.worker)}", style="bold"))
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name in ("#", "build", "outcome", "branch", "commit", "queue", "duration", "phases"):
        right = name in ("#", "queue", "duration")
        table.add_column(name, justify="right" if right else "left", no_wrap=True)
    longest = max((_length(row) for row in history.rows), default=0.0) or 1.0
    room = max(10, min(BAR, console.width - 60))  # what the other columns leave
    for row in history.rows:
        cells = _cells(row)
        b = row.build
        colour = _COLOURS.get(b.outcome or "", "yellow")
        table.add_row(
            cells[0], cells[1][:8], Text(cells[2], style=colour), cells[3], cells[4],
            cells[6], cells[7], bar(row, longest, colour, room),
        )  # fmt: skip
    console.print(table)
    console.print(Text("phases: " + "  ".join(f"{_SHADES[p]} {p}" for p in PHASES), style="dim"))
    console.print()
    for line in totals_lines(history):
        console.print(Text(line))


def _length(row: Row) -> float:
    """What a build's bar stands for: its phases end to end, else its duration."""
    return sum(row.phases.values()) or row.build.duration or 0.0


def bar(row: Row, longest: float, colour: str, room: int = BAR) -> Text:
    """A build's bar: its phases' segments in its outcome's colour, `room` columns at most."""
    from rich.text import Text

    text = Text()
    total = row.build.duration
    if not row.phases or total is None:
        width = 0 if total is None else max(1, round(room * total / longest))
        return Text("━" * width if width else row.build.status.value, style=colour)
    done = drawn = 0.0
    for name in PHASES:  # cumulative rounding: the segments add up to the whole bar
        seconds = row.phases.get(name)
        if seconds:
            done += seconds
            end = max(drawn + 1, round(room * done / longest))
            text.append(_SHADES[name] * int(end - drawn), style=colour)
            drawn = end
    return text
