"""One build's log printed: from the store, fetched, or followed to its end, then what the
command says of it on stderr (its outcome, where it failed) and its exit status.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..analysis.untrusted import field, shortened
from ..env import Env
from ..errors import ExitCode
from ..models import MESSAGE, NUMBER, Build
from ..output.formats import OutputFormat
from ..output.stderr import Spinner, write_summary
from ..output.stream import Output
from ..settings.buildref import dashboard_url
from ..settings.session import Session
from .options import LogOptions, Target
from .reading import (
    Reading,
    close_output,
    copy_pages,
    exit_for,
    fetch,
    follow_builds,
    make_poller,
    open_output,
    stored_entry,
)

if TYPE_CHECKING:
    from ..output.summary import Summary


def _still(reading: Reading) -> str:
    """`build 5b1d8f2e-... is still running` (or queued, as it was last seen)."""
    state = reading.build.status.value if reading.build is not None else "running"
    return f"build {reading.uuid} is still {state}"


def print_log(session: Session, env: Env, target: Target, opts: LogOptions) -> ExitCode:
    """The log to stdout; with --follow or --exit-status, the build's outcome as the status.
    A kept build is printed from the local store, with no request at all."""
    build_uuid = target.build_uuid
    kept = stored_entry(session, build_uuid)
    if opts.summary is not None:
        from .summary import print_summary, wait_stopped

        status = kept.build if kept else _build(session, build_uuid)
        if opts.follow and not status.stopped:  # --follow --summary: its end, then the summary
            status = wait_stopped(session, env, opts, [status])[0]
        return print_summary(session, env, target, status, opts, kept)
    out = open_output(env, opts, build_uuid)
    reading = Reading(lambda _uuid: out)
    reading.uuid, reading.checked = build_uuid, True
    try:
        if kept is not None:
            reading.build = kept.build
            copy_pages(kept.pages(), out)
        elif opts.follow:
            poller = make_poller(session, env, opts, lambda: _still(reading))
            follow_builds(session, poller, [reading], spinner=Spinner(env))
        else:
            # The status first: a build seen stopped has all its lines, so the log read next
            # is its whole log (and may be kept).
            if opts.exit_status or session.store is not None:
                reading.build = _build(session, build_uuid)
            reading.entry = fetch(session, build_uuid, reading.build, out)
    except BaseException:
        if reading.entry is not None:
            reading.entry.discard()
            reading.entry = None
        raise
    finally:
        if not reading.ended:  # a plain read says nothing of the build, kept or asked for
            close_output(out, reading.build if opts.follow or opts.exit_status else None)
    if reading.entry is not None and reading.build is not None:
        reading.entry.commit(reading.build)  # after the last byte reached its reader
    shown = reading.build if opts.follow or opts.exit_status else None
    if shown is None and not opts.follow:
        _still_going(env, build_uuid, reading.build, out)
    return _after_log(session, env, target, opts, out, shown)


def _still_going(env: Env, build_uuid: str, build: Build | None, out: Output) -> None:
    """A plain read of a build that has not stopped says so on stderr, whatever it printed:
    a queued build's empty log is no silent nothing."""
    if build is not None and not build.stopped:
        env.error_line(
            f"note: build {build_uuid} is still {build.status.value}; "
            "use --follow to wait for its lines and outcome"
        )
    elif build is None and out.lines_read == 0:
        env.error_line(f"note: build {build_uuid} has no log lines yet; use --follow to wait")


def _after_log(
    session: Session, env: Env, target: Target, opts: LogOptions, out: Output, build: Build | None
) -> ExitCode:
    build_uuid = target.build_uuid
    if opts.errors and out.writer.count == 0:
        env.error_line(f"note: no error lines in build {build_uuid}" + _in_phases(opts))
    if build is None:
        return ExitCode.OK
    if not build.stopped:
        env.error_line(
            f"note: build {build_uuid} is still {build.status.value}; "
            "use --follow to wait for its outcome"
        )
        return ExitCode.OK
    write_summary(env, build, out.lines_read, target.label, env.color(opts.color, stderr=True))
    summary = end_summary(session.account_id, target, build, out)
    if summary is None:
        return exit_for(build, None, opts.require_deploy)
    end_detail(env, summary, out)
    from .ci import tell_ci

    tell_ci(env, opts, [summary], inline=opts.output is OutputFormat.TEXT)
    return exit_for(build, summary.deployed, opts.require_deploy)


def _build(session: Session, build_uuid: str) -> Build:
    return session.client.get_build(session.account_id, build_uuid)


def _in_phases(opts: LogOptions) -> str:
    return f" (phases {', '.join(sorted(opts.phases))})" if opts.phases else ""


def end_summary(
    account_id: str | None, target: Target, build: Build, out: Output
) -> Summary | None:
    """What the output learnt of a build it read to its end (its phases, errors, what it
    deployed), when it watched for it: the facts of its closing lines and of CI's files."""
    if out.collector is None or out.tracker is None:
        return None
    from ..output.summary import make_summary

    return make_summary(
        build.build_uuid,
        build,
        out.tracker,
        out.collector,
        account_id=account_id,
        worker=target.label,
        url=dashboard_url(account_id, target.name, build.build_uuid, target.environment),
    )


def end_detail(env: Env, summary: Summary, out: Output) -> None:
    """Under a build's closing line: where it failed and its first error line, what it
    deployed (or that it deployed nothing, and why), and the dashboard link when known."""
    from ..output.summary import deployment_lines

    build = summary.build
    if build is not None and not build.succeeded and out.collector is not None:
        phase = summary.failed_phase
        first = out.collector.first_error(phase)
        where = f"failed in phase {phase}" if phase else "first error"
        if first is not None:
            env.error_line(
                f"  {where}: {shortened(field(first[MESSAGE]), 200)} (line {first[NUMBER]})"
            )
        elif phase:
            env.error_line(f"  {where}; no error line found")
    for line in deployment_lines(summary):
        env.error_line(f"  {line}")
    if summary.not_deployed is not None:
        env.error_line(f"  hint: {summary.not_deployed.text}")
    if summary.url is not None:
        env.error_line(f"  {summary.url}")
