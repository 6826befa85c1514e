"""The commands that need no network: view (a saved log) and cache (the local store)."""

from typing import Annotated

import typer

from ..env import Env
from .app import app, run_command
from .checks import LogFlags, ViewFlags, api_options, check_input, log_options
from .options import (
    CiOpt,
    ColorOpt,
    ContextOpt,
    ErrorsOpt,
    InputOpt,
    JsonOpt,
    LatestOutputOpt,
    NdjsonOpt,
    NoTimestampsOpt,
    PhaseOpt,
    ProfileOpt,
    RedactOpt,
    SummaryOpt,
    TailOpt,
    TimestampsOpt,
)

VIEW_EXAMPLES = """\b
Examples:
  cf-buildlogs get $BUILD --ndjson > build.ndjson     # e.g. in CI, kept as an artifact
  cf-buildlogs view build.ndjson
  cf-buildlogs view build.ndjson --errors -C 5
  cf-buildlogs view build.ndjson --summary -o markdown
  curl -s -H "Authorization: Bearer $TOKEN" "$API/logs" | cf-buildlogs view -
"""


@app.command("view", epilog=VIEW_EXAMPLES)
def view_command(
    ctx: typer.Context,
    source: Annotated[
        str,
        typer.Argument(
            metavar="FILE|-",
            help="A log saved by --ndjson or --json, a logs response of the API, or a log copied "
            "from the dashboard; - reads stdin.",
        ),
    ],
    summary: SummaryOpt = False,
    output: LatestOutputOpt = "text",
    json_: JsonOpt = False,
    ndjson: NdjsonOpt = False,
    timestamps: TimestampsOpt = "local",
    no_timestamps: NoTimestampsOpt = False,
    color: ColorOpt = "auto",
    tail: TailOpt = None,
    errors: ErrorsOpt = False,
    context: ContextOpt = 3,
    phase: PhaseOpt = None,
    redact: RedactOpt = None,
    ci: CiOpt = None,
    input_: InputOpt = "auto",
) -> None:
    """Print a saved log: this tool's JSON output, the API's, or the dashboard's.

    Takes every rendering option of `get`; needs no network and no credentials.
    `get --ndjson > f; view f` prints what `get` prints (elapsed time counts from the file's
    first line). A log copied from the dashboard (`TIME<TAB>message`, or `HH:MM:SS.mmm |
    message` rows of its table) is read too, and --input text reads any text file. Input that
    is none of these is exit 2, naming the line.
    """
    log = LogFlags(
        output=output, json_=json_, ndjson=ndjson, timestamps=timestamps,
        no_timestamps=no_timestamps, color=color, tail=tail, ci=ci,
    )  # fmt: skip

    def work(env: Env) -> int:
        from ..commands.options import ViewOptions
        from ..commands.view import run_view

        opts = log_options(
            log, ViewFlags(errors, context, phase, redact, summary), environ=env.environ
        )
        return run_view(ViewOptions(source, opts, check_input(input_)), env)

    run_command(ctx, work)


cache_app = typer.Typer(
    help="The local store of the logs of finished builds.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(cache_app, name="cache")


@cache_app.command(
    "path", epilog="\b\nExamples:\n  cf-buildlogs cache path\n  du -sh $(cf-buildlogs cache path)"
)
def cache_path_command(ctx: typer.Context, profile: ProfileOpt = None) -> None:
    """Print the folder where finished builds' logs are kept."""

    def work(env: Env) -> int:
        from ..commands.cache import run_cache_path

        return run_cache_path(env, api_options(profile, None, None, False))

    run_command(ctx, work)


@cache_app.command(
    "list",
    epilog="\b\nExamples:\n  cf-buildlogs cache list\n  cf-buildlogs cache list -o json | "
    "jq -r '.[].build_uuid'",
)
def cache_list_command(
    ctx: typer.Context,
    output: Annotated[
        str, typer.Option("--output", "-o", metavar="text|json", help="Output format.")
    ] = "text",
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """List the kept builds, newest first: uuid, Worker tag, lines, size, when kept."""

    def work(env: Env) -> int:
        from ..commands.cache import run_cache_list
        from ..errors import UsageError

        if output not in ("text", "json"):
            raise UsageError(f"--output must be one of text, json, not {output!r}")
        return run_cache_list(
            env, api_options(profile, None, None, False), json_ or output == "json"
        )

    run_command(ctx, work)


@cache_app.command(
    "clear",
    epilog="\b\nExamples:\n  cf-buildlogs cache clear                  # everything\n"
    "  cf-buildlogs cache clear 5b1d8f2e-7c3a-4e9b-a6d0-1f2e3d4c5b6a",
)
def cache_clear_command(
    ctx: typer.Context,
    builds: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[BUILD]...", help="Build UUIDs or dashboard URLs; none: every kept build."
        ),
    ] = None,
    profile: ProfileOpt = None,
) -> None:
    """Remove kept builds (one not kept is no error), or all of them."""

    def work(env: Env) -> int:
        from ..commands.cache import run_cache_clear

        return run_cache_clear(env, api_options(profile, None, None, False), builds or [])

    run_command(ctx, work)
