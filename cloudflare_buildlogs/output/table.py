"""`list` and `triggers` output for people: a rich table on a terminal, tab-separated columns
when piped.

Kept apart so that only those commands on a terminal pay for importing rich's table machinery.
"""

from __future__ import annotations

from ..analysis.untrusted import field
from ..env import Env
from ..models import Build, Trigger
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


# -- `triggers` -----------------------------------------------------------------------------

TRIGGER_HEADERS = ("NAME", "TRIGGER", "BRANCHES", "PATHS", "ROOT", "BUILD", "DEPLOY", "CACHE")


def rules(includes: tuple[str, ...], excludes: tuple[str, ...]) -> str:
    """`main`, `all`, `all but main`, `src/** but docs/**`: a rule as a person says it."""
    taken = "all" if not includes or "*" in includes else ", ".join(includes)
    return taken + (f" but {', '.join(excludes)}" if excludes else "")


def trigger_cells(trigger: Trigger) -> tuple[str, ...]:
    caching = trigger.build_caching_enabled
    raw = (
        trigger.trigger_name or "-",
        trigger.trigger_uuid,
        rules(trigger.branch_includes, trigger.branch_excludes),
        rules(trigger.path_includes, trigger.path_excludes),
        trigger.root_directory or "/",
        trigger.build_command or "-",
        trigger.deploy_command or "-",
        "-" if caching is None else "on" if caching else "off",
    )
    return tuple(field(c) for c in raw)  # from the API: one clean line each, no tab


def triggers_tsv(triggers: list[Trigger]) -> str:
    rows = ["\t".join(TRIGGER_HEADERS).lower()] + ["\t".join(trigger_cells(t)) for t in triggers]
    return "\n".join(rows) + "\n"


def triggers_table(env: Env, triggers: list[Trigger], color: bool) -> None:
    from rich.table import Table
    from rich.text import Text

    from .console import console

    table = Table(box=None, pad_edge=False, header_style="bold")
    shown = [i for i, header in enumerate(TRIGGER_HEADERS) if header != "TRIGGER"]  # room
    for index in shown:
        table.add_column(TRIGGER_HEADERS[index])
    for trigger in triggers:
        cells = trigger_cells(trigger)
        table.add_row(*(Text(cells[index]) for index in shown))
    system = "auto" if color else None
    console(env.stdout, terminal=env.stdout_tty or color, system=system).print(table)
