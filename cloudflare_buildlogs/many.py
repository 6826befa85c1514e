"""Every Worker of a push at once (contract section 14): `latest A B ...` and `latest --all`.

Each Worker's newest matching build is found (or, with --wait, waited for) before a line is
printed; then each log is printed, or with --follow all are followed together in one loop on
one request budget (`follow.follow`, the same loop a single build uses). Every line carries
its Worker: a padded, coloured name in text, `worker` and `build_uuid` in ndjson.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from contextlib import closing

from .commands import (
    LatestOptions,
    Target,
    close_output,
    find_builds,
    kept_build,
    make_poller,
    open_output,
    read_whole,
    resolve_commit,
    resolve_workers,
    run_latest,
    worker_names,
)
from .env import Env
from .errors import ExitCode, UsageError, WaitTimeout
from .follow import Finished, follow, format_duration, prefetch
from .models import Build
from .phases import FAILED_OUTCOMES
from .pipeline import Output
from .render import OutputFormat
from .session import Session, open_session
from .status import summary
from .untrusted import field

# Bright, readable on dark and light terminals; a Worker's colour comes from its name, so it
# is the same every run (Python's own hash() changes from run to run).
PALETTE = ("\x1b[36m", "\x1b[35m", "\x1b[33m", "\x1b[32m", "\x1b[34m", "\x1b[96m", "\x1b[95m")


def colour_of(name: str) -> str:
    return PALETTE[zlib.crc32(name.encode()) % len(PALETTE)]


def prefixes(labels: Sequence[str], color: bool) -> list[str]:
    """`name  ` padded to the longest name, coloured when colour is on."""
    labels = [field(label) for label in labels]
    width = max(len(label) for label in labels)
    return [
        f"{colour_of(label)}{label:<{width}}\x1b[0m  " if color else f"{label:<{width}}  "
        for label in labels
    ]


def run_latest_any(opts: LatestOptions, env: Env) -> ExitCode:
    """`latest`: one Worker's newest build, or several Workers' at once."""
    names = worker_names(opts, env)
    if len(names) == 1:  # --all that finds one behaves as `latest NAME`
        return run_latest(opts._replace(workers=tuple(names), all_workers=False), env)
    return run_many(opts, names, env)


def run_many(opts: LatestOptions, names: Sequence[str], env: Env) -> ExitCode:
    if opts.log.output is OutputFormat.JSON:
        raise UsageError("--json takes one Worker", "use --ndjson: each record names its Worker")
    if opts.log.summary is not None:
        raise UsageError("--summary takes one Worker", "run `summary` for each build")
    commit = resolve_commit(opts, env)  # HEAD once, for every Worker
    with open_session(opts.api, env) as session:
        workers = resolve_workers(session, names)
        builds = find_builds(session, env, workers, opts, commit)
        labels = [w.label for w in workers]
        outputs = [
            open_output(env, opts.log, build.build_uuid, (prefix, label))
            for build, prefix, label in zip(
                builds, prefixes(labels, env.color(opts.log.color)), labels, strict=True
            )
        ]
        targets = [
            Target(b.build_uuid, w.label, w.name) for b, w in zip(builds, workers, strict=True)
        ]
        timed_out = False
        ended: set[int] = set()
        try:
            if opts.log.follow:
                builds, timed_out = _follow(session, env, targets, builds, outputs, opts, ended)
            else:
                builds = [
                    _read(session, t, b, out)
                    for t, b, out in zip(targets, builds, outputs, strict=True)
                ]
        except BaseException:  # cut short: what was printed stays, no end is claimed
            for index, out in enumerate(outputs):
                if index not in ended:
                    close_output(out, None)
            raise
        for index, (build, out) in enumerate(zip(builds, outputs, strict=True)):
            if index not in ended:
                close_output(out, build)
    return _report(env, labels, builds, outputs, timed_out, opts)


def _read(session: Session, target: Target, build: Build, out: Output) -> Build:
    """One build's log, after the others', from the store when kept."""
    kept = kept_build(session, target.build_uuid)
    read_whole(session, target.build_uuid, build, kept, out)
    return kept.build if kept is not None else build


def _follow(
    session: Session,
    env: Env,
    targets: list[Target],
    builds: list[Build],
    outputs: list[Output],
    opts: LatestOptions,
    ended: set[int],
) -> tuple[list[Build], bool]:
    """All the builds followed at once; (their last known state, whether --timeout ran out).
    A build's output ends (its end record) as soon as it stops, after its own lines."""
    latest = list(builds)
    poller = make_poller(session, env, opts.log, f"{len(builds)} builds are still running")
    uuids = [t.build_uuid for t in targets]
    events = follow(session.client, session.account_id, uuids, poller)
    try:
        with closing(prefetch(events, sent=session.client.sent)) as stream:
            for index, event in stream:
                if isinstance(event, list):
                    outputs[index].write(event)
                    continue
                outputs[index].release_tail()  # caught up: the last N so far, then the rest
                if isinstance(event, Finished):
                    latest[index] = event.build
                    close_output(outputs[index], event.build)
                    ended.add(index)
                elif event.build is not None:
                    latest[index] = event.build
    except WaitTimeout:
        return latest, True
    return latest, False


def _report(
    env: Env,
    labels: list[str],
    builds: list[Build],
    outputs: list[Output],
    timed_out: bool,
    opts: LatestOptions,
) -> ExitCode:
    """One line a Worker on stderr, and the command's exit status (section 14)."""
    width = max(len(field(label)) for label in labels)
    failed = False
    for label, build, out in zip(labels, builds, outputs, strict=True):
        if build.stopped:
            line = summary(build, out.lines_read, None, named=False)
            if build.outcome in FAILED_OUTCOMES:
                failed = True
                phase = out.tracker.phase if out.tracker is not None else None
                line += f" · failed in {phase}" if phase else ""
        else:
            line = f"build {build.build_uuid[:8]} still {build.status.value}"
            if timed_out:
                line += f" after {format_duration(opts.log.timeout)}"
        env.error_line(f"{field(label):<{width}}  {line}")
    if failed:  # a failed build's status beats the timeout's
        return ExitCode.BUILD_FAILED
    if timed_out:  # said, and its exit status set, by the one translator of errors
        raise WaitTimeout(
            f"gave up after {format_duration(opts.log.timeout)}: builds still running",
            "raise --timeout to wait longer",
        )
    return ExitCode.OK
