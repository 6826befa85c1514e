"""`summary`, `get --summary`, `latest --summary`: the whole log read, its summary printed."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ..analysis.pipeline import Collector, Discard, Pipeline
from ..env import Env
from ..errors import ExitCode
from ..models import Build
from ..output.formats import SummaryFormat, assert_never
from ..output.stderr import Spinner, waiting_text, write_summary
from ..settings.buildref import dashboard_url
from ..settings.session import Session
from .options import LogOptions, Target
from .reading import exit_for, make_poller, read_whole

if TYPE_CHECKING:
    from ..store.entries import Entry


def print_summary(
    session: Session,
    env: Env,
    target: Target,
    build: Build,
    opts: LogOptions,
    kept: Entry | None = None,
) -> ExitCode:
    """Read the whole log (the build's state was read first) and print its summary; the log
    comes from the store when kept, and is kept when the build has stopped."""
    pipeline = summary_pipeline(opts)
    read_whole(session, target.build_uuid, build, kept, pipeline)
    summarize(
        env,
        pipeline,
        target.build_uuid,
        build,
        opts,
        account_id=session.account_id,
        worker=target.label,
        environment=target.environment,
    )
    if (opts.exit_status or opts.follow) and build.stopped:
        code = exit_for(build)
        if code is not ExitCode.OK:  # every exit but 0 says why on stderr: the outcome
            color = env.color(opts.color, stderr=True)
            write_summary(env, build, pipeline.tracker.count, target.label, color)
        return code
    return ExitCode.OK


def wait_stopped(session: Session, env: Env, opts: LogOptions, builds: list[Build]) -> list[Build]:
    """The builds once every one has stopped, polled for their state only (a summary reads
    the whole log once, at the end), on one budget; WaitTimeout at --timeout."""
    poller = make_poller(
        session, env, opts, lambda: f"{sum(not b.stopped for b in builds)} still running"
    )
    spinner = Spinner(env)
    try:
        while True:
            builds = [b if b.stopped else _state(session, b) for b in builds]
            if all(b.stopped for b in builds):
                return builds
            spinner.show(waiting_text(next(b for b in builds if not b.stopped)))
            poller.wait(active=False)
    finally:
        spinner.stop()


def _state(session: Session, build: Build) -> Build:
    return session.client.get_build(session.account_id, build.build_uuid)


def summary_pipeline(opts: LogOptions) -> Pipeline:
    """What a summary reads a log through: phases, redaction and errors, nothing written."""
    return Pipeline(Discard(), Discard(), redact=opts.redact, collector=Collector(opts.context))


def summarize(
    env: Env,
    pipeline: Pipeline,
    build_uuid: str,
    build: Build | None,
    opts: LogOptions,
    *,
    account_id: str | None = None,
    worker: str | None = None,
    environment: str | None = None,
) -> None:
    """The summary of the log `pipeline` has read, printed in the format asked for; what is
    known of the account and the Worker makes the dashboard link."""
    from ..output.summary import draw, make_summary, to_json, to_markdown, to_text

    assert pipeline.collector is not None
    summary = make_summary(
        build_uuid,
        build,
        pipeline.tracker,
        pipeline.collector,
        account_id=account_id,
        worker=worker,
        url=dashboard_url(account_id, worker, build_uuid, environment),
    )
    fmt = opts.summary or SummaryFormat.TEXT
    if fmt is SummaryFormat.JSON:
        env.stdout.write(json.dumps(to_json(summary), indent=2, ensure_ascii=False) + "\n")
    elif fmt is SummaryFormat.MARKDOWN:
        env.stdout.write(to_markdown(summary))
    elif fmt is SummaryFormat.TEXT:
        color = env.color(opts.color)
        if env.stdout_tty or color:  # --color always: the layout, in a pipe too
            draw(summary, env.stdout, color, env.width)
        else:
            env.stdout.write(to_text(summary))
    else:
        assert_never(fmt)
    env.stdout.flush()
