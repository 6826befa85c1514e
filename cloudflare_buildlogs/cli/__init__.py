"""The command line: typer declarations, validation, and the edge where errors become exits.

Each command parses its options into a frozen object and hands it to `commands.run_*`; what
any layer raises is turned into one message and one exit status by `errors.translate`. One
module per command group (`logs`, `account`), the options they share in `options`, the
checks of what was typed in `checks`.

The modules that declare commands (`app`, `logs`, `account`, `local`) have no `from __future__
import annotations`: typer reads the signatures of the command that runs on every run, and
string annotations make it compile and eval each one (~2 ms of a one-page `get`).
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Sequence

import typer
from typer._click import exceptions as click_exceptions

from ..env import Env
from ..errors import ExitCode

# Importing the groups registers their commands, in the order --help lists them.
from . import logs  # noqa: F401

# isort: split
from . import account, local  # noqa: F401

# isort: split
from . import acting, compare  # noqa: F401
from .app import PROG, app
from .checks import parse_duration

__all__ = ["PROG", "app", "parse_duration", "run"]


def _app_for(argv: Sequence[str], env: Env) -> typer.Typer:
    """The app with only the command that runs: typer turns every command it has into a click
    command on every run (~10 ms for all of ours), and a run needs one. The whole app for
    help, completion, or a name that is no command (so the error can list them)."""
    name = next((a for a in argv if not a.startswith("-")), None)
    if name is None or any(k.startswith("_CF_BUILDLOGS_COMPLETE") for k in env.environ):
        return app
    commands = [c for c in app.registered_commands if c.name == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if not commands and not groups:
        return app
    trimmed = copy.copy(app)
    trimmed.registered_commands, trimmed.registered_groups = commands, groups
    return trimmed


def run(argv: Sequence[str] | None, env: Env) -> int:
    """Parse and run; returns the exit status. Usage errors are one line and a hint."""
    args = list(sys.argv[1:] if argv is None else argv)
    command = typer.main.get_command(_app_for(args, env))
    try:
        result = command.main(
            args=args,
            prog_name=PROG,
            standalone_mode=False,
            obj=env,
        )
    except click_exceptions.NoArgsIsHelpError as exc:
        env.stdout.write(exc.format_message() + "\n")  # like gh: help, and success
        return int(ExitCode.OK)
    except click_exceptions.UsageError as exc:
        env.error_line(f"{PROG}: {exc.format_message()}")
        sub = exc.ctx.command_path if exc.ctx is not None else PROG
        env.error_line(f"hint: see `{sub} --help`")
        return int(ExitCode.USAGE)
    except click_exceptions.ClickException as exc:
        env.error_line(f"{PROG}: {exc.format_message()}")
        return int(ExitCode.USAGE)
    except typer.Abort:
        env.error_line(f"{PROG}: interrupted")
        return int(ExitCode.INTERRUPTED)
    return int(result or 0)
