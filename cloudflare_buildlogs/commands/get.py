"""`get`: one build's log, or its summary."""

from __future__ import annotations

from ..env import Env
from ..errors import ExitCode
from ..settings.session import open_session
from .log import print_log
from .options import GetOptions, Target


def run_get(opts: GetOptions, env: Env) -> ExitCode:
    """Print one build's log, or its summary (`summary`, `get --summary`: `opts.log.summary`)."""
    with open_session(opts.api, env) as session:
        return print_log(session, env, Target.of(opts.build), opts.log)
