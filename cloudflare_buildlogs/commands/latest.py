"""`latest`: a Worker's newest build, or every Worker of a push at once (README, "Every
Worker of a push").

Each Worker's newest matching build is found before a line is printed (with --wait, the ones
found are printed at once and the others waited for); then each log is printed, or with
--follow all are followed together in one loop on one request budget, builds still to be
found joining it as they appear: the path one build takes (`reading`), with N builds. Every
line carries its Worker: a padded, coloured name in text, `worker` and `build_uuid` in ndjson.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from ..analysis.phases import FAILED_OUTCOMES
from ..analysis.untrusted import field
from ..env import Env
from ..errors import ExitCode, NotFoundError, UsageError, WaitTimeout
from ..models import Build
from ..output.formats import OutputFormat
from ..output.palette import prefixes
from ..output.stderr import Spinner, summary
from ..output.stream import Output
from ..output.timestamps import format_duration
from ..settings.session import Session, open_session
from .log import end_summary, print_log
from .options import LatestOptions, Target
from .reading import (
    Reading,
    close_output,
    exit_for,
    follow_builds,
    make_poller,
    open_output,
    read_now,
    shared_spans,
    stored_entry,
)
from .workers import (
    Worker,
    explained,
    named_workers,
    resolve_worker,
    resolve_workers,
    why_not_built,
)

if TYPE_CHECKING:
    from ..output.ci import Spans
    from ..output.summary import Summary as SummaryFacts


def _matches(build: Build, opts: LatestOptions, commit: str | None) -> bool:
    if opts.branch is not None and build.branch != opts.branch:
        return False
    return commit is None or (build.commit_hash or "").lower().startswith(commit)


def newest_build(
    session: Session, worker: Worker, opts: LatestOptions, commit: str | None
) -> Build | None:
    if opts.branch is None and commit is None:
        return session.client.latest_build(session.account_id, worker.tag)
    builds = session.client.worker_builds(session.account_id, worker.tag, per_page=50, max_pages=4)
    return next((b for b in builds if _matches(b, opts, commit)), None)


def describe_wanted(worker: Worker, opts: LatestOptions, commit: str | None) -> str:
    filters = [
        f"branch {opts.branch}" if opts.branch else "",
        f"commit {commit[:12]}" if commit else "",
    ]
    text = " and ".join(f for f in filters if f)
    return f"a build of {worker.label}" + (f" on {text}" if text else "")


def run_latest(opts: LatestOptions, env: Env) -> ExitCode:
    """Print the log of a Worker's newest build (matching --branch and --commit). Several
    Workers at once are `many.run_many`'s."""
    names = named_workers(opts.workers, opts.all_workers, env)
    commit = resolve_commit(opts, env)
    with open_session(opts.api, env) as session:
        worker = resolve_worker(session, names[0], env)
        (build,) = find_builds(session, env, [worker], opts, commit)
        if env.stderr_tty:
            env.error_line(f"build {build.build_uuid} ({build.status.value})")
        return print_log(
            session, env, Target(build.build_uuid, worker.label, worker.name), opts.log
        )


def resolve_commit(opts: LatestOptions, env: Env) -> str | None:
    """--commit as a prefix to match: HEAD is `git rev-parse HEAD` here."""
    if opts.commit is not None and opts.commit.upper() == "HEAD":
        return env.git_head()
    return opts.commit


def find_builds(
    session: Session, env: Env, workers: list[Worker], opts: LatestOptions, commit: str | None
) -> list[Build]:
    """Each Worker's newest matching build. Without --wait a Worker with none is exit 4,
    naming it; with --wait the missing ones are waited for, together, on one budget."""
    found = [newest_build(session, w, opts, commit) for w in workers]
    missing = [w for w, b in zip(workers, found, strict=True) if b is None]
    if not missing:
        return [b for b in found if b is not None]
    wanted = "; ".join(describe_wanted(w, opts, commit) for w in missing)
    if not opts.wait:
        them = "one" if len(missing) == 1 else "them"
        raise NotFoundError(f"no build found: {wanted}", f"use --wait to wait for {them} to start")
    poller = make_poller(session, env, opts.log, lambda: f"no sign yet of {wanted}")
    spinner = Spinner(env)
    spinner.show(f"waiting for {wanted}…")
    try:
        while any(b is None for b in found):
            poller.wait(active=False)
            found = [
                b or newest_build(session, w, opts, commit)
                for w, b in zip(workers, found, strict=True)
            ]
    except WaitTimeout as exc:
        missing = [w for w, b in zip(workers, found, strict=True) if b is None]
        raise explained(session, exc, missing, opts.branch) from None
    finally:
        spinner.stop()
    return [b for b in found if b is not None]


def run_latest_any(opts: LatestOptions, env: Env) -> ExitCode:
    """`latest`: one Worker's newest build, or several Workers' at once."""
    names = named_workers(opts.workers, opts.all_workers, env)
    if len(names) == 1:  # --all that finds one behaves as `latest NAME`
        return run_latest(opts._replace(workers=tuple(names), all_workers=False), env)
    return run_many(opts, names, env)


def run_many(opts: LatestOptions, names: Sequence[str], env: Env) -> ExitCode:
    if opts.log.output is OutputFormat.JSON:
        raise UsageError("--json takes one Worker", "use --ndjson: each record names its Worker")
    commit = resolve_commit(opts, env)  # HEAD once, for every Worker
    with open_session(opts.api, env) as session:
        workers = resolve_workers(session, names)
        found = [newest_build(session, w, opts, commit) for w in workers]
        missing = [w for w, b in zip(workers, found, strict=True) if b is None]
        if missing and not opts.wait:
            wanted = "; ".join(describe_wanted(w, opts, commit) for w in missing)
            them = "one" if len(missing) == 1 else "them"
            hint = f"use --wait to wait for {them} to start"
            raise NotFoundError(f"no build found: {wanted}", hint)
        if opts.log.summary is not None:
            # --wait: a summary is of a whole build, so every one is found first
            builds = find_builds(session, env, workers, opts, commit) if missing else found
            return _summaries(session, env, workers, [b for b in builds if b], opts)
        labels = [w.label for w in workers]
        shown = prefixes(labels, env.color(opts.log.color))
        spans = shared_spans(opts.log)
        readings = [
            Reading(_opener(env, opts, prefix, label, spans), build)
            for prefix, label, build in zip(shown, labels, found, strict=True)
        ]
        timed_out = _read(session, env, readings, workers, opts, commit)
        why = ""
        if timed_out:
            session.client.deadline = None  # passed: the triggers are read on a fresh one
            missing = [w for w, r in zip(workers, readings, strict=True) if r.build is None]
            why = why_not_built(session, missing, opts.branch) if missing else ""
        account_id = session.account_id
    ending = _Ending(labels, readings, workers, timed_out, account_id, why)
    return _report(env, ending, opts, commit)


def _summaries(
    session: Session, env: Env, workers: list[Worker], builds: list[Build], opts: LatestOptions
) -> ExitCode:
    """One summary a Worker, in the order given (with --follow once every build has stopped);
    text and Markdown apart by a blank line, JSON a stream of objects (`jq` reads them)."""
    from ..output.formats import SummaryFormat
    from .ci import tell_ci
    from .summary import read_summary, summary_exit, wait_stopped

    if opts.log.follow:
        builds = wait_stopped(session, env, opts.log, builds)
    summaries = []
    for index, (worker, build) in enumerate(zip(workers, builds, strict=True)):
        if index and opts.log.summary is not SummaryFormat.JSON:
            env.stdout.write("\n")
        kept = stored_entry(session, build.build_uuid)
        target = Target(build.build_uuid, worker.label, worker.name)
        summaries.append(
            read_summary(session, env, target, kept.build if kept else build, opts.log, kept)
        )
    if not (opts.log.follow or opts.log.exit_status):
        return ExitCode.OK
    tell_ci(env, opts.log, summaries, inline=False)
    codes = [summary_exit(env, s, opts.log) for s in summaries if s.build and s.build.stopped]
    return _worst(codes)


def _worst(codes: Sequence[ExitCode]) -> ExitCode:
    """Several builds' status: a failure beats a success that deployed nothing."""
    for code in (ExitCode.BUILD_FAILED, ExitCode.NOT_DEPLOYED):
        if code in codes:
            return code
    return ExitCode.OK


def _opener(
    env: Env, opts: LatestOptions, prefix: str, label: str, spans: Spans | None
) -> Callable[[str], Output]:
    return lambda uuid: open_output(env, opts.log, uuid, worker=label, prefix=prefix, spans=spans)


def _read(
    session: Session,
    env: Env,
    readings: list[Reading],
    workers: list[Worker],
    opts: LatestOptions,
    commit: str | None,
) -> bool:
    """Every Worker's build read, or followed; whether --timeout ran out. A read cut short
    claims no end for the builds it had not finished."""

    def find(reading: Reading) -> Build | None:
        return newest_build(session, workers[readings.index(reading)], opts, commit)

    poller = make_poller(
        session, env, opts.log, lambda: _waiting_for(readings, workers, opts, commit)
    )
    try:
        if opts.log.follow:
            follow_builds(session, poller, readings, find=find)
            return False
        for reading in readings:
            if reading.build is not None:
                read_now(session, reading)
        while any(r.build is None for r in readings):  # --wait: each read once it exists
            poller.wait(active=False)
            for reading in readings:
                if reading.build is None and (build := find(reading)) is not None:
                    reading.build, reading.uuid = build, build.build_uuid
                    read_now(session, reading)
        return False
    except WaitTimeout:
        return True
    finally:
        for reading in readings:
            if reading.out is not None and not reading.ended:
                close_output(reading.out, None)


def _waiting_for(
    readings: list[Reading], workers: list[Worker], opts: LatestOptions, commit: str | None
) -> str:
    """What the command still waits for: the builds not found yet, else the running ones."""
    missing = [w for w, r in zip(workers, readings, strict=True) if r.build is None]
    if missing:
        return "no sign yet of " + "; ".join(describe_wanted(w, opts, commit) for w in missing)
    return "builds still running"


class _Ending(NamedTuple):
    """How the reading of several Workers' builds ended."""

    labels: list[str]
    readings: list[Reading]
    workers: list[Worker]
    timed_out: bool
    account_id: str | None
    why: str  # with --wait, why the Workers with no build may not have built


def _report(env: Env, ending: _Ending, opts: LatestOptions, commit: str | None) -> ExitCode:
    """One line a Worker on stderr, CI told of the builds that stopped, and the command's exit
    status (README, "Every Worker of a push at once")."""
    width = max(len(field(label)) for label in ending.labels)
    codes, summaries = [], []
    for label, reading, worker in zip(ending.labels, ending.readings, ending.workers, strict=True):
        build = reading.build
        if build is None:
            line = f"no build found after {format_duration(opts.log.timeout)}"
        elif build.stopped:
            line = summary(build, _lines_read(reading.out), None, named=False)
            told = None
            if reading.out is not None:
                target = Target(build.build_uuid, label, worker.name)
                told = end_summary(ending.account_id, target, build, reading.out)
            if told is not None:
                summaries.append(told)
                line += _ended(told)
            codes.append(exit_for(build, told and told.deployed, opts.log.require_deploy))
        else:
            line = f"build {build.build_uuid[:8]} still {build.status.value}"
            if ending.timed_out:
                line += f" after {format_duration(opts.log.timeout)}"
        env.error_line(f"{field(label):<{width}}  {line}")
    from .ci import tell_ci

    tell_ci(env, opts.log, summaries, inline=opts.log.output is OutputFormat.TEXT)
    if ExitCode.BUILD_FAILED in codes:  # a failed build's status beats the timeout's
        return ExitCode.BUILD_FAILED
    if ending.timed_out:  # said, and its exit status set, by the one translator of errors
        what = _waiting_for(ending.readings, ending.workers, opts, commit)
        after = format_duration(opts.log.timeout)
        why = f"\n{ending.why}" if ending.why else ""
        raise WaitTimeout(f"gave up after {after}: {what}{why}", "raise --timeout to wait longer")
    return _worst(codes)


def _ended(s: SummaryFacts) -> str:
    """` · failed in deploy`, ` · deployed 8c2f1a4e`, ` · deployed nothing`."""
    if s.build is not None and s.build.outcome in FAILED_OUTCOMES:
        return f" · failed in {s.failed_phase}" if s.failed_phase else ""
    version = next((d.version_id for d in s.deployments if d.version_id), None)
    if version is not None:
        return f" · deployed {version[:8]}"
    return " · deployed nothing" if s.deployed is False else ""


def _lines_read(out: Output | None) -> int:
    return 0 if out is None else out.lines_read
