"""The commands that compare builds: `diff`, what is new against good builds, and `history`,
a Worker's last builds side by side."""

from typing import Annotated

import typer

from ..env import Env
from .app import app, run_command
from .checks import api_options, check_context, check_input, color_choice, summary_format
from .options import (
    AccountOpt,
    AllWorkersOpt,
    ApiUrlOpt,
    BranchOpt,
    ColorOpt,
    InputOpt,
    JsonOpt,
    NoCacheOpt,
    ProfileOpt,
    SummaryOutputOpt,
    VerboseOpt,
    WorkerOpt,
    WorkersArg,
)

DIFF_EXAMPLES = """\b
Examples:
  cf-buildlogs diff 7e4a9c1d-2b3f-4a5e-8c6d-9f0a1b2c3d4e      # against the last good build
  cf-buildlogs diff $BUILD --baseline 3 -C 2
  cf-buildlogs diff $BUILD $GOOD --both
  cf-buildlogs diff $BUILD -o json | jq -r '.new[] | "\\(.line) \\(.message)"'
  cf-buildlogs diff $BUILD -o markdown >> "$GITHUB_STEP_SUMMARY"
  cf-buildlogs diff pasted-from-an-issue.log $GOOD
"""


@app.command("diff", epilog=DIFF_EXAMPLES)
def diff_command(
    ctx: typer.Context,
    build: Annotated[
        str,
        typer.Argument(
            metavar="BUILD",
            help="The build whose log to look at: a UUID (or its start), a dashboard URL, or a "
            "saved or pasted log file.",
            show_default=False,
        ),
    ],
    base: Annotated[
        str | None,
        typer.Argument(
            metavar="[BASE]",
            help="The build to compare with (the same forms); default: the newest good build "
            "of the Worker before BUILD, of its branch when there is one.",
            show_default=False,
        ),
    ] = None,
    baseline: Annotated[
        int,
        typer.Option(
            "--baseline", metavar="N", help="Compare with the N newest good builds (1-10)."
        ),
    ] = 1,
    both: Annotated[
        bool, typer.Option("--both", help="Also print the lines of BASE that BUILD lacks (-).")
    ] = False,
    context: Annotated[
        int,
        typer.Option("--context", "-C", metavar="N", help="Lines of context around new lines."),
    ] = 0,
    output: SummaryOutputOpt = "text",
    json_: JsonOpt = False,
    exit_status: Annotated[
        bool, typer.Option("--exit-status", help="Exit 1 when any line is new.")
    ] = False,
    color: ColorOpt = "auto",
    input_: InputOpt = "auto",
    no_cache: NoCacheOpt = False,
    worker: WorkerOpt = None,
    profile: ProfileOpt = None,
    account_id: AccountOpt = None,
    api_url: ApiUrlOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Show what is new in a build's log against good builds: what changed since it worked.

    Lines are compared after the parts that differ between any two runs (times, durations,
    sizes, ids, numbers, temporary paths, URL queries) are made placeholders; a line is new
    when no good build has one like it in the same phase. First the tool versions that changed
    and the phases whose duration moved much, then the new lines with their numbers, by phase.
    """

    def work(env: Env) -> int:
        from ..commands.diff import DiffOptions, run_diff

        opts = DiffOptions(
            build=build,
            base=base,
            baseline=baseline,
            both=both,
            context=check_context(context),
            output=summary_format(output, json_),
            exit_status=exit_status,
            color=color_choice(color),
            as_text=check_input(input_),
            worker=worker,
            api=api_options(profile, account_id, api_url, verbose, no_cache),
        )
        return run_diff(opts, env)

    run_command(ctx, work)


HISTORY_EXAMPLES = """\b
Examples:
  cf-buildlogs history                          # the Worker of this folder's wrangler config
  cf-buildlogs history my-worker --branch main --limit 50
  cf-buildlogs history --all -o markdown >> "$GITHUB_STEP_SUMMARY"
  cf-buildlogs history -o json | jq '.flaky_commits'
"""


@app.command("history", epilog=HISTORY_EXAMPLES)
def history_command(
    ctx: typer.Context,
    workers: WorkersArg = None,
    all_workers: AllWorkersOpt = False,
    limit: Annotated[
        int, typer.Option("--limit", metavar="N", help="How many builds (1-200).")
    ] = 20,
    branch: BranchOpt = None,
    output: SummaryOutputOpt = "text",
    json_: JsonOpt = False,
    color: ColorOpt = "auto",
    profile: ProfileOpt = None,
    account_id: AccountOpt = None,
    api_url: ApiUrlOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Show a Worker's last builds: outcomes, queue times, durations and phases, with totals.

    Each build's phase durations come from its log (kept in the store once read, so a second
    run makes only the list requests). Totals: success rate, median and 90th-percentile
    duration, the slowest phase, and flaky commits (built both green and red). A table and a
    chart on a terminal, tab-separated rows when piped, -o json or markdown.
    """

    def work(env: Env) -> int:
        from ..commands.history import HistoryOptions, run_history
        from ..errors import UsageError

        if all_workers and workers:
            raise UsageError("--all cannot be combined with Worker names")
        opts = HistoryOptions(
            workers=tuple(workers or ()),
            all_workers=all_workers,
            limit=limit,
            branch=branch,
            output=summary_format(output, json_),
            color=color_choice(color),
            api=api_options(profile, account_id, api_url, verbose),
        )
        return run_history(opts, env)

    run_command(ctx, work)
