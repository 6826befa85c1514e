"""`summary --compare`: the summary's "New since the last good build" section, in each of its
formats (README, "summary"): the base, the tool versions that changed, the new lines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..analysis.untrusted import field
from ..models import MESSAGE, NUMBER, Tracked
from .diff import (
    base_json,
    bases_markdown,
    line_record,
    numbered_block,
    version_markdown,
    version_text,
    versions_json,
)

if TYPE_CHECKING:
    from rich.console import Console

    from ..analysis.compare import Diff

SHOWN = 20  # new lines a summary shows


def _new(diff: Diff) -> list[Tracked]:
    return diff.new_lines[:SHOWN]


def to_json(diff: Diff) -> dict[str, Any]:
    return {
        "base": base_json(diff),
        "versions": versions_json(diff),
        "new": [line_record(line) for line in _new(diff)],
        "new_total": diff.new,
    }


def _heading(diff: Diff) -> str:
    more = f" (the first {SHOWN} of {diff.new:,})" if diff.new > SHOWN else ""
    return f"New since the last good build ({field(', '.join(b.label for b in diff.bases))}){more}"


def to_text(diff: Diff) -> list[str]:
    out = ["", _heading(diff) + ":"]
    out += [f"  version {version_text(change)}" for change in diff.versions]
    out += [f"  {line[NUMBER]:>6}  {field(line[MESSAGE])}" for line in _new(diff)]
    if not diff.new and not diff.versions:
        out.append("  nothing")
    return out


def to_markdown(diff: Diff) -> list[str]:
    out = [f"**New since the last good build** ({bases_markdown(diff)})", ""]
    out += [version_markdown(change) for change in diff.versions]
    new = _new(diff)
    if new:
        out += ([""] if diff.versions else []) + numbered_block(new)
    elif not diff.versions:
        out.append("Nothing new.")
    return [*out, ""]


def draw(diff: Diff, console: Console) -> None:
    from rich.text import Text

    console.print()
    console.print(Text(_heading(diff), style="bold"))
    for change in diff.versions:
        console.print(Text(f"  version {version_text(change)}", style="yellow"))
    for line in _new(diff):
        text = Text(f"  {line[NUMBER]:>6}  {field(line[MESSAGE])}", style="green")
        console.print(text, soft_wrap=True)
    if not diff.new and not diff.versions:
        console.print(Text("  nothing", style="dim"))
