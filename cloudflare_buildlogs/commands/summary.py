"""`summary`, `get --summary`, `latest --summary`: the whole log read, its summary printed."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ..analysis.compare import Source
from ..analysis.pipeline import Collector, Discard, Pipeline
from ..env import Env
from ..errors import ExitCode
from ..models import Build
from ..output.formats import CiMode, SummaryFormat, assert_never
from ..output.stderr import Spinner, waiting_text, write_summary
from ..settings.buildref import dashboard_url
from ..settings.session import Session
from .options import LogOptions, Target
from .reading import exit_for, make_poller, read_whole

if TYPE_CHECKING:
    from ..analysis.compare import Diff
    from ..output.summary import Summary
    from ..store.entries import Entry
    from .diff import Comparing


def print_summary(
    session: Session,
    env: Env,
    target: Target,
    build: Build,
    opts: LogOptions,
    kept: Entry | None = None,
) -> ExitCode:
    """Read the whole log (the build's state was read first) and print its summary; the log
    comes from the store when kept, and is kept when the build has stopped. With --follow or
    --exit-status, the build's outcome is the exit status, and CI is told."""
    summary = read_summary(session, env, target, build, opts, kept)
    if not ((opts.exit_status or opts.follow) and build.stopped):
        return ExitCode.OK
    from .ci import tell_ci

    tell_ci(env, opts, [summary], inline=False)
    return summary_exit(env, summary, opts)


def summary_exit(env: Env, summary: Summary, opts: LogOptions) -> ExitCode:
    """A stopped build's exit status; every exit but 0 says why on stderr: the outcome."""
    build = summary.build
    assert build is not None
    code = exit_for(build, summary.deployed, opts.require_deploy)
    if code is not ExitCode.OK:
        color = env.color(opts.color, stderr=True)
        write_summary(env, build, summary.lines, summary.worker, color)
        if code is ExitCode.NOT_DEPLOYED:
            env.error_line("  deployed nothing, and --require-deploy asks for a deployment")
    return code


def read_summary(
    session: Session,
    env: Env,
    target: Target,
    build: Build,
    opts: LogOptions,
    kept: Entry | None = None,
) -> Summary:
    """Read the whole log (from the store when kept) and print its summary; with --compare,
    against the last good build's, in the same pass."""
    pipeline = summary_pipeline(opts)
    source = Source(build.build_uuid, build)
    comparing = _comparing(session, env, source, opts) if opts.compare else None
    if comparing is not None:
        pipeline.sink = comparing.sink
    read_whole(session, target.build_uuid, build, kept, pipeline)
    return summarize(
        env,
        pipeline,
        target.build_uuid,
        build,
        opts,
        account_id=session.account_id,
        worker=target.label,
        environment=target.environment,
        compared=None if comparing is None else comparing.result(source, pipeline.tracker),
    )


def _comparing(session: Session, env: Env, source: Source, opts: LogOptions) -> Comparing | None:
    """The last good build read for the comparison; None (and a note) when there is none."""
    from ..errors import NotFoundError
    from .diff import Comparing, choose_bases, read_baselines

    try:
        bases = choose_bases(session, source, 1)
    except NotFoundError as exc:
        env.error_line(f"note: nothing to compare with: {exc.message}")
        return None
    return Comparing(read_baselines(session, env, bases, redact=opts.redact))


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
    compared: Diff | None = None,
) -> Summary:
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
    )._replace(compared=compared)
    fmt = opts.summary or SummaryFormat.TEXT
    if fmt is SummaryFormat.JSON:
        env.stdout.write(json.dumps(to_json(summary), indent=2, ensure_ascii=False) + "\n")
    elif fmt is SummaryFormat.MARKDOWN:
        env.stdout.write(to_markdown(summary))
    elif fmt is SummaryFormat.TEXT:
        color = env.color(opts.color)
        if env.stdout_tty or color:  # --color always: the layout, in a pipe too
            draw(summary, env.stdout, color, env.width)
        elif opts.ci is CiMode.GITHUB:  # no line of it can act as a workflow command
            from ..output.ci import new_token

            token = new_token()
            env.stdout.write(f"::stop-commands::{token}\n{to_text(summary)}::{token}::\n")
        else:
            env.stdout.write(to_text(summary))
    else:
        assert_never(fmt)
    env.stdout.flush()
    return summary
