"""`summary --compare`: the summary's "New since the last good build" section, in each of its
formats (README, "summary"): the base, the tool versions that changed, the new lines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..analysis.untrusted import code, fence, field
from ..models import MESSAGE, NUMBER, PHASE, Tracked

if TYPE_CHECKING:
    from rich.console import Console

    from ..analysis.compare import Diff

SHOWN = 20  # new lines a summary shows


def _new(diff: Diff) -> list[Tracked]:
    return [line for line, new in diff.shown if new][:SHOWN]


def _base(diff: Diff) -> str:
    return ", ".join(b.label for b in diff.bases)


def to_json(diff: Diff) -> dict[str, Any]:
    return {
        "base": [b.build.build_uuid if b.build else b.label for b in diff.bases],
        "versions": [{"tool": c.tool, "from": c.before, "to": c.after} for c in diff.versions],
        "new": [
            {"line": line[NUMBER], "phase": line[PHASE] or None, "message": line[MESSAGE]}
            for line in _new(diff)
        ],
        "new_total": diff.new,
    }


def _facts(diff: Diff) -> list[str]:
    return [
        f"{field(c.tool)} {field(c.before or 'none')} -> {field(c.after or 'none')}"
        for c in diff.versions
    ]


def _heading(diff: Diff) -> str:
    more = f" (the first {SHOWN} of {diff.new:,})" if diff.new > SHOWN else ""
    return f"New since the last good build ({field(_base(diff))}){more}"


def to_text(diff: Diff) -> list[str]:
    out = ["", _heading(diff) + ":"]
    out += [f"  version {fact}" for fact in _facts(diff)]
    out += [f"  {line[NUMBER]:>6}  {field(line[MESSAGE])}" for line in _new(diff)]
    if not diff.new and not diff.versions:
        out.append("  nothing")
    return out


def to_markdown(diff: Diff) -> list[str]:
    bases = ", ".join(code(b.label[:8] if b.build else b.label) for b in diff.bases)
    out = [f"**New since the last good build** ({bases})", ""]
    out += [
        f"- version {code(c.tool)}: {code(c.before or 'none')} → {code(c.after or 'none')}"
        for c in diff.versions
    ]
    new = _new(diff)
    if new:
        block = "\n".join(f"{line[NUMBER]:>6}  {field(line[MESSAGE])}" for line in new)
        ticks = fence(block)
        out += ([""] if diff.versions else []) + [f"{ticks}text", block, ticks]
    elif not diff.versions:
        out.append("Nothing new.")
    return [*out, ""]


def draw(diff: Diff, console: Console) -> None:
    from rich.text import Text

    console.print()
    console.print(Text(_heading(diff), style="bold"))
    for fact in _facts(diff):
        console.print(Text(f"  version {fact}", style="yellow"))
    for line in _new(diff):
        console.print(
            Text(f"  {line[NUMBER]:>6}  {field(line[MESSAGE])}", style="green"), soft_wrap=True
        )
    if not diff.new and not diff.versions:
        console.print(Text("  nothing", style="dim"))
