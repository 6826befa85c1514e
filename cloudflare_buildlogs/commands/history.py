"""`history [WORKER...]`: a Worker's last builds, with their queue time, duration and each
phase's duration, and the totals (README, "history").

Phases come from each build's log: a stopped build's log is read from the store when kept, or
fetched once and kept, so a second run over the same builds makes only the list requests.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import NamedTuple

from ..analysis.phases import PHASES, report
from ..analysis.pipeline import Discard, Pipeline
from ..env import Env
from ..errors import ExitCode, NotFoundError, UsageError
from ..models import Build, parse_time
from ..output.formats import SummaryFormat
from ..output.history import History, Row
from ..settings.session import ApiOptions, Session, open_session
from .reading import read_whole, stored_entry
from .workers import Worker, named_workers, resolve_workers

MAX_LIMIT = 200
FAILED = frozenset({"fail", "terminated"})  # cancelled and skipped builds neither pass nor fail


class HistoryOptions(NamedTuple):
    workers: tuple[str, ...] = ()
    all_workers: bool = False
    limit: int = 20
    branch: str | None = None
    output: SummaryFormat = SummaryFormat.TEXT
    color: str = "auto"
    api: ApiOptions = ApiOptions()


def run_history(opts: HistoryOptions, env: Env) -> ExitCode:
    if not 1 <= opts.limit <= MAX_LIMIT:
        raise UsageError(f"--limit must be 1 to {MAX_LIMIT}, not {opts.limit}")
    names = named_workers(opts.workers, opts.all_workers, env)

    from ..output.history import print_history

    with open_session(opts.api, env) as session:
        for index, worker in enumerate(resolve_workers(session, names)):
            history = read_history(session, worker, opts)
            print_history(env, history, opts.output, env.color(opts.color), first=index == 0)
    return ExitCode.OK


def read_history(session: Session, worker: Worker, opts: HistoryOptions) -> History:
    builds: list[Build] = []
    per_page = MAX_LIMIT if opts.branch else opts.limit
    for build in session.client.worker_builds(
        session.account_id, worker.tag, per_page=per_page, max_pages=20
    ):
        if opts.branch is None or build.branch == opts.branch:
            builds.append(build)
            if len(builds) >= opts.limit:
                break
    if not builds:
        on = f" on branch {opts.branch}" if opts.branch else ""
        raise NotFoundError(f"no builds of Worker {worker.label}{on}")
    rows = [Row(n, b, _queue(b), _phases(session, b)) for n, b in enumerate(builds, 1)]
    return totals(worker, rows)


def _queue(build: Build) -> float | None:
    created, running = parse_time(build.created_on), parse_time(build.running_on)
    return None if created is None or running is None else max(0.0, running - created)


def _phases(session: Session, build: Build) -> dict[str, float]:
    """Each phase's duration, from the build's log (kept, or fetched and kept)."""
    if not build.stopped:
        return {}
    pipeline = Pipeline(Discard(), Discard())
    read_whole(session, build.build_uuid, build, stored_entry(session, build.build_uuid), pipeline)
    return {p.name: p.duration for p in report(pipeline.tracker, build) if p.duration is not None}


def _percentile(values: Sequence[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def totals(worker: Worker, rows: list[Row]) -> History:
    judged = [
        r.build
        for r in rows
        if r.build.stopped and (r.build.outcome in FAILED or r.build.outcome == "success")
    ]
    passed = sum(1 for b in judged if b.outcome == "success")
    durations = [d for d in (b.duration for b in judged) if d is not None]
    medians = {
        name: statistics.median(values)
        for name in PHASES
        if (values := [r.phases[name] for r in rows if name in r.phases])
    }
    outcomes: dict[str, set[str]] = {}
    for build in judged:
        if build.commit_hash:
            outcomes.setdefault(build.commit_hash, set()).add(
                "success" if build.outcome == "success" else "fail"
            )
    flaky = [commit for commit, seen in outcomes.items() if len(seen) == 2]
    return History(
        worker.label,
        rows,
        passed / len(judged) if judged else None,
        statistics.median(durations) if durations else None,
        _percentile(durations, 0.9),
        max(medians, key=lambda name: medians[name]) if medians else None,
        flaky,
    )
