"""What the commands share: option declarations, value completion, and the checks that turn
typed flags into the frozen options objects of `commands.py`."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from ..errors import UsageError

if TYPE_CHECKING:  # the commands import httpx: only the commands that run pay for it
    from ..commands import LogOptions
    from ..render import OutputFormat
    from ..session import ApiOptions

SHA_RE = re.compile(r"[0-9a-f]{4,40}", re.I)
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)

T = TypeVar("T")
COLOR_CHOICES = ("auto", "always", "never")


# -- shell completion of values ------------------------------------------------------------


def complete_worker(incomplete: str) -> list[str]:
    """Worker names from the nearest wrangler config: its own and its environments'."""
    from ..wrangler import find_config

    try:
        found = find_config(Path.cwd())
    except OSError:
        return []
    names = [found.name, *found.env_names] if found and found.name else []
    return [name for name in names if name.startswith(incomplete)]


def complete_profile(incomplete: str) -> list[str]:
    """Profile names from the config file."""
    from .. import config

    try:
        data = config.load_config(config.config_dir(os.environ) / config.CONFIG_FILE_NAME).data
    except UsageError:
        return []
    return [name for name in data.get("profiles", {}) if name.startswith(incomplete)]


# -- options shared by the commands ------------------------------------------------------

ProfileOpt = Annotated[
    str | None,
    typer.Option(
        "--profile",
        metavar="NAME",
        help="Config profile [env: CF_BUILDLOGS_PROFILE].",
        autocompletion=complete_profile,
    ),
]
AccountOpt = Annotated[
    str | None,
    typer.Option(
        "--account-id",
        metavar="ID",
        help="Cloudflare account id [env: CLOUDFLARE_ACCOUNT_ID]; found from the token when "
        "it has only one.",
    ),
]
ApiUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--api-url",
        metavar="URL",
        help="API base URL [env: CLOUDFLARE_API_BASE_URL]; http:// only for loopback hosts.",
    ),
]
VerboseOpt = Annotated[
    bool,
    typer.Option(
        "--verbose",
        "-v",
        help="Log each HTTP request, its status, duration and retries to "
        "stderr (secrets redacted).",
    ),
]
OutputOpt = Annotated[
    str, typer.Option("--output", "-o", metavar="text|json|ndjson", help="Output format.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Shorthand for --output json.")]
NdjsonOpt = Annotated[bool, typer.Option("--ndjson", help="Shorthand for --output ndjson.")]
TimestampsOpt = Annotated[
    str,
    typer.Option(
        "--timestamps", metavar="local|utc|elapsed|epoch|none", help="How to show each line's time."
    ),
]
NoTimestampsOpt = Annotated[
    bool, typer.Option("--no-timestamps", help="Shorthand for --timestamps none.")
]
ColorOpt = Annotated[
    str,
    typer.Option(
        "--color",
        metavar="auto|always|never",
        help="Colour: auto = only on a terminal (NO_COLOR and FORCE_COLOR honoured).",
    ),
]
TailOpt = Annotated[int | None, typer.Option("--tail", metavar="N", help="Only the last N lines.")]
FollowOpt = Annotated[
    bool,
    typer.Option(
        "--follow",
        "-f",
        help="Keep reading until the build stops; the exit status then tells its outcome.",
    ),
]
IntervalOpt = Annotated[
    float,
    typer.Option(
        "--interval",
        metavar="SECONDS",
        help="With --follow: seconds between polls while lines flow (longer while quiet).",
    ),
]
TimeoutOpt = Annotated[
    str | None,
    typer.Option(
        "--timeout",
        metavar="DURATION",
        help="With --follow or --wait: give up after this long (90s, 10m, 1h), exit 6.",
    ),
]
ExitStatusOpt = Annotated[
    bool,
    typer.Option(
        "--exit-status",
        help="Without --follow: exit 1 when the build stopped with an outcome other than success.",
    ),
]
BranchOpt = Annotated[
    str | None, typer.Option("--branch", metavar="NAME", help="Only builds of this branch.")
]


WorkerArg = Annotated[
    str | None,
    typer.Argument(
        metavar="[WORKER]",
        autocompletion=complete_worker,
        help="The Worker's name or 32-hex tag; default: the `name` in the nearest "
        "wrangler.toml/json/jsonc.",
        show_default=False,
    ),
]

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
    profile: str | None, account_id: str | None, api_url: str | None, verbose: bool
) -> ApiOptions:
    from ..session import ApiOptions

    return ApiOptions(profile=profile, account_id=account_id, api_url=api_url, verbose=verbose)


def output_format(output: str, json_: bool, ndjson: bool) -> OutputFormat:
    from ..render import OutputFormat

    if json_ and ndjson:
        raise UsageError("--json and --ndjson cannot be used together")
    if (json_ or ndjson) and output != "text":
        raise UsageError("--output cannot be combined with --json or --ndjson")
    fmt = "json" if json_ else "ndjson" if ndjson else output
    return _choice("--output", fmt, OutputFormat, [f.value for f in OutputFormat])


def color_choice(color: str) -> str:
    if color not in COLOR_CHOICES:
        raise UsageError(f"--color must be one of {', '.join(COLOR_CHOICES)}, not {color!r}")
    return color


@dataclass(frozen=True)
class LogFlags:
    """The log flags of `get` and `latest` as typed, before they are checked together."""

    output: str
    json_: bool
    ndjson: bool
    timestamps: str
    no_timestamps: bool
    color: str
    tail: int | None
    follow: bool
    interval: float
    timeout: str | None
    exit_status: bool


def log_options(flags: LogFlags, waits: bool = False) -> LogOptions:
    """The log options of `get` and `latest`, checked together; `waits` for `latest --wait`."""
    from ..commands import DEFAULT_WAIT, LogOptions
    from ..render import TimestampMode

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
        output=output_format(flags.output, flags.json_, flags.ndjson),
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
        exit_status=flags.exit_status,
    )


def check_uuid(value: str) -> str:
    if not UUID_RE.fullmatch(value):
        raise UsageError(
            f"not a build UUID: {value!r}",
            "a build UUID looks like 5b1d8f2e-7c3a-4e9b-a6d0-1f2e3d4c5b6a",
        )
    return value.lower()
