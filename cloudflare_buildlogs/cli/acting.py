"""The commands about what makes a Worker build and, later, acting on builds: `triggers`."""

from typing import Annotated

import typer

from ..env import Env
from .app import app, run_command
from .checks import api_options, color_choice, output_format
from .options import (
    AccountOpt,
    ApiUrlOpt,
    ColorOpt,
    JsonOpt,
    ProfileOpt,
    VerboseOpt,
    WorkerArg,
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
