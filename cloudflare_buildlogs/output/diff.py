"""A diff printed (README, "diff"): plain text for people and pipes, JSON for scripts, Markdown
for a pull request. Log text is untrusted: cleaned on one line in text, data in JSON, and only
inside code in Markdown."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..analysis.untrusted import code, fence, field
from ..env import Env
from ..models import MESSAGE, NUMBER, PHASE, Tracked
from ..output.formats import SummaryFormat

if TYPE_CHECKING:
    from ..analysis.compare import Diff

MARKDOWN_LINES = 200  # new lines a Markdown diff shows at most


def print_diff(env: Env, diff: Diff, fmt: SummaryFormat, color: bool) -> None:
    bases = ", ".join(field(b.label) for b in diff.bases)
    if fmt is SummaryFormat.JSON:
        env.stdout.write(json.dumps(to_json(diff), indent=2, ensure_ascii=False) + "\n")
    elif fmt is SummaryFormat.MARKDOWN:
        env.stdout.write(to_markdown(diff))
    else:
        env.stdout.write(to_text(diff, color))
    env.stdout.flush()
    shown = sum(1 for _, new in diff.shown if new)
    more = f" ({diff.new - shown:,} more not shown)" if diff.new > shown else ""
    env.error_line(
        f"{diff.new:,} new lines in {field(diff.build.label)}{more} against {bases}"
        + (
            f"; {len(diff.missing):,} of {field(diff.bases[0].label)} missing"
            if diff.missing
            else ""
        )
    )


def _number(line: Tracked) -> int:
    return line[NUMBER]


def to_json(diff: Diff) -> dict[str, Any]:
    def record(line: Tracked) -> dict[str, Any]:
        return {"line": line[NUMBER], "phase": line[PHASE] or None, "message": line[MESSAGE]}

    return {
        "build_uuid": diff.build.build.build_uuid if diff.build.build else None,
        "base": [b.build.build_uuid if b.build else b.label for b in diff.bases],
        "versions": [{"tool": c.tool, "from": c.before, "to": c.after} for c in diff.versions],
        "phases": [
            {
                "name": p.name,
                "duration_seconds": round(p.seconds, 3),
                "base_duration_seconds": round(p.base_seconds, 3),
            }
            for p in diff.phases
        ],
        "new": [record(line) for line, new in diff.shown if new],
        "missing": [record(line) for line in diff.missing],
    }


def _seconds(value: float) -> str:
    return f"{value:.0f}s" if value >= 10 else f"{value:.1f}s"


def _facts(diff: Diff) -> list[str]:
    lines = []
    for change in diff.versions:
        lines.append(
            f"version  {field(change.tool)} {field(change.before or 'none')} -> "
            f"{field(change.after or 'none')}"
        )
    for phase in diff.phases:
        lines.append(
            f"phase    {phase.name} took {_seconds(phase.seconds)}, "
            f"{_seconds(phase.base_seconds)} before"
        )
    return lines


def to_text(diff: Diff, color: bool = False) -> str:
    """Versions and phases first, then each phase's new lines as `grep -C` prints them:
    `+` and the line number for a new line, blanks for context, `--` between groups."""
    green, red, off = ("\x1b[32m", "\x1b[31m", "\x1b[0m") if color else ("", "", "")
    out = _facts(diff)
    width = max((len(str(line[NUMBER])) for line, _ in diff.shown), default=1)
    phase, last = None, -1
    for line, new in diff.shown:
        if line[PHASE] != phase:
            phase = line[PHASE]
            out.append(f"## {phase or 'before the first phase'}")
        elif line[NUMBER] != last + 1:
            out.append("--")
        last = line[NUMBER]
        mark, tint = ("+", green) if new else (" ", "")
        text = field(line[MESSAGE])
        out.append(f"{tint}{mark} {line[NUMBER]:>{width}}  {text}{off if tint else ''}")
    if diff.missing:
        out.append(f"## only in {field(diff.bases[0].label)}")
        for line in diff.missing:
            out.append(
                f"{red}- {line[NUMBER]:>{width}}  {field(line[MESSAGE])}{off if red else ''}"
            )
    return "".join(line + "\n" for line in out)


def to_markdown(diff: Diff) -> str:
    """For a pull request: the facts as a list, the new lines in one code block."""
    label = diff.build.label
    bases = ", ".join(code(b.label[:8] if b.build else b.label) for b in diff.bases)
    out = [f"### New in {code(label[:8] if diff.build.build else label)} since {bases}", ""]
    for change in diff.versions:
        out.append(
            f"- version {code(change.tool)}: {code(change.before or 'none')} → "
            f"{code(change.after or 'none')}"
        )
    for phase in diff.phases:
        out.append(
            f"- phase {code(phase.name)} took {_seconds(phase.seconds)} "
            f"({_seconds(phase.base_seconds)} before)"
        )
    new = [line for line, is_new in diff.shown if is_new]
    if not new:
        out += ([""] if len(out) > 2 else []) + ["No new lines."]
        return "\n".join(out) + "\n"
    block = "\n".join(f"{line[NUMBER]:>6}  {field(line[MESSAGE])}" for line in new[:MARKDOWN_LINES])
    ticks = fence(block)
    more = len(new) - MARKDOWN_LINES
    out += [
        "",
        f"{diff.new:,} new lines"
        + (f" (the first {MARKDOWN_LINES} shown)" if more > 0 else "")
        + ":",
        "",
        ticks + "text",
        block,
        ticks,
    ]
    return "\n".join(out) + "\n"
