"""The checks that turn typed flags into the frozen options objects of `commands.py`: each bad
value is a usage error (exit 2) with one line that says what is wrong, before any request."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from ..errors import UsageError

if TYPE_CHECKING:  # the commands import httpx: only the commands that run pay for it
    from ..commands.options import LogOptions
    from ..output.formats import CiMode, OutputFormat, SummaryFormat
    from ..settings.buildref import BuildRef
    from ..settings.session import ApiOptions

T = TypeVar("T")
COLOR_CHOICES = ("auto", "always", "never")
SHA_RE = re.compile(r"[0-9a-f]{4,40}", re.I)

DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: str) -> float:
    """`90s`, `10m`, `1h30m`, or plain seconds."""
    text = value.strip().lower()
    try:
        seconds = float(text)
    except ValueError:
        parts = DURATION_RE.findall(text)
        if not parts or "".join(n + u for n, u in parts) != text:
            raise UsageError(
                f"not a duration: {value!r}", "write it like 90s, 10m, 1h or 1h30m"
            ) from None
        seconds = sum(float(n) * DURATION_UNITS[u] for n, u in parts)
    if not seconds > 0:  # also refuses nan
        raise UsageError(f"the duration must be more than zero, not {value!r}")
    return seconds


def _choice(name: str, value: str, enum_type: Callable[[str], T], allowed: Sequence[str]) -> T:
    try:
        return enum_type(value)
    except ValueError:
        raise UsageError(f"{name} must be one of {', '.join(allowed)}, not {value!r}") from None


def api_options(
    profile: str | None,
    account_id: str | None,
    api_url: str | None,
    verbose: bool,
    no_cache: bool = False,
) -> ApiOptions:
    from ..settings.session import ApiOptions

    return ApiOptions(profile, account_id, api_url, verbose, no_cache)


def output_format(output: str, json_: bool, ndjson: bool) -> OutputFormat:
    from ..output.formats import OutputFormat

    fmt = _format_name(output, json_, ndjson)
    if fmt == "markdown":
        raise UsageError(
            "-o markdown is a summary format",
            "use `cf-buildlogs summary BUILD -o markdown` or `latest --summary -o markdown`",
        )
    return _choice("--output", fmt, OutputFormat, [f.value for f in OutputFormat])


def _format_name(output: str, json_: bool, ndjson: bool) -> str:
    if json_ and ndjson:
        raise UsageError("--json and --ndjson cannot be used together")
    if (json_ or ndjson) and output != "text":
        raise UsageError("--output cannot be combined with --json or --ndjson")
    return "json" if json_ else "ndjson" if ndjson else output


def summary_format(output: str, json_: bool = False) -> SummaryFormat:
    from ..output.formats import SummaryFormat

    fmt = _format_name(output, json_, False)
    return _choice("--output", fmt, SummaryFormat, [f.value for f in SummaryFormat])


def check_context(context: int) -> int:
    if context < 0:
        raise UsageError(f"--context must be 0 or more, not {context}")
    return context


def check_phases(value: str | None) -> frozenset[str] | None:
    from ..analysis.phases import PHASES, parse_phases

    if value is None:
        return None
    try:
        return parse_phases(value)
    except ValueError as exc:
        raise UsageError(
            f"--phase: unknown phase {exc}", f"the phases are {', '.join(PHASES)}"
        ) from None


def check_input(value: str) -> bool:
    """--input: whether files are read as plain text."""
    if value not in ("auto", "text"):
        raise UsageError(f"--input must be auto or text, not {value!r}")
    return value == "text"


def color_choice(color: str) -> str:
    if color not in COLOR_CHOICES:
        raise UsageError(f"--color must be one of {', '.join(COLOR_CHOICES)}, not {color!r}")
    return color


class LogFlags(NamedTuple):
    """The log flags of `get` and `latest` as typed, before they are checked together."""

    output: str
    json_: bool
    ndjson: bool
    timestamps: str
    no_timestamps: bool
    color: str
    tail: int | None
    follow: bool = False
    interval: float = 2.0
    timeout: str | None = None
    exit_status: bool = False
    ci: str | None = None  # None: as the environment says
    require_deploy: bool = False


class ViewFlags(NamedTuple):
    """What of the log to show, and how: the filters, redaction, and the summary instead."""

    errors: bool = False
    context: int = 3
    phase: str | None = None
    redact: bool | None = None
    summary: bool = False


def ci_mode(choice: str | None, environ: Mapping[str, str]) -> CiMode:
    """--ci, else what the environment says (GITHUB_ACTIONS, GITLAB_CI)."""
    from ..output.formats import CiMode

    if choice is not None:
        _choice("--ci", choice, CiMode, [m.value for m in CiMode])
    return CiMode.detect(choice, environ)


def log_options(
    flags: LogFlags, view: ViewFlags, waits: bool = False, environ: Mapping[str, str] | None = None
) -> LogOptions:
    """The log options of `get`, `latest` and `view`, checked together; `waits` for `latest
    --wait`; `environ` tells whether this runs in CI."""
    from ..commands.options import DEFAULT_WAIT, LogOptions
    from ..output.formats import OutputFormat
    from ..output.timestamps import TimestampMode

    summary = None
    if view.summary:
        _summary_conflicts(flags, view)
        summary = summary_format(flags.output, flags.json_)
    markdown = summary is not None and summary.value == "markdown"

    if flags.no_timestamps and flags.timestamps != "local":
        raise UsageError("--no-timestamps cannot be combined with --timestamps")
    if flags.tail is not None and flags.tail < 0:
        raise UsageError(f"--tail must be 0 or more, not {flags.tail}")
    if not 0 < flags.interval <= 3600:
        raise UsageError(
            f"--interval must be over 0 and at most 3600 seconds, not {flags.interval}"
        )
    if flags.timeout is not None and not (flags.follow or waits):
        raise UsageError("--timeout needs --follow (or --wait)")
    return LogOptions(
        output=OutputFormat.TEXT
        if summary
        else output_format(flags.output, flags.json_, flags.ndjson),
        timestamps=_choice(
            "--timestamps",
            "none" if flags.no_timestamps else flags.timestamps,
            TimestampMode,
            [m.value for m in TimestampMode],
        ),
        color=color_choice(flags.color),
        tail=flags.tail,
        follow=flags.follow,
        interval=flags.interval,
        timeout=DEFAULT_WAIT if flags.timeout is None else parse_duration(flags.timeout),
        exit_status=flags.exit_status or flags.require_deploy,
        errors=view.errors,
        context=check_context(view.context),
        phases=check_phases(view.phase),
        redact=markdown if view.redact is None else view.redact,
        summary=summary,
        ci=ci_mode(flags.ci, environ or {}),
        require_deploy=flags.require_deploy,
    )


def _summary_conflicts(flags: LogFlags, view: ViewFlags) -> None:
    used = [
        name
        for name, on in (
            ("--ndjson", flags.ndjson),
            ("--tail", flags.tail is not None),
            ("--errors", view.errors),
            ("--phase", view.phase is not None),
        )
        if on
    ]
    if used:
        raise UsageError(
            f"--summary cannot be combined with {used[0]}",
            "the summary already gives the phases and the error lines with context",
        )


def check_build(value: str, account_id: str | None) -> BuildRef:
    """A build UUID or its dashboard URL (README, "get"), checked before any request."""
    from ..settings.buildref import parse_build

    return parse_build(value, account_id)


_FOLLOW_ONLY = {  # the flags that say how to read a build, by the name a user typed
    "output": "--output",
    "json_": "--json",
    "ndjson": "--ndjson",
    "timestamps": "--timestamps",
    "no_timestamps": "--no-timestamps",
    "tail": "--tail",
    "interval": "--interval",
    "timeout": "--timeout",
    "exit_status": "--exit-status",
    "require_deploy": "--require-deploy",
    "ci": "--ci",
    "errors": "--errors",
    "phase": "--phase",
    "redact": "--redact",
    "summary": "--summary",
}


def follow_options(
    flags: LogFlags, view: ViewFlags, environ: Mapping[str, str]
) -> LogOptions | None:
    """How `rerun` and `build` read the build they start: as `get --follow` with --follow;
    without it they print its UUID, so a flag that says how to read it is a usage error."""
    if flags.follow:
        return log_options(flags, view, environ=environ)
    plain = LogFlags("text", False, False, "local", False, flags.color, None)
    given = {**flags._asdict(), **view._asdict()}
    default = {**plain._asdict(), **ViewFlags(context=view.context)._asdict()}
    for name, option in _FOLLOW_ONLY.items():
        if given[name] != default[name]:
            raise UsageError(
                f"{option} needs --follow",
                "without --follow the new build's UUID is printed; add --follow to read its log",
            )
    return None
