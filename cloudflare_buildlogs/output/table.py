"""`list` output for people: a rich table on a terminal, tab-separated columns when piped.

Kept apart so that only `list` on a terminal pays for importing rich's table machinery.
"""

from __future__ import annotations

from ..analysis.untrusted import field
from ..env import Env
from ..models import Build
from .timestamps import format_duration

HEADERS = ("BUILD", "STATUS", "BRANCH", "COMMIT", "TRIGGER", "STARTED", "DURATION")
STATUS_STYLES = {
    "success": "green",
    "skipped": "dim",
    "fail": "red",
    "cancelled": "yellow",
    "terminated": "red",
}


def status_text(build: Build) -> str:
    """`success`, `fail`, ... once stopped; the live state before."""
    return build.outcome or "stopped" if build.stopped else build.status.value


def cells(build: Build) -> tuple[str, ...]:
    duration = build.duration
    raw = (
        build.build_uuid,
        status_text(build),
        build.branch or "-",
        (build.commit_hash or "-")[:7],
        build.trigger_source or "-",
        (build.running_on or build.created_on or "-").replace("T", " ").rstrip("Z")[:19],
        format_duration(duration) if duration is not None else "-",
    )
    # API text reaches a terminal or a TSV reader: no controls, and no tabs or newlines.
    return tuple(field(c) for c in raw)


def builds_tsv(builds: list[Build]) -> str:
    rows = ["\t".join(HEADERS).lower()] + ["\t".join(cells(b)) for b in builds]
    return "\n".join(rows) + "\n"


def builds_table(env: Env, builds: list[Build], color: bool) -> None:
    from rich.table import Table
    from rich.text import Text

    from .console import console

    table = Table(box=None, pad_edge=False, header_style="bold")
    for header in HEADERS:
        table.add_column(header, no_wrap=header in ("BUILD", "COMMIT"))
    for build in builds:
        row = [Text(cell) for cell in cells(build)]
        row[1].stylize(STATUS_STYLES.get(status_text(build), "cyan"))
        table.add_row(*row)
    system = "auto" if color else None
    console(env.stdout, terminal=env.stdout_tty or color, system=system).print(table)
