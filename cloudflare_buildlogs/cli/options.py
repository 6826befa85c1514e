"""The options the commands share, declared once, and the completion of their values.
The checks of what was typed are in `checks.py`."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from ..errors import UsageError

# -- shell completion of values ------------------------------------------------------------


def complete_worker(incomplete: str) -> list[str]:
    """Worker names from the nearest wrangler config: its own and its environments'."""
    from ..settings.wrangler import find_config

    try:
        found = find_config(Path.cwd())
    except OSError:
        return []
    names = [found.name, *found.env_names] if found and found.name else []
    return [name for name in names if name.startswith(incomplete)]


def complete_profile(incomplete: str) -> list[str]:
    """Profile names from the config file."""
    from ..settings import config

    try:
        data = config.load_config(config.config_dir(os.environ) / config.CONFIG_FILE_NAME).data
    except UsageError:
        return []
    return [name for name in data.get("profiles", {}) if name.startswith(incomplete)]


def choices(*values: str) -> Callable[[str], list[str]]:
    """The completion of an option that takes one of a fixed set of values."""
    return lambda incomplete: [value for value in values if value.startswith(incomplete)]


def complete_phase(incomplete: str) -> list[str]:
    from ..analysis.phases import PHASES

    done, _, last = incomplete.rpartition(",")
    prefix = f"{done}," if done else ""
    return [prefix + name for name in PHASES if name.startswith(last)]


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
    str,
    typer.Option(
        "--output",
        "-o",
        metavar="text|json|ndjson",
        help="Output format.",
        autocompletion=choices("text", "json", "ndjson"),
    ),
]
LatestOutputOpt = Annotated[
    str,
    typer.Option(
        "--output",
        "-o",
        metavar="text|json|ndjson|markdown",
        help="Output format; with --summary: text, json or markdown.",
        autocompletion=choices("text", "json", "ndjson", "markdown"),
    ),
]
SummaryOutputOpt = Annotated[
    str,
    typer.Option(
        "--output",
        "-o",
        metavar="text|json|markdown",
        help="Output format.",
        autocompletion=choices("text", "json", "markdown"),
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Shorthand for --output json.")]
NdjsonOpt = Annotated[bool, typer.Option("--ndjson", help="Shorthand for --output ndjson.")]
TimestampsOpt = Annotated[
    str,
    typer.Option(
        "--timestamps",
        metavar="local|utc|elapsed|epoch|none",
        help="How to show the time of each line.",
        autocompletion=choices("local", "utc", "elapsed", "epoch", "none"),
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
        autocompletion=choices("auto", "always", "never"),
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
        help="Exit 1 when the build stopped as failed, cancelled or terminated (0 when it "
        "succeeded or was skipped), as --follow does.",
    ),
]
ErrorsOpt = Annotated[
    bool,
    typer.Option(
        "--errors",
        help="Only error lines, each with --context lines around it, groups separated by "
        "`--` (as grep -C).",
    ),
]
ContextOpt = Annotated[
    int,
    typer.Option("--context", "-C", metavar="N", help="Lines of context around each error line."),
]
PhaseOpt = Annotated[
    str | None,
    typer.Option(
        "--phase",
        metavar="NAME[,NAME]",
        help="Only the lines of these phases: initialize, clone, configure, install, build, "
        "deploy.",
        autocompletion=complete_phase,
    ),
]
RedactOpt = Annotated[
    bool | None,
    typer.Option(
        "--redact/--no-redact",
        help="Mask secrets (tokens, passwords, keys) in messages; default: on for -o markdown "
        "only.",
        show_default=False,
    ),
]
SummaryOpt = Annotated[
    bool,
    typer.Option(
        "--summary",
        help="Print what happened (outcome, phases, errors, hints) instead of the log; -o "
        "text|json|markdown.",
    ),
]
BuildArg = Annotated[
    str,
    typer.Argument(
        metavar="BUILD",
        help="The build UUID, or the dashboard URL of the build (its account id is then used).",
        show_default=False,
    ),
]
NoCacheOpt = Annotated[
    bool,
    typer.Option(
        "--no-cache",
        help="Neither read nor keep the log of this build in the local store [env: "
        "CF_BUILDLOGS_NO_CACHE].",
    ),
]
CiOpt = Annotated[
    str | None,
    typer.Option(
        "--ci",
        metavar="github|gitlab|none",
        help="CI mode for the text output: GitHub groups, annotations and step files, or GitLab "
        "sections [default: from GITHUB_ACTIONS or GITLAB_CI].",
        autocompletion=choices("github", "gitlab", "none"),
        show_default=False,
    ),
]
RequireDeployOpt = Annotated[
    bool,
    typer.Option(
        "--require-deploy",
        help="Exit 7 when the build succeeded but deployed nothing (no version id in its "
        "log); implies --exit-status.",
    ),
]
InputOpt = Annotated[
    str,
    typer.Option(
        "--input",
        metavar="auto|text",
        help="auto: JSON saved by this tool or the API, or a log copied from the dashboard; "
        "text: any text file, a message a line.",
        autocompletion=choices("auto", "text"),
    ),
]
BranchOpt = Annotated[
    str | None, typer.Option("--branch", metavar="NAME", help="Only builds of this branch.")
]


WorkerOpt = Annotated[
    str | None,
    typer.Option(
        "--worker",
        "-w",
        metavar="WORKER",
        help="For a build named by the start of its UUID: the Worker whose recent builds to "
        "look in (default: the Worker of the wrangler config here); kept builds too.",
        autocompletion=complete_worker,
    ),
]
WorkerArg = Annotated[
    str | None,
    typer.Argument(
        metavar="[WORKER]",
        autocompletion=complete_worker,
        help="The name or 32-hex tag of the Worker; default: the `name` in the nearest "
        "wrangler.toml/json/jsonc.",
        show_default=False,
    ),
]
AllWorkersOpt = Annotated[
    bool,
    typer.Option(
        "--all",
        help="Every Worker named by a wrangler config under the repository root "
        "(node_modules and hidden folders skipped).",
    ),
]
WorkersArg = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="[WORKER]...",
        autocompletion=complete_worker,
        help="Names or 32-hex tags of Workers; default: the `name` in the nearest "
        "wrangler.toml/json/jsonc.",
        show_default=False,
    ),
]
