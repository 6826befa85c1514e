"""The commands that read builds: get, latest, list, and the demo."""

from typing import Annotated

import typer

from ..env import Env
from ..errors import UsageError
from .app import app, run_command
from .checks import (
    SHA_RE,
    LogFlags,
    ViewFlags,
    api_options,
    check_build,
    check_context,
    ci_mode,
    color_choice,
    log_options,
    output_format,
    summary_format,
)
from .options import (
    AccountOpt,
    AllWorkersOpt,
    ApiUrlOpt,
    BranchOpt,
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
    OutputOpt,
    PhaseOpt,
    ProfileOpt,
    RedactOpt,
    RequireDeployOpt,
    SummaryOpt,
    SummaryOutputOpt,
    TailOpt,
    TimeoutOpt,
    TimestampsOpt,
    VerboseOpt,
    WorkerArg,
    WorkerOpt,
    WorkersArg,
)

GET_EXAMPLES = """\b
Examples:
  cf-buildlogs get 5b1d8f2e-7c3a-4e9b-a6d0-1f2e3d4c5b6a
  cf-buildlogs get $BUILD --follow
  cf-buildlogs get $BUILD --timestamps elapsed --tail 50
  cf-buildlogs get $BUILD --json | jq -r '.lines[].message'
  cf-buildlogs get $BUILD --ndjson | jq -r 'select(.message | test("error"; "i")) | .message'
  cf-buildlogs get $BUILD --exit-status --no-timestamps --color never > build.log
  cf-buildlogs get https://dash.cloudflare.com/$ACCOUNT/workers/services/view/my-worker/production/builds/$BUILD
  cf-buildlogs get $BUILD --errors -C 5
  cf-buildlogs get $BUILD --phase install,build --redact
  cf-buildlogs get $BUILD --exit-status --require-deploy    # exit 7 when nothing was deployed
"""


@app.command("get", epilog=GET_EXAMPLES)
def get_command(
    ctx: typer.Context,
    build: BuildArg,
    follow: FollowOpt = False,
    output: OutputOpt = "text",
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
    """Print the log of one build.

    Lines are printed as TIMESTAMP, two spaces, MESSAGE; stdout carries the log and nothing
    else. With --follow, waits for a running build and exits 0 when it succeeded (or was
    skipped), 1 when it failed, was cancelled or terminated; --timeout defaults to 45m.
    """
    log = LogFlags(
        output=output, json_=json_, ndjson=ndjson, timestamps=timestamps,
        no_timestamps=no_timestamps, color=color, tail=tail, follow=follow, interval=interval,
        timeout=timeout, exit_status=exit_status, ci=ci, require_deploy=require_deploy,
    )  # fmt: skip

    def work(env: Env) -> int:
        from ..commands.get import run_get
        from ..commands.options import GetOptions

        ref = check_build(build, account_id)
        opts = GetOptions(
            build=ref,
            api=api_options(profile, ref.account_id or account_id, api_url, verbose, no_cache),
            log=log_options(log, ViewFlags(errors, context, phase, redact), environ=env.environ),
            worker=worker,
        )
        return run_get(opts, env)

    run_command(ctx, work)


LATEST_EXAMPLES = """\b
Examples:
  cf-buildlogs latest                        # the Worker of this folder's wrangler config
  cf-buildlogs latest my-worker --branch main
  git push && cf-buildlogs latest --commit HEAD --wait --follow
  cf-buildlogs latest --follow --ndjson | jq -c 'select(.type == "end")'
  cf-buildlogs latest --summary -o markdown >> "$GITHUB_STEP_SUMMARY"
  git push && cf-buildlogs latest --all --commit HEAD --wait --follow   # every Worker of a repo
  cf-buildlogs latest api web --ndjson | jq -c 'select(.type == "end")'
  cf-buildlogs latest --commit "$GITHUB_SHA" --wait --follow   # a GitHub job: groups, annotations
"""


@app.command("latest", epilog=LATEST_EXAMPLES)
def latest_command(
    ctx: typer.Context,
    workers: WorkersArg = None,
    all_workers: AllWorkersOpt = False,
    branch: BranchOpt = None,
    commit: Annotated[
        str | None,
        typer.Option(
            "--commit", metavar="SHA", help="Only builds of this commit (a prefix, or HEAD)."
        ),
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait (within --timeout) until such a build exists.")
    ] = False,
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
    """Print the log of a Worker's most recent build, or several Workers' at once.

    Takes every output, filter and follow option of `get`. --branch and --commit pick the
    newest build that matches; --wait waits for it to appear; --summary prints what happened
    instead of the log. With several Workers (named, or --all) each line starts with its
    Worker's name (ndjson: `worker`, `build_uuid`), stderr ends with a line a Worker, and the
    exit status is 1 when any build failed, else 6 when --timeout ran out, else 0.
    """
    log = LogFlags(
        output=output, json_=json_, ndjson=ndjson, timestamps=timestamps,
        no_timestamps=no_timestamps, color=color, tail=tail, follow=follow, interval=interval,
        timeout=timeout, exit_status=exit_status, ci=ci, require_deploy=require_deploy,
    )  # fmt: skip

    def work(env: Env) -> int:
        from ..commands.latest import run_latest_any
        from ..commands.options import LatestOptions

        if commit is not None and commit.upper() != "HEAD" and not SHA_RE.fullmatch(commit):
            raise UsageError(
                f"--commit takes a commit prefix of 4 to 40 hex digits, or HEAD; not {commit!r}"
            )
        if all_workers and workers:
            raise UsageError("--all cannot be combined with Worker names")
        opts = LatestOptions(
            workers=tuple(workers or ()),
            all_workers=all_workers,
            branch=branch,
            commit=commit.lower() if commit else None,
            wait=wait,
            api=api_options(profile, account_id, api_url, verbose, no_cache),
            log=log_options(
                log,
                ViewFlags(errors, context, phase, redact, summary),
                waits=wait,
                environ=env.environ,
            ),
        )
        return run_latest_any(opts, env)

    run_command(ctx, work)


LIST_EXAMPLES = """\b
Examples:
  cf-buildlogs list
  cf-buildlogs list my-worker --branch main --limit 5
  cf-buildlogs list -o json | jq -r '.[] | select(.outcome == "fail") | .build_uuid'
  cf-buildlogs list | cut -f1,2         # tab-separated when piped
"""


@app.command("list", epilog=LIST_EXAMPLES)
def list_command(
    ctx: typer.Context,
    worker: WorkerArg = None,
    limit: Annotated[
        int, typer.Option("--limit", metavar="N", help="How many builds at most.")
    ] = 20,
    branch: BranchOpt = None,
    output: OutputOpt = "text",
    json_: JsonOpt = False,
    ndjson: NdjsonOpt = False,
    color: ColorOpt = "auto",
    profile: ProfileOpt = None,
    account_id: AccountOpt = None,
    api_url: ApiUrlOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """List a Worker's recent builds, newest first.

    A table on a terminal, tab-separated columns (with a header line) when piped.
    """

    def work(env: Env) -> int:
        from ..commands.list import run_list
        from ..commands.options import ListOptions

        if limit < 1:
            raise UsageError(f"--limit must be 1 or more, not {limit}")
        opts = ListOptions(
            worker=worker,
            branch=branch,
            limit=limit,
            output=output_format(output, json_, ndjson),
            color=color_choice(color),
            api=api_options(profile, account_id, api_url, verbose),
        )
        return run_list(opts, env)

    run_command(ctx, work)


SUMMARY_EXAMPLES = """\b
Examples:
  cf-buildlogs summary 5b1d8f2e-7c3a-4e9b-a6d0-1f2e3d4c5b6a
  cf-buildlogs summary https://dash.cloudflare.com/$ACCOUNT/workers/services/view/my-worker/production/builds/$BUILD
  cf-buildlogs summary $BUILD -o json | jq -r '.errors[].message'
  cf-buildlogs summary $BUILD -o markdown >> "$GITHUB_STEP_SUMMARY"
  cf-buildlogs summary $BUILD --compare     # and what is new since the last good build
"""


@app.command("summary", epilog=SUMMARY_EXAMPLES)
def summary_command(
    ctx: typer.Context,
    build: BuildArg,
    output: SummaryOutputOpt = "text",
    json_: JsonOpt = False,
    context: ContextOpt = 3,
    redact: RedactOpt = None,
    exit_status: ExitStatusOpt = False,
    require_deploy: RequireDeployOpt = False,
    ci: CiOpt = None,
    compare: Annotated[
        bool,
        typer.Option(
            "--compare",
            help="Add what is new since the last good build: changed tool versions and up to "
            "20 new lines (as `diff` finds them).",
        ),
    ] = False,
    color: ColorOpt = "auto",
    no_cache: NoCacheOpt = False,
    worker: WorkerOpt = None,
    profile: ProfileOpt = None,
    account_id: AccountOpt = None,
    api_url: ApiUrlOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Print what happened to a build: outcome, phases, errors.

    The phases with their durations, the failure's error lines with context, and hints.
    A rich layout on a terminal, the same facts as plain text in a pipe; -o json is the
    stable interface for scripts, -o markdown is for pull requests and $GITHUB_STEP_SUMMARY
    (redacted unless --no-redact). Exits 0 whatever the outcome, unless --exit-status.
    """

    def work(env: Env) -> int:
        from ..commands.get import run_get
        from ..commands.options import GetOptions, LogOptions

        ref = check_build(build, account_id)
        fmt = summary_format(output, json_)
        log = LogOptions(
            color=color_choice(color),
            exit_status=exit_status or require_deploy,
            context=check_context(context),
            redact=fmt.value == "markdown" if redact is None else redact,
            summary=fmt,
            ci=ci_mode(ci, env.environ),
            require_deploy=require_deploy,
            compare=compare,
        )
        api = api_options(profile, ref.account_id or account_id, api_url, verbose, no_cache)
        return run_get(GetOptions(ref, api, log, worker), env)

    run_command(ctx, work)


DEMO_EXAMPLES = """\b
Examples:
  cf-buildlogs demo
  cf-buildlogs demo --follow
  cf-buildlogs demo --failed --summary
  cf-buildlogs demo --failed --summary -o markdown
"""


@app.command("demo", epilog=DEMO_EXAMPLES)
def demo_command(
    ctx: typer.Context,
    follow: Annotated[
        bool,
        typer.Option("--follow", "-f", help="Play the build live, from the queue to its end."),
    ] = False,
    failed: Annotated[
        bool, typer.Option("--failed", help="Play a build whose deploy step fails.")
    ] = False,
    summary: SummaryOpt = False,
    output: LatestOutputOpt = "text",
    json_: JsonOpt = False,
    ndjson: NdjsonOpt = False,
) -> None:
    """Try it on a built-in fake Cloudflare API: no account needed.

    Runs the real `get` (or `summary`) against it, as you would against your own builds:
    -o json and --ndjson show the JSON forms scripts read.
    """

    def work(env: Env) -> int:
        from ..commands.demo import run_demo
        from ..commands.options import LogOptions
        from ..output.formats import OutputFormat

        if summary and (follow or ndjson):
            raise UsageError(
                f"--summary cannot be combined with {'--follow' if follow else '--ndjson'}"
            )
        if summary:
            fmt, log_format = summary_format(output, json_), OutputFormat.TEXT
        else:
            fmt, log_format = None, output_format(output, json_, ndjson)
        log = LogOptions(output=log_format, follow=follow, interval=0.5, summary=fmt)
        return run_demo(
            env,
            log._replace(redact=fmt is not None and fmt.value == "markdown"),
            failed,
        )

    run_command(ctx, work)
