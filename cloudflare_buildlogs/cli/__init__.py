"""The command line: typer declarations, validation, and the edge where errors become exits.

Each command parses its options into a frozen object and hands it to `commands.run_*`; what
any layer raises is turned into one message and one exit status by `errors.translate`. One
module per command group (`logs`, `account`), the options they share in `options`, the
checks of what was typed in `checks`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import NoReturn

import typer
from typer._click import exceptions as click_exceptions

from ..env import Env
from ..errors import ExitCode

# Importing the groups registers their commands, in the order --help lists them.
from . import logs  # noqa: F401

# isort: split
from . import account, local  # noqa: F401
from .app import PROG, app
from .checks import parse_duration

__all__ = ["PROG", "app", "main", "parse_duration", "run"]


def run(argv: Sequence[str] | None, env: Env) -> int:
    """Parse and run; returns the exit status. Usage errors are one line and a hint."""
    command = typer.main.get_command(app)
    try:
        result = command.main(
            args=list(argv) if argv is not None else None,
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


def main() -> NoReturn:
    sys.exit(run(None, Env.from_process()))
