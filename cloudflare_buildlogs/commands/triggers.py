"""`triggers`: what makes a Worker build (README, "triggers"): each trigger's branch and path
rules, root folder, commands and caching; a table, TSV or JSON. No build token id or variable
value is read, so none can be printed."""

from __future__ import annotations

import json
from typing import Any

from ..env import Env
from ..errors import ExitCode
from ..models import Trigger
from ..output.formats import OutputFormat
from ..settings.session import open_session
from .options import TriggersOptions
from .workers import resolve_worker


def run_triggers(opts: TriggersOptions, env: Env) -> ExitCode:
    with open_session(opts.api, env) as session:
        worker = resolve_worker(session, opts.worker, env)
        triggers = session.client.worker_triggers(session.account_id, worker.tag)
    if opts.output is OutputFormat.JSON:
        env.stdout.write(json.dumps([trigger_record(t) for t in triggers], indent=2) + "\n")
    elif env.stdout_tty or env.color(opts.color):  # --color always: the table, in a pipe too
        from ..output.table import triggers_table

        triggers_table(env, triggers, color=env.color(opts.color))
    else:
        from ..output.table import triggers_tsv

        env.stdout.write(triggers_tsv(triggers))
    env.stdout.flush()
    if not triggers:
        env.error_line(
            f"note: {worker.label} has no build trigger: it is not connected to Workers Builds"
        )
    return ExitCode.OK


def trigger_record(trigger: Trigger) -> dict[str, Any]:
    """A trigger as `triggers -o json` shows it: the API's own field names."""
    record: dict[str, Any] = trigger._asdict()
    for name in ("branch_includes", "branch_excludes", "path_includes", "path_excludes"):
        record[name] = list(record[name])
    return record
