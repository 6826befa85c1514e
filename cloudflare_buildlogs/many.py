"""Every Worker of a push at once (contract section 14): `latest A B ...` and `latest --all`.

Each Worker's newest matching build is found before a line is printed (with --wait, the ones
found are printed at once and the others waited for); then each log is printed, or with
--follow all are followed together in one loop on one request budget, builds still to be
found joining it as they appear: the path one build takes (`reading`), with N builds. Every
line carries its Worker: a padded, coloured name in text, `worker` and `build_uuid` in ndjson.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence

from .commands import (
    LatestOptions,
    Worker,
    describe_wanted,
    make_poller,
    newest_build,
    open_output,
    resolve_commit,
    resolve_workers,
    run_latest,
    worker_names,
)
from .env import Env
from .errors import ExitCode, NotFoundError, UsageError, WaitTimeout
from .follow import format_duration
from .models import Build
from .phases import FAILED_OUTCOMES
from .pipeline import Output
from .reading import Reading, close_output, follow_builds, read_now
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
        found = [newest_build(session, w, opts, commit) for w in workers]
        missing = [w for w, b in zip(workers, found, strict=True) if b is None]
        if missing and not opts.wait:
            wanted = "; ".join(describe_wanted(w, opts, commit) for w in missing)
            them = "one" if len(missing) == 1 else "them"
            hint = f"use --wait to wait for {them} to start"
            raise NotFoundError(f"no build found: {wanted}", hint)
        labels = [w.label for w in workers]
        shown = prefixes(labels, env.color(opts.log.color))
        readings = [
            Reading(_opener(env, opts, prefix, label), build)
            for prefix, label, build in zip(shown, labels, found, strict=True)
        ]
        timed_out = _read(session, env, readings, workers, opts, commit)
    return _report(env, labels, readings, workers, timed_out, opts, commit)


def _opener(env: Env, opts: LatestOptions, prefix: str, label: str) -> Callable[[str], Output]:
    return lambda uuid: open_output(env, opts.log, uuid, (prefix, label))


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

    poller = make_poller(session, env, opts.log, _waiting_for(readings, workers, opts, commit))
    try:
        if opts.log.follow:
            follow_builds(session, poller, readings, find=find)
            return False
        for reading in readings:
            if reading.build is not None:
                read_now(session, reading)
        while any(r.build is None for r in readings):  # --wait: each read once it exists
            poller.what = _waiting_for(readings, workers, opts, commit)
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


def _report(
    env: Env,
    labels: list[str],
    readings: list[Reading],
    workers: list[Worker],
    timed_out: bool,
    opts: LatestOptions,
    commit: str | None,
) -> ExitCode:
    """One line a Worker on stderr, and the command's exit status (section 14)."""
    width = max(len(field(label)) for label in labels)
    failed = False
    for label, reading in zip(labels, readings, strict=True):
        build = reading.build
        if build is None:
            line = f"no build found after {format_duration(opts.log.timeout)}"
        elif build.stopped:
            line = summary(build, _lines_read(reading.out), None, named=False)
            if build.outcome in FAILED_OUTCOMES:
                failed = True
                tracker = reading.out.tracker if reading.out is not None else None
                phase = tracker.phase if tracker is not None else None
                line += f" · failed in {phase}" if phase else ""
        else:
            line = f"build {build.build_uuid[:8]} still {build.status.value}"
            if timed_out:
                line += f" after {format_duration(opts.log.timeout)}"
        env.error_line(f"{field(label):<{width}}  {line}")
    if failed:  # a failed build's status beats the timeout's
        return ExitCode.BUILD_FAILED
    if timed_out:  # said, and its exit status set, by the one translator of errors
        what = _waiting_for(readings, workers, opts, commit)
        after = format_duration(opts.log.timeout)
        raise WaitTimeout(f"gave up after {after}: {what}", "raise --timeout to wait longer")
    return ExitCode.OK


def _lines_read(out: Output | None) -> int:
    return 0 if out is None else out.lines_read
