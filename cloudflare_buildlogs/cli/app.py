"""The typer app, and the edge where a command's errors become its message and exit status."""

import os
import sys
from collections.abc import Callable
from typing import Annotated

import typer

from .. import version_line
from ..env import Env
from ..errors import ExitCode, translate

PROG = "cf-buildlogs"

ROOT_EXAMPLES = """\b
Examples:
  cf-buildlogs demo                                    # try it, no account needed
  cf-buildlogs auth login                              # once: save a token
  cf-buildlogs get 5b1d8f2e-7c3a-4e9b-a6d0-1f2e3d4c5b6a
  git push && cf-buildlogs latest --commit HEAD --wait --follow
  cf-buildlogs list -o json | jq -r '.[0].build_uuid'
  cf-buildlogs rerun 5b1d8f2e --follow                 # start it again, and watch it

Exit status: 0 done (with --follow/--exit-status: the build succeeded), 1 the build failed,
2 usage, 3 credentials or permission, 4 not found, 5 API or network, 6 --timeout,
7 --require-deploy and nothing was deployed, 130 Ctrl-C.
"""

app = typer.Typer(
    name=PROG,
    help="Read the build logs of Cloudflare Workers Builds.",
    epilog=ROOT_EXAMPLES,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rich-formatted help costs ~100 ms of start-up
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


# -- running a command -------------------------------------------------------------------


def _env(ctx: typer.Context) -> Env:
    env = ctx.obj
    assert isinstance(env, Env)
    return env


def run_command(ctx: typer.Context, work: Callable[[Env], int]) -> None:
    """Run a command's work; every error becomes its message and exit status here."""
    env = _env(ctx)
    try:
        code = work(env)
    except BrokenPipeError:
        _silence_stdout()
        code = ExitCode.OK
    except (Exception, KeyboardInterrupt) as exc:
        code = report(env, exc)
    raise typer.Exit(int(code))


def report(env: Env, exc: BaseException) -> int:
    outcome = translate(exc)
    try:
        env.stdout.flush()
    except (BrokenPipeError, ValueError):
        _silence_stdout()
    for line in outcome.message.splitlines() or [""]:  # each line a message holds, prefixed
        env.error_line(f"{PROG}: {line}")
    if outcome.hint:
        env.error_line(f"hint: {outcome.hint}")
    return int(outcome.code)


def _silence_stdout() -> None:
    """After the reader of stdout went away (`| head`): stop quietly, no second EPIPE at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    finally:
        os.close(devnull)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(version_line() + "\n")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Read the build logs of Cloudflare Workers Builds."""
