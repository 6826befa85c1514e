"""The commands that act on builds: `rerun`, `build` and `cancel`; and `triggers`, what makes a
Worker build."""

from typing import Annotated

import typer

from ..env import Env
from .app import app, run_command
from .checks import (
    SHA_RE,
    LogFlags,
    ViewFlags,
    api_options,
    check_build,
    color_choice,
    follow_options,
    output_format,
)
from .options import (
    AccountOpt,
    ApiUrlOpt,
    BuildArg,
    CiOpt,
    ColorOpt,
    ContextOpt,
    ErrorsOpt,
    ExitStatusOpt,
    FollowOpt,
    IntervalOpt,
    JsonOpt,
    LatestOutputOpt,
    NdjsonOpt,
    NoCacheOpt,
    NoTimestampsOpt,
    PhaseOpt,
    ProfileOpt,
    RedactOpt,
    RequireDeployOpt,
    SummaryOpt,
    TailOpt,
    TimeoutOpt,
    TimestampsOpt,
    VerboseOpt,
    WorkerArg,
    WorkerOpt,
    choices,
)

TRIGGERS_EXAMPLES = """\b
Examples:
  cf-buildlogs triggers                   # the Worker of this folder's wrangler config
  cf-buildlogs triggers my-worker -o json | jq -r '.[] | [.trigger_name, .branch_includes[]] | @tsv'
  cf-buildlogs triggers | cut -f1,3       # each trigger's name and the branches it builds
"""


@app.command("triggers", epilog=TRIGGERS_EXAMPLES)
def triggers_command(
    ctx: typer.Context,
    worker: WorkerArg = None,
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            metavar="text|json",
            help="Output format.",
            autocompletion=choices("text", "json"),
        ),
    ] = "text",
    json_: JsonOpt = False,
    color: ColorOpt = "auto",
    profile: ProfileOpt = None,
    account_id: AccountOpt = None,
    api_url: ApiUrlOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Show what makes a Worker build: its triggers' branches, paths and commands.

    Each trigger's name and UUID, the branches and paths it builds (`all but main`), its root
    folder, build and deploy commands, and build caching: a table on a terminal, tab-separated
    columns (with a header line) when piped, -o json with the API's field names. Build token
    ids and variable values are never shown.
    """

    def work(env: Env) -> int:
        from ..commands.options import TriggersOptions
        from ..commands.triggers import run_triggers
        from ..errors import UsageError

        fmt = output_format(output, json_, False)
        if fmt.value == "ndjson":
            raise UsageError("triggers takes -o text or json")
        opts = TriggersOptions(
            worker=worker,
            output=fmt,
            color=color_choice(color),
            api=api_options(profile, account_id, api_url, verbose),
        )
        return run_triggers(opts, env)

    run_command(ctx, work)


DryRunOpt = Annotated[
    bool,
    typer.Option(
        "--dry-run",
        help="Print each request that would write (method, path, body) on stderr, and make "
        "none; reads are still made.",
    ),
]
RERUN_EXAMPLES = """\b
Examples:
  cf-buildlogs rerun 5b1d8f2e-7c3a-4e9b-a6d0-1f2e3d4c5b6a
  cf-buildlogs rerun $BUILD --clear-cache --follow
  cf-buildlogs rerun https://dash.cloudflare.com/$ACCOUNT/workers/services/view/my-worker/production/builds/$BUILD
  cf-buildlogs rerun $BUILD --follow --ndjson | jq -c 'select(.type == "end")'
  cf-buildlogs rerun $BUILD --dry-run     # the request, on stderr; nothing is started
"""


@app.command("rerun", epilog=RERUN_EXAMPLES)
def rerun_command(
    ctx: typer.Context,
    build: BuildArg,
    clear_cache: Annotated[
        bool,
        typer.Option("--clear-cache", help="Purge the build cache of the trigger first."),
    ] = False,
    dry_run: DryRunOpt = False,
    follow: FollowOpt = False,
    summary: SummaryOpt = False,
    output: LatestOutputOpt = "text",
    json_: JsonOpt = False,
    ndjson: NdjsonOpt = False,
    timestamps: TimestampsOpt = "local",
    no_timestamps: NoTimestampsOpt = False,
    color: ColorOpt = "auto",
    tail: TailOpt = None,
    interval: IntervalOpt = 2.0,
    timeout: TimeoutOpt = None,
    exit_status: ExitStatusOpt = False,
    require_deploy: RequireDeployOpt = False,
    ci: CiOpt = None,
    errors: ErrorsOpt = False,
    context: ContextOpt = 3,
    phase: PhaseOpt = None,
    redact: RedactOpt = None,
    no_cache: NoCacheOpt = False,
    worker: WorkerOpt = None,
    profile: ProfileOpt = None,
    account_id: AccountOpt = None,
    api_url: ApiUrlOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Start a build again: a new build on its trigger, with its branch and commit.

    Needs a token with "Workers CI Write". Prints the new build's UUID on stdout and its
    dashboard URL on stderr; with --follow, its log as `get --follow` prints it instead, and
    the exit status tells its outcome. A request whose answer is lost is never sent again.
    """
    log = LogFlags(
        output=output, json_=json_, ndjson=ndjson, timestamps=timestamps,
        no_timestamps=no_timestamps, color=color, tail=tail, follow=follow, interval=interval,
        timeout=timeout, exit_status=exit_status, ci=ci, require_deploy=require_deploy,
    )  # fmt: skip
    view = ViewFlags(errors, context, phase, redact, summary)

    def work(env: Env) -> int:
        from ..commands.acting import run_rerun
        from ..commands.options import ActOptions, RerunOptions

        ref = check_build(build, account_id)
        api = api_options(profile, ref.account_id or account_id, api_url, verbose, no_cache)
        act = ActOptions(api, follow_options(log, view, env.environ), dry_run, worker)
        return run_rerun(RerunOptions(ref, clear_cache, act), env)

    run_command(ctx, work)


BUILD_EXAMPLES = """\b
Examples:
  cf-buildlogs build --branch main                       # the Worker of this folder
  cf-buildlogs build my-worker --branch feature/login --commit HEAD --follow
  cf-buildlogs build my-worker --branch main --trigger "Deploy default"
  cf-buildlogs build --branch main --dry-run             # which trigger, and the request
"""


@app.command("build", epilog=BUILD_EXAMPLES)
def build_command(
    ctx: typer.Context,
    worker: WorkerArg = None,
    branch: Annotated[
        str | None,
        typer.Option("--branch", metavar="NAME", help="The branch to build (required)."),
    ] = None,
    commit: Annotated[
        str | None,
        typer.Option(
            "--commit",
            metavar="SHA|HEAD",
            help="The commit to build (HEAD: the one checked out here); default: the head of "
            "the branch.",
        ),
    ] = None,
    trigger: Annotated[
        str | None,
        typer.Option(
            "--trigger",
            metavar="NAME",
            help="The trigger to start (its name or UUID), when several take the branch.",
        ),
    ] = None,
    dry_run: DryRunOpt = False,
    follow: FollowOpt = False,
    summary: SummaryOpt = False,
    output: LatestOutputOpt = "text",
    json_: JsonOpt = False,
    ndjson: NdjsonOpt = False,
    timestamps: TimestampsOpt = "local",
    no_timestamps: NoTimestampsOpt = False,
    color: ColorOpt = "auto",
    tail: TailOpt = None,
    interval: IntervalOpt = 2.0,
    timeout: TimeoutOpt = None,
    exit_status: ExitStatusOpt = False,
    require_deploy: RequireDeployOpt = False,
    ci: CiOpt = None,
    errors: ErrorsOpt = False,
    context: ContextOpt = 3,
    phase: PhaseOpt = None,
    redact: RedactOpt = None,
    no_cache: NoCacheOpt = False,
    profile: ProfileOpt = None,
    account_id: AccountOpt = None,
    api_url: ApiUrlOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Build a branch: a new build on the Worker's trigger whose branch rules take it.

    Needs a token with "Workers CI Write". Several triggers take the branch: pick one with
    --trigger. Prints the new build's UUID on stdout and its dashboard URL on stderr; with
    --follow, its log as `get --follow` prints it instead, and the exit status tells its outcome.
    """
    log = LogFlags(
        output=output, json_=json_, ndjson=ndjson, timestamps=timestamps,
        no_timestamps=no_timestamps, color=color, tail=tail, follow=follow, interval=interval,
        timeout=timeout, exit_status=exit_status, ci=ci, require_deploy=require_deploy,
    )  # fmt: skip
    view = ViewFlags(errors, context, phase, redact, summary)

    def work(env: Env) -> int:
        from ..commands.acting import run_build
        from ..commands.options import ActOptions, BuildOptions
        from ..errors import UsageError

        if not branch:
            raise UsageError("build needs --branch NAME", "e.g. `cf-buildlogs build --branch main`")
        sha = None if commit is None else commit.lower()
        if sha is not None and sha != "head" and not SHA_RE.fullmatch(sha):
            raise UsageError(
                f"--commit takes a commit of 4 to 40 hex digits, or HEAD; not {commit!r}"
            )
        api = api_options(profile, account_id, api_url, verbose, no_cache)
        act = ActOptions(api, follow_options(log, view, env.environ), dry_run)
        return run_build(BuildOptions(worker, branch, sha, trigger, act), env)

    run_command(ctx, work)


CANCEL_EXAMPLES = """\b
Examples:
  cf-buildlogs cancel 5b1d8f2e-7c3a-4e9b-a6d0-1f2e3d4c5b6a
  cf-buildlogs cancel "$(cf-buildlogs list my-worker -o json | jq -r '.[0].build_uuid')"
"""


@app.command("cancel", epilog=CANCEL_EXAMPLES)
def cancel_command(
    ctx: typer.Context,
    build: BuildArg,
    dry_run: DryRunOpt = False,
    worker: WorkerOpt = None,
    profile: ProfileOpt = None,
    account_id: AccountOpt = None,
    api_url: ApiUrlOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Cancel a queued or running build.

    Needs a token with "Workers CI Write". Prints the build's outcome on stdout (`cancelled`);
    a build that has already stopped is no error: a note says how it ended, exit 0.
    """

    def work(env: Env) -> int:
        from ..commands.acting import run_cancel
        from ..commands.options import ActOptions

        ref = check_build(build, account_id)
        api = api_options(profile, ref.account_id or account_id, api_url, verbose)
        return run_cancel(ref, ActOptions(api, None, dry_run, worker), env)

    run_command(ctx, work)
