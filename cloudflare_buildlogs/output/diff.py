"""A diff printed (README, "diff"): plain text for people and pipes, JSON for scripts, Markdown
for a pull request; and the pieces `summary --compare` prints the same way (`compared.py`).
Log text is untrusted: cleaned on one line in text, data in JSON, and only inside code in
Markdown."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..analysis.untrusted import code, fence, field
from ..env import Env
from ..models import MESSAGE, NUMBER, PHASE, Tracked
from ..output.formats import SummaryFormat

if TYPE_CHECKING:
    from ..analysis.compare import Change, Diff

MARKDOWN_LINES = 200  # lines a Markdown diff shows at most in one block


def print_diff(env: Env, diff: Diff, fmt: SummaryFormat, color: bool) -> None:
    if fmt is SummaryFormat.JSON:
        env.stdout.write(json.dumps(to_json(diff), indent=2, ensure_ascii=False) + "\n")
    elif fmt is SummaryFormat.MARKDOWN:
        env.stdout.write(to_markdown(diff))
    else:
        env.stdout.write(to_text(diff, color))
    env.stdout.flush()
    shown = len(diff.new_lines)
    more = f" ({diff.new - shown:,} more not shown)" if diff.new > shown else ""
    missing = f"; {len(diff.missing):,} of {field(diff.bases[0].label)} missing"
    env.error_line(
        f"{diff.new:,} new lines in {field(diff.build.label)}{more} against "
        + ", ".join(field(b.label) for b in diff.bases)
        + (missing if diff.missing else "")
    )


# -- the pieces a diff and a summary's comparison share ---------------------------------------


def line_record(line: Tracked) -> dict[str, Any]:
    return {"line": line[NUMBER], "phase": line[PHASE] or None, "message": line[MESSAGE]}


def base_json(diff: Diff) -> list[str]:
    return [b.build.build_uuid if b.build else b.label for b in diff.bases]


def versions_json(diff: Diff) -> list[dict[str, Any]]:
    return [{"tool": c.tool, "from": c.before, "to": c.after} for c in diff.versions]


def version_text(change: Change) -> str:
    before, after = field(change.before or "none"), field(change.after or "none")
    return f"{field(change.tool)} {before} -> {after}"


def version_markdown(change: Change) -> str:
    before, after = code(change.before or "none"), code(change.after or "none")
    return f"- version {code(change.tool)}: {before} → {after}"


def bases_markdown(diff: Diff) -> str:
    """Each base as code: a build by the start of its UUID, a file by its name."""
    return ", ".join(code(b.label[:8] if b.build else b.label) for b in diff.bases)


def numbered_block(lines: Sequence[Tracked]) -> list[str]:
    """Lines with their numbers in one Markdown code block, MARKDOWN_LINES at most."""
    block = "\n".join(
        f"{line[NUMBER]:>6}  {field(line[MESSAGE])}" for line in lines[:MARKDOWN_LINES]
    )
    ticks = fence(block)
    return [ticks + "text", block, ticks]


# -- the diff ------------------------------------------------------------------------------------


def to_json(diff: Diff) -> dict[str, Any]:
    return {
        "build_uuid": diff.build.build.build_uuid if diff.build.build else None,
        "base": base_json(diff),
        "versions": versions_json(diff),
        "phases": [
            {
                "name": p.name,
                "duration_seconds": round(p.seconds, 3),
                "base_duration_seconds": round(p.base_seconds, 3),
            }
            for p in diff.phases
        ],
        "new": [line_record(line) for line in diff.new_lines],
        "missing": [line_record(line) for line in diff.missing],
    }


def _seconds(value: float) -> str:
    return f"{value:.0f}s" if value >= 10 else f"{value:.1f}s"


def to_text(diff: Diff, color: bool = False) -> str:
    """Versions and phases first, then each phase's new lines as `grep -C` prints them:
    `+` and the line number for a new line, blanks for context, `--` between groups."""
    green, red, off = ("\x1b[32m", "\x1b[31m", "\x1b[0m") if color else ("", "", "")
    out = [f"version  {version_text(change)}" for change in diff.versions]
    out += [
        f"phase    {p.name} took {_seconds(p.seconds)}, {_seconds(p.base_seconds)} before"
        for p in diff.phases
    ]
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
    """For a pull request: the facts as a list, the new lines in one code block (and with
    --both, BASE's lines BUILD lacks in another)."""
    label = diff.build.label
    build = code(label[:8] if diff.build.build else label)
    out = [f"### New in {build} since {bases_markdown(diff)}", ""]
    out += [version_markdown(change) for change in diff.versions]
    out += [
        f"- phase {code(p.name)} took {_seconds(p.seconds)} ({_seconds(p.base_seconds)} before)"
        for p in diff.phases
    ]
    sections = [(f"{diff.new:,} new lines", diff.new_lines)]
    if diff.missing:
        base = code(diff.bases[0].label[:8] if diff.bases[0].build else diff.bases[0].label)
        sections.append((f"{len(diff.missing):,} lines only in {base}", diff.missing))
    if not diff.new_lines:
        out += ([""] if len(out) > 2 else []) + ["No new lines."]
        sections = sections[1:]
    for title, lines in sections:
        first = f" (the first {MARKDOWN_LINES} shown)" if len(lines) > MARKDOWN_LINES else ""
        out += ["", f"{title}{first}:", "", *numbered_block(lines)]
    return "\n".join(out) + "\n"
