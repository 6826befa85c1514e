"""What happened to a build, for people and for pull requests (README, "summary").

`make_summary` gathers the facts from the build, the phase tracker and the error collector;
`to_json` is the stable interface, `to_text` the plain form for pipes, `to_markdown` the form
for `$GITHUB_STEP_SUMMARY` and pull-request comments, and `draw` the rich layout for a terminal.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, TextIO

from ..analysis.deploy import Deployment, deployed, false_green_hint
from ..analysis.hints import Hint
from ..analysis.phases import PhaseReport, Tracker, failed_phase, report
from ..analysis.pipeline import Collector, Group
from ..analysis.untrusted import (
    code,
    continued,
    fence,
    field,
    link,
    linkable,
    shortened,
    shown_frame,
    strip_escapes,
)
from ..models import MESSAGE, NUMBER, PHASE, SECONDS, Build, Tracked
from .compared import draw as compared_draw
from .compared import to_json as compared_json
from .compared import to_markdown as compared_markdown
from .compared import to_text as compared_text
from .stderr import OUTCOME_WORDS
from .timestamps import Stamper, TimestampMode, format_duration

if TYPE_CHECKING:
    from rich.console import Console

    from ..analysis.compare import Diff


class Summary(NamedTuple):
    build_uuid: str
    account_id: str | None
    worker: str | None
    url: str | None
    build: Build | None
    lines: int
    phases: list[PhaseReport]
    failed_phase: str | None
    errors: list[Tracked]
    errors_total: int
    groups: list[Group]
    hints: list[Hint]
    deployments: list[Deployment]
    deployed: bool | None  # README, "What was deployed": None while running or failed
    not_deployed: Hint | None  # why a success deployed nothing, when its log tells (in hints)
    compared: Diff | None = None  # summary --compare: what is new since the last good build


def make_summary(
    build_uuid: str,
    build: Build | None,
    tracker: Tracker,
    collector: Collector,
    *,
    account_id: str | None = None,
    worker: str | None = None,
    url: str | None = None,
) -> Summary:
    """The summary's facts; `url` the build's dashboard page, when known."""
    phases = report(tracker, build)
    failed = failed_phase(phases)
    deployments = collector.deploys.deployments
    did_deploy = deployed(build, deployments)
    hints = list(collector.hints.values())
    why = false_green_hint(collector.deploys) if did_deploy is False else None
    return Summary(
        build_uuid=build_uuid,
        account_id=account_id,
        worker=worker,
        url=url,
        build=build,
        lines=tracker.count,
        phases=phases,
        failed_phase=failed,
        errors=collector.errors,
        errors_total=collector.total,
        groups=collector.groups_of(failed),
        hints=[why, *hints] if why is not None else hints,
        deployments=deployments,
        deployed=did_deploy,
        not_deployed=why,
    )


_UTC = Stamper(TimestampMode.UTC)
_LOCAL = Stamper(TimestampMode.LOCAL)


def _when(stamper: Stamper, seconds: float | None) -> str | None:
    if seconds is None:
        return None
    text = stamper((None, seconds, seconds != int(seconds), ""))
    return None if text == "?" else text


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(float(value), 3)


def to_json(s: Summary) -> dict[str, Any]:
    build = s.build
    compared = {} if s.compared is None else compared_json(s.compared)
    return {
        "build_uuid": s.build_uuid or None,
        "account_id": s.account_id,
        "worker": s.worker,
        "url": s.url,
        "status": build.status.value if build else None,
        "outcome": build.outcome if build else None,
        "branch": build.branch if build else None,
        "commit_hash": build.commit_hash if build else None,
        "created_on": build.created_on if build else None,
        "duration_seconds": _seconds(build.duration) if build and build.stopped else None,
        "lines": s.lines,
        "phases": [
            {
                "name": p.name,
                "started": _when(_UTC, p.started),
                "duration_seconds": _seconds(p.duration),
                "lines": p.lines,
                "status": p.status,
            }
            for p in s.phases
        ],
        "failed_phase": s.failed_phase,
        "errors": [
            {
                "line": line[NUMBER],
                "phase": line[PHASE],
                "timestamp": _when(_UTC, line[SECONDS]),
                "message": strip_escapes(line[MESSAGE]),
            }
            for line in s.errors
        ],
        "errors_total": s.errors_total,
        "hints": [{"text": h.text, "url": h.url} for h in s.hints],
        "deployments": [d.to_json(build.preview_url if build else None) for d in s.deployments],
        "deployed": s.deployed,
        **compared,
    }


# Every field from outside passes through `quote`: `field` for text, `code` for Markdown.
Quote = Callable[[object], str]
Redact = Callable[[str], str]


def verdict(s: Summary, quote: Quote = field) -> str:
    """`failed in 1m43s`, `is running`, `succeeded`; `state unknown` for a saved log that does
    not say how its build ended."""
    build = s.build
    if build is None:
        return "state unknown"
    if not build.stopped:
        return f"is {build.status.value}"
    outcome = build.outcome
    if outcome in OUTCOME_WORDS:
        words = OUTCOME_WORDS[outcome]
    else:
        words = f"stopped ({quote(outcome) if outcome else 'no outcome'})"
    took = build.duration
    return words + (f" in {format_duration(took)}" if took is not None else "")


def title(s: Summary) -> str:
    """`my-worker 5b1d8f2e failed in 41s`; `build failed in 41s`, `build, state unknown` when
    the Worker or the build's id is not known (a saved log)."""
    words = [field(s.worker or "build"), field(s.build_uuid[:8])]
    joined = " ".join(w for w in words if w)
    return f"{joined}{',' if s.build is None else ''} {verdict(s)}"


def _facts(s: Summary, quote: Quote = field) -> list[str]:
    build = s.build
    facts = [f"{s.lines:,} line{'s' * (s.lines != 1)}"]
    if build is not None:
        facts += [f"branch {quote(build.branch)}" if build.branch else ""]
        facts += [f"commit {quote(build.commit_hash[:7])}" if build.commit_hash else ""]
    return [f for f in facts if f]


FALSE_GREEN = "deployed nothing: the build succeeded, but its log shows no version id"
URLS_SHOWN = 3  # of a deployment's URLs, in the text forms; JSON has them all


def deployment_lines(s: Summary, quote: Quote = field, url: Quote = field) -> list[str]:
    """What the build deployed, a line a deployment with a version id, or the false green;
    `quote` shows a value from the log, `url` a URL (Markdown links only some)."""
    if s.deployed is False:
        return [FALSE_GREEN]
    record_preview = s.build.preview_url if s.build is not None else None
    out = []
    for d in s.deployments:
        if not d.version_id:
            continue
        who = f"{quote(d.worker)} " if d.worker else ""
        if d.kind == "version":
            words = [f"uploaded {who}version {quote(d.version_id)} (not deployed)"]
            preview = d.preview_url or record_preview
            words += [f"preview {url(p)}" for p in (preview, d.preview_alias_url) if p]
        else:
            words = [f"deployed {who}version {quote(d.version_id)}"]
            words += [url(u) for u in d.urls[:URLS_SHOWN]]
            if len(d.urls) > URLS_SHOWN:
                words.append(f"{len(d.urls) - URLS_SHOWN} more URLs")
        out.append(" · ".join(words))
    return out


def _md_url(value: object) -> str:
    text = str(value)
    return link(text, text) if linkable(text) else code(text)


def _duration(p: PhaseReport) -> str:
    return "" if p.duration is None else format_duration(p.duration)


def _error_heading(s: Summary) -> str:
    where = f" in {s.failed_phase}" if s.failed_phase and _in_failed(s) else ""
    return f"Errors{where} ({s.errors_total} error line{'s' * (s.errors_total != 1)} in all)"


def _in_failed(s: Summary) -> bool:
    return any(s.failed_phase in g.phases for g in s.groups)


# A summary shows at most this much of a line: a pull-request comment has room for 65,536.
LONGEST = 1000


def _group_lines(group: Group, width: int, redact: Redact | None = None) -> list[str]:
    """`117: message` for an error line, `116- message` for context, as `grep -n` prints; a
    line break inside a message repeats the line's prefix."""
    out = []
    for line, error in group.lines:
        lead = f"{line[NUMBER]:>{width}}{':' if error else '-'} "
        message = line[MESSAGE] if redact is None else redact(line[MESSAGE])
        text = shortened(strip_escapes(shown_frame(message)).replace("\t", " "), LONGEST)
        out.append(lead + continued(text, lead))
    return out


def _number_width(s: Summary) -> int:
    last = max((line[NUMBER] for g in s.groups for line, _ in g.lines), default=1)
    return len(str(last))


def _error_block(s: Summary, redact: Redact | None = None) -> list[str]:
    width, out = _number_width(s), []
    for index, group in enumerate(s.groups):
        if index:
            out.append("--")
        out += _group_lines(group, width, redact)
    return out


def to_text(s: Summary) -> str:
    out = [title(s), " · ".join(_facts(s))]
    if s.url:
        out.append(s.url)
    out += deployment_lines(s)
    if s.phases:
        rows = [("phase", "started", "duration", "lines", "status")]
        rows += [
            (p.name, _when(_LOCAL, p.started) or "", _duration(p), str(p.lines), p.status or "")
            for p in s.phases
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(5)]
        out.append("")
        out += [
            "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
        ]
    if s.groups:
        out += ["", _error_heading(s) + ":", *_error_block(s)]
    if s.hints:
        hints = [f"- {h.text}" + (f" {field(h.url)}" if h.url else "") for h in s.hints]
        out += ["", "Hints:", *hints]
    out += compared_text(s.compared) if s.compared is not None else []
    return "\n".join(out) + "\n"


_HEX = re.compile(r"[0-9a-f]{1,8}")
_EMOJI = {"success": "✅", "skipped": "⏭️", "fail": "❌", "cancelled": "⛔", "terminated": "⛔"}


def to_markdown(s: Summary, brief: bool = False, redact: Redact | None = None) -> str:
    """Markdown in which nothing from outside is read as markup: untrusted text only inside
    code, links only to the hosts `untrusted.linkable` allows (README, "Security"). `brief`:
    the heading, the link and what was deployed only (a CI job's summary of a success);
    `redact` masks the error lines' secrets, for a summary read through no redactor."""
    build = s.build
    mark = "⏳" if build is None or not build.stopped else _EMOJI.get(build.outcome or "", "⚠️")
    mark = "⚠️" if s.deployed is False else mark
    what = f"{code(s.worker)}: build" if s.worker else "Build"
    joiner = ", " if build is None else " "
    nothing = ", deployed nothing" if s.deployed is False else ""
    out = [f"### {mark} {what}{joiner}{verdict(s, code)}{nothing}", ""]
    short = s.build_uuid[:8]
    label = f"build {short}" if _HEX.fullmatch(short) else f"build {code(s.build_uuid)}"
    facts = [link(label, s.url) if s.url else code(s.build_uuid)] if s.build_uuid else []
    facts.append(f"{s.lines:,} line{'s' * (s.lines != 1)}")
    out += [" · ".join(facts + _facts(s, code)[1:]), ""]
    deploys = deployment_lines(s, code, _md_url)
    if deploys:
        out += [f"- {line[0].upper()}{line[1:]}" for line in deploys] + [""]
    if brief:  # a false green keeps its hint: why nothing was deployed
        return "\n".join(out + (_md_hints(s) if s.deployed is False else [])).rstrip() + "\n"
    if s.phases:
        out += ["| phase | duration | lines | status |", "| --- | --- | ---: | --- |"]
        for p in s.phases:
            status = f"**{p.status}**" if p.status == "failed" else p.status or ""
            out.append(f"| {p.name} | {_duration(p)} | {p.lines} | {status} |")
        out.append("")
    if s.groups:
        block = "\n".join(_error_block(s, redact))
        ticks = fence(block)
        out += [f"**{_error_heading(s)}**", "", f"{ticks}text", block, ticks, ""]
    out += compared_markdown(s.compared) if s.compared is not None else []
    return "\n".join(out + _md_hints(s)).rstrip() + "\n"


def _md_hints(s: Summary) -> list[str]:
    """The advice is the tool's own text; a URL from the log is linked only if allowed."""
    if not s.hints:
        return []
    out = ["**Hints**", ""]
    out += [f"- {h.text}" + (f" ({link('docs', h.url)})" if h.url else "") for h in s.hints]
    return [*out, ""]


def draw(s: Summary, stream: TextIO, color: bool, width: int) -> None:
    """The rich layout: outcome, facts, a phase table, the failure's lines, hints."""
    from .console import console

    _draw(s, console(stream, terminal=True, width=width, no_color=not color))


def _draw(s: Summary, console: Console) -> None:
    from rich.table import Table
    from rich.text import Text

    build = s.build
    ok = build is not None and build.stopped and build.succeeded
    bad = build is not None and build.stopped and not build.succeeded
    style = "bold green" if ok else "bold red" if bad else "bold yellow"
    mark = "✓" if ok else "✗" if bad else "…"
    console.print(Text(f"{mark} {title(s)}", style=style))
    console.print(Text(" · ".join(_facts(s)), style="dim"))
    if s.url:
        console.print(Text(s.url, style=f"link {s.url}"))
    for line in deployment_lines(s):
        console.print(Text(line, style="yellow" if s.deployed is False else "green"))
    if s.phases:
        table = Table(box=None, pad_edge=False, header_style="bold")
        for name in ("phase", "started", "duration", "lines", "status"):
            table.add_column(name, justify="right" if name == "lines" else "left")
        colours = {"ok": "green", "failed": "bold red", "running": "yellow"}
        for p in s.phases:
            status = Text(p.status or "", style=colours.get(p.status or "", ""))
            row = (p.name, _when(_LOCAL, p.started) or "", _duration(p), str(p.lines))
            table.add_row(*(Text(c) for c in row), status)
        console.print()
        console.print(table)
    if s.groups:
        console.print()
        console.print(Text(_error_heading(s), style="bold"))
        width = _number_width(s)
        for index, group in enumerate(s.groups):
            if index:
                console.print(Text("--", style="dim"))
            for (_, error), text in zip(group.lines, _group_lines(group, width), strict=True):
                console.print(Text(text, style="red" if error else "dim"), soft_wrap=True)
    if s.hints:
        console.print()
        console.print(Text("Hints", style="bold"))
        for hint in s.hints:
            item = Text(f"• {hint.text}")
            if hint.url:  # a terminal link (OSC 8) only to a host that may be linked
                style = f"cyan link {hint.url}" if linkable(hint.url) else "cyan"
                item.append(f" {field(hint.url)}", style=style)
            console.print(item)
    if s.compared is not None:
        compared_draw(s.compared, console)
