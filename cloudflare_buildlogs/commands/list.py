"""`list`: a Worker's recent builds, newest first, as a table, TSV or JSON."""

from __future__ import annotations

import json
from typing import Any

from ..env import Env
from ..errors import ExitCode, NotFoundError
from ..models import Build
from ..output.formats import OutputFormat
from ..settings.session import open_session
from .options import ListOptions
from .workers import Worker, resolve_worker


def run_list(opts: ListOptions, env: Env) -> ExitCode:
    """A Worker's recent builds, newest first."""
    with open_session(opts.api, env) as session:
        worker = resolve_worker(session, opts.worker, env)
        per_page = 200 if opts.branch else min(max(opts.limit, 1), 200)
        builds: list[Build] = []
        seen = False
        for build in session.client.worker_builds(
            session.account_id, worker.tag, per_page=per_page, max_pages=100
        ):
            seen = True
            if opts.branch is None or build.branch == opts.branch:
                builds.append(build)
                if len(builds) >= opts.limit:  # before the generator asks for another page
                    break
    _write_builds(env, builds, worker, opts)
    if not seen:  # as `latest` says: the Worker may not exist, or has never built
        raise NotFoundError(
            f"no builds of Worker {worker.label}",
            "check the name or tag, and that the Worker is connected to Workers Builds",
        )
    if not builds:
        env.error_line(f"note: no build of {worker.label} on branch {opts.branch}")
    return ExitCode.OK


def _write_builds(env: Env, builds: list[Build], worker: Worker, opts: ListOptions) -> None:
    if opts.output is OutputFormat.JSON:
        records = [build_record(b, worker.name) for b in builds]
        env.stdout.write(json.dumps(records, indent=2) + "\n")
    elif opts.output is OutputFormat.NDJSON:
        env.stdout.write("".join(json.dumps(build_record(b, worker.name)) + "\n" for b in builds))
    elif env.stdout_tty or env.color(opts.color):  # --color always: the table, in a pipe too
        from ..output.table import builds_table

        builds_table(env, builds, color=env.color(opts.color))
    else:
        from ..output.table import builds_tsv

        env.stdout.write(builds_tsv(builds))
    env.stdout.flush()


def build_record(build: Build, worker: str | None = None) -> dict[str, Any]:
    """A build as `list -o json|ndjson` shows it; the field names are a stable interface."""
    return {
        "build_uuid": build.build_uuid,
        "status": build.status.value,
        "outcome": build.outcome,
        "worker": worker,
        "worker_tag": build.worker_tag,
        "branch": build.branch,
        "commit_hash": build.commit_hash,
        "commit_message": build.commit_message,
        "trigger_source": build.trigger_source,
        "created_on": build.created_on,
        "started_on": build.running_on,
        "stopped_on": build.stopped_on,
        "duration_seconds": build.duration,
    }
