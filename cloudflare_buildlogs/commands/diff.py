"""`diff BUILD [BASE]`: what is new in a build's log against good builds' (README, "diff").

Each log is read once, in a stream, through the pipeline every read takes (numbers, phases,
redaction for Markdown): the baselines' into an `Index` of their normalised lines by phase,
then BUILD's through a `Finder` that keeps its new lines with their context. Logs of stopped
builds come from the store when kept, and are kept when fetched; a saved or pasted file is
read as `view` reads it.
"""

from __future__ import annotations

import os
from typing import NamedTuple

from ..analysis.compare import Diff, Finder, Forms, Index, PhaseChange, Source, Versions, changes
from ..analysis.phases import PhaseReport, Tracker, report
from ..analysis.pipeline import Discard, Pipeline
from ..analysis.untrusted import field
from ..env import Env
from ..errors import ExitCode, NotFoundError, UsageError
from ..models import Build, Tracked, parse_time
from ..output.formats import SummaryFormat
from ..settings.buildref import parse_build
from ..settings.session import ApiOptions, Session, open_session
from .get import whole
from .reading import copy_pages, read_whole, stored_entry

MAX_BASELINE = 10
SLOWER = 0.5  # a phase's duration changed when it moved by more than half...
SLOWER_SECONDS = 5.0  # ...and by more than this


class DiffOptions(NamedTuple):
    build: str  # a build (UUID, its start, its URL) or a file, as typed
    base: str | None = None
    baseline: int = 1
    both: bool = False
    context: int = 0
    output: SummaryFormat = SummaryFormat.TEXT
    exit_status: bool = False
    color: str = "auto"
    as_text: bool = False  # --input text: files are plain text, a message a line
    worker: str | None = None  # where to find a build named by the start of its UUID
    api: ApiOptions = ApiOptions()


class _Sink:
    """Where a compared log's tracked lines go: the index or the finder, and the versions."""

    def __init__(self, target: Index | Finder, keep: bool = False, versions: bool = True) -> None:
        self.put = target.add if isinstance(target, Index) else target.write
        self.versions = Versions()
        self.kept: list[Tracked] | None = [] if keep else None
        self.watch = versions  # only the newest baseline's versions are compared

    def write(self, lines: list[Tracked]) -> None:
        self.put(lines)
        if self.watch:
            self.versions.observe(lines)
        if self.kept is not None:
            self.kept.extend(lines)


def run_diff(opts: DiffOptions, env: Env) -> ExitCode:
    from ..output.diff import print_diff

    if not 1 <= opts.baseline <= MAX_BASELINE:
        raise UsageError(f"--baseline must be 1 to {MAX_BASELINE}, not {opts.baseline}")
    if opts.base is not None and opts.baseline != 1:
        raise UsageError("--baseline chooses good builds: it cannot be combined with BASE")
    with open_session(opts.api._replace(account_id=_account(opts)), env) as session:
        build = _source(session, env, opts.build, opts.worker)
        if opts.base is not None:
            bases = [_source(session, env, opts.base, opts.worker)]
        else:
            bases = choose_bases(session, build, opts.baseline)
        diff = compare(session, env, opts, build, bases)
    print_diff(env, diff, opts.output, env.color(opts.color))
    return ExitCode.BUILD_FAILED if opts.exit_status and diff.new else ExitCode.OK


def _is_file(given: str) -> bool:
    return given == "-" or os.path.exists(given)


def _account(opts: DiffOptions) -> str | None:
    """The account of the builds named by dashboard URLs, as `get` takes it; else --account-id
    (None: the configured one). A usage error when BUILD's and BASE's URLs name two."""
    accounts = {
        parse_build(given, opts.api.account_id).account_id
        for given in (opts.build, opts.base)
        if given is not None and not _is_file(given)
    } - {None}
    if len(accounts) > 1:
        raise UsageError("BUILD and BASE are builds of two accounts: compare builds of one account")
    return accounts.pop() if accounts else opts.api.account_id


def _source(session: Session, env: Env, given: str, worker: str | None) -> Source:
    if _is_file(given):
        return Source(given if given != "-" else "<stdin>", path=given)
    ref = parse_build(given, session.opts.account_id)
    ref = whole(session, env, ref, worker)
    kept = stored_entry(session, ref.uuid)
    build = (
        kept.build if kept is not None else session.client.get_build(session.account_id, ref.uuid)
    )
    return Source(ref.uuid, build)


def choose_bases(session: Session, source: Source, count: int) -> list[Source]:
    """The `count` newest builds of the Worker that succeeded and were created before BUILD:
    of its branch when it has some, else of any branch."""
    build = source.build
    if build is None or build.worker_tag is None:
        raise UsageError(
            f"{field(source.label)} does not say which Worker it is from: name BASE",
            "cf-buildlogs diff FILE BASE (a build or another file)",
        )
    before = parse_time(build.created_on)
    same: list[Build] = []
    other: list[Build] = []
    builds = session.client.worker_builds(
        session.account_id, build.worker_tag, per_page=50, max_pages=4
    )
    for candidate in builds:
        created = parse_time(candidate.created_on)
        if candidate.build_uuid == build.build_uuid or candidate.outcome != "success":
            continue
        if before is not None and (created is None or created >= before):
            continue
        mine = build.branch is not None and candidate.branch == build.branch
        (same if mine else other).append(candidate)
        if len(same) >= count:
            break
    chosen = (same or other)[:count]
    if not chosen:
        raise NotFoundError(
            f"no build of Worker {build.worker_tag} succeeded before build {build.build_uuid}",
            "name one to compare with: cf-buildlogs diff BUILD BASE",
        )
    return [Source(b.build_uuid, b) for b in chosen]


class Baselines(NamedTuple):
    """The good builds' logs as a comparison needs them."""

    sources: list[Source]
    known: Index
    versions: dict[str, str]  # the newest one's tool versions
    phases: list[PhaseReport]  # the newest one's phases
    kept: list[Tracked] | None  # the newest one's lines, for --both


def read_baselines(
    session: Session,
    env: Env,
    bases: list[Source],
    *,
    redact: bool = False,
    as_text: bool = False,
    keep: bool = False,
) -> Baselines:
    """Each base's log read into one index; the newest one's versions, phases (and lines)."""
    known = Index(Forms())
    newest: Baselines | None = None
    for base in bases:
        sink = _Sink(known, keep=keep and newest is None, versions=newest is None)
        pipeline = Pipeline(sink, Discard(), redact=redact)
        _read(session, env, base, pipeline, as_text)
        if newest is None:
            phases = report(pipeline.tracker, base.build)
            newest = Baselines(bases, known, sink.versions.found, phases, sink.kept)
    assert newest is not None
    return newest


class Comparing:
    """A log being compared as it is read: the sink of its pipeline."""

    def __init__(self, baselines: Baselines, context: int = 0) -> None:
        self.baselines = baselines
        self.finder = Finder(baselines.known, context, keep=baselines.kept is not None)
        self.sink = _Sink(self.finder)

    def result(self, build: Source, tracker: Tracker) -> Diff:
        base = self.baselines
        finder = self.finder
        return Diff(
            build,
            base.sources,
            changes(base.versions, self.sink.versions.found),
            phase_changes(report(tracker, build.build), base.phases),
            finder.shown,
            finder.new,
            finder.missing(base.kept) if base.kept is not None else [],
        )


def compare(
    session: Session, env: Env, opts: DiffOptions, build: Source, bases: list[Source]
) -> Diff:
    markdown = opts.output is SummaryFormat.MARKDOWN
    baselines = read_baselines(
        session, env, bases, redact=markdown, as_text=opts.as_text, keep=opts.both
    )
    comparing = Comparing(baselines, opts.context)
    pipeline = Pipeline(comparing.sink, Discard(), redact=markdown)
    _read(session, env, build, pipeline, opts.as_text)
    return comparing.result(build, pipeline.tracker)


def phase_changes(now: list[PhaseReport], then: list[PhaseReport]) -> list[PhaseChange]:
    before = {p.name: p.duration for p in then if p.duration is not None}
    out = []
    for phase in now:
        base = before.get(phase.name)
        if phase.duration is None or base is None:
            continue
        moved = abs(phase.duration - base)
        if moved > SLOWER * base and moved > SLOWER_SECONDS:
            out.append(PhaseChange(phase.name, phase.duration, base))
    return out


def _read(session: Session, env: Env, source: Source, pipeline: Pipeline, as_text: bool) -> None:
    if source.path is None:
        assert source.build is not None
        uuid = source.build.build_uuid
        read_whole(session, uuid, source.build, stored_entry(session, uuid), pipeline)
        return
    from ..store.saved import read_saved
    from .view import opened

    with opened(source.path, env) as stream:
        _saved, pages = read_saved(stream, source.label, as_text=as_text)
        copy_pages(pages, pipeline)
