"""Reading one build or several into their outputs: the one path every command that prints a
log takes, whether it reads one build (`get`, `latest`) or a push's every Worker.

A stopped build kept in the local store is printed from it with no request; any other is
fetched (overlapped with writing) or followed, and kept once it has stopped and its whole log
reached its reader. Several builds are followed in one loop on one budget (`follow.follow`),
builds still to be found (`--wait`) join it as they appear, and each build's output ends as
soon as that build does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import closing
from typing import TYPE_CHECKING

from ..analysis.pipeline import Collector, Pipeline
from ..env import Env
from ..errors import ExitCode
from ..live.follow import Clock, Finished, Poller, follow
from ..live.paging import LogSource, read_log
from ..live.prefetch import prefetch
from ..models import Build, LogLine, LogPage, PageLines
from ..output.formats import CiMode, OutputFormat, make_writer
from ..output.stderr import Spinner, waiting_text
from ..output.stream import Output
from ..output.writers import BuildEnd, Writer
from ..settings.session import Session
from .options import LogOptions

if TYPE_CHECKING:
    from ..output.ci import Spans
    from ..store.entries import Entry
    from ..store.writing import EntryWriter


class Reading:
    """One build being read into its output. `uuid` is None while the build is still to be
    found; `build` is its last known state; `out` is opened by `opener` once the build is
    known; `entry` is the store's entry being written while the log comes from the API
    (`checked` once the store was asked); `ended` once its output was closed."""

    __slots__ = ("build", "checked", "ended", "entry", "opener", "out", "uuid")

    def __init__(self, opener: Callable[[str], Output], build: Build | None = None) -> None:
        self.opener, self.build = opener, build
        self.uuid = None if build is None else build.build_uuid
        self.out: Output | None = None
        self.entry: EntryWriter | None = None
        self.checked = self.ended = False

    def output(self) -> Output:
        if self.out is None:
            assert self.uuid is not None
            self.out = self.opener(self.uuid)
        return self.out


def stored_entry(session: Session, build_uuid: str) -> Entry | None:
    store = session.store
    if store is None:
        return None
    kept = store.read(session.api_url, session.account_id, build_uuid)
    if kept is not None and session.opts.verbose:
        session.env.error_line(f"store: build {build_uuid} read from {kept.path} (no request)")
    return kept


def entry_writer(session: Session, build_uuid: str) -> EntryWriter | None:
    store = session.store
    if store is None:
        return None
    return store.writer(session.api_url, session.account_id, build_uuid)


def close_output(out: Output, build: Build | None) -> None:
    """Finish the output; with the build's end (ndjson's end record) when it has stopped."""
    end = None
    if build is not None and build.stopped:
        end = BuildEnd(build.build_uuid, build.status.value, build.outcome, out.writer.count)
    out.writer.close(end)


def copy_pages(pages: Iterable[PageLines | list[LogLine]], out: Output | Pipeline) -> None:
    """Every page to `out`, as it came."""
    for lines in pages:
        out.write(lines)
    if isinstance(out, Output):
        out.release_tail()


def fetch(
    session: Session, build_uuid: str, build: Build | None, out: Output | Pipeline
) -> EntryWriter | None:
    """The log from the API to `out`, overlapped; when `build` (its state, read first) has
    stopped, the log is also kept: the caller commits the returned entry once the read has
    reached its reader whole."""
    entry = entry_writer(session, build_uuid) if build is not None and build.stopped else None
    client = session.client
    source: LogSource = client if entry is None else _Keeping(client, entry)
    try:
        with closing(
            prefetch(read_log(source, session.account_id, build_uuid), sent=client.sent)
        ) as pages:
            copy_pages(pages, out)
    except BaseException:
        if entry is not None:
            entry.discard()
        raise
    return entry


class _Keeping:
    """A log source whose every page also goes to the store's entry, as the API sent it, from
    whichever thread fetches it. `read_log` reads from the beginning and yields every page
    whole, so the entry holds what was printed; a read that fails after a page was added
    discards the entry."""

    def __init__(self, source: LogSource, entry: EntryWriter) -> None:
        self.source, self.entry = source, entry

    def get_log_page(self, account_id: str, build_uuid: str, cursor: str | None) -> LogPage:
        page = self.source.get_log_page(account_id, build_uuid, cursor)
        self.entry.add_answer(page.body, page.lines)
        return page


def read_whole(
    session: Session, build_uuid: str, build: Build, kept: Entry | None, out: Output | Pipeline
) -> None:
    """A build's whole log to `out`: the kept one when there is one, else from the API (and
    kept, when the build has stopped)."""
    if kept is not None:
        copy_pages(kept.pages(), out)
        return
    entry = fetch(session, build_uuid, build, out)
    if entry is not None:
        entry.commit(build)


def read_now(session: Session, reading: Reading) -> None:
    """The build's log as it is now, from the store when kept; its output ends at once."""
    assert reading.build is not None and reading.uuid is not None
    kept = stored_entry(session, reading.uuid)
    read_whole(session, reading.uuid, reading.build, kept, reading.output())
    if kept is not None:
        reading.build = kept.build
    end(reading)


def end(reading: Reading) -> None:
    """Close the build's output (its end record, when it has stopped), then keep its log:
    after the last byte reached its reader, so a read cut short is not kept."""
    close_output(reading.output(), reading.build)
    reading.ended = True
    if reading.entry is not None and reading.build is not None and reading.build.stopped:
        reading.entry.commit(reading.build)
    reading.entry = None


def follow_builds(
    session: Session,
    poller: Poller,
    readings: Sequence[Reading],
    *,
    find: Callable[[Reading], Build | None] | None = None,
    spinner: Spinner | None = None,
) -> None:
    """Follow every reading to its build's end, at once, on the poller's one budget: a build
    kept in the store is printed from it with no request; a reading with no build yet asks
    `find` on its own schedule and joins when found. WaitTimeout when the poller's time is up
    (the outputs still open are the caller's to close)."""
    live = [r for r in readings if r.uuid is None or not _from_store(session, r)]
    try:
        _follow(session, poller, live, find, spinner)
    except BaseException:
        for reading in live:
            if reading.entry is not None:
                reading.entry.discard()
                reading.entry = None
        raise
    finally:
        if spinner is not None:
            spinner.stop()


def _from_store(session: Session, reading: Reading) -> bool:
    """Print a kept build from the store and end it (True), or make ready to keep it."""
    assert reading.uuid is not None
    kept = None if reading.checked else stored_entry(session, reading.uuid)
    reading.checked = True
    if kept is None:
        reading.entry = reading.entry or entry_writer(session, reading.uuid)
        return False
    reading.build = kept.build
    copy_pages(kept.pages(), reading.output())
    end(reading)
    return True


def _follow(
    session: Session,
    poller: Poller,
    live: list[Reading],
    find: Callable[[Reading], Build | None] | None,
    spinner: Spinner | None,
) -> None:
    def finder(index: int) -> tuple[bool, str | None]:
        assert find is not None
        reading = live[index]
        found = find(reading)
        if found is None:
            return False, None
        reading.build, reading.uuid = found, found.build_uuid
        return True, None if _from_store(session, reading) else found.build_uuid

    client = session.client
    uuids = [r.uuid for r in live]
    events = follow(client, session.account_id, uuids, poller, finder if find else None)
    with closing(prefetch(events, sent=client.sent)) as stream:
        for index, event in stream:
            reading = live[index]
            out = reading.output()
            if isinstance(event, list):
                if spinner is not None:
                    spinner.stop()
                out.write(event)
                if reading.entry is not None:
                    reading.entry.add(event)  # every line once, in order: the whole log
                continue
            out.release_tail()  # caught up: the last N lines so far, then everything new
            if isinstance(event, Finished):
                reading.build = event.build
                end(reading)
            elif event.build is not None:
                reading.build = event.build
                if spinner is not None and event.quiet and out.writer.count == 0:
                    spinner.show(waiting_text(event.build))


def make_poller(session: Session, env: Env, opts: LogOptions, what: Callable[[], str]) -> Poller:
    """The poller of a command that waits; `--timeout` counts from the first one made and
    bounds the API client too (retry pauses, requests in flight): the whole command."""
    clock = Clock(env.monotonic, env.sleep)
    client = session.client
    poller = Poller(
        clock,
        opts.interval,
        opts.timeout,
        lambda: client.requests,
        what,
        session.deadline(opts.timeout),
    )
    client.deadline, client.expired = poller.deadline, poller.expired
    return poller


def exit_for(build: Build, deployed: bool | None = None, require_deploy: bool = False) -> ExitCode:
    """A stopped build's exit status; with --require-deploy, a success that deployed nothing
    (no version id in its log, or skipped) is exit 7 (README, "What was deployed")."""
    if not build.succeeded:
        return ExitCode.BUILD_FAILED
    return ExitCode.NOT_DEPLOYED if require_deploy and deployed is not True else ExitCode.OK


def open_output(
    env: Env,
    opts: LogOptions,
    build_uuid: str | None,
    *,
    worker: str | None = None,
    prefix: str = "",
    spans: Spans | None = None,
) -> Output:
    """The writer for the format, behind the pipeline when anything needs line numbers or
    phases: JSON forms, filters, redaction, a terminal's view, CI's groups, or the build's end
    (its failure, what it deployed). `worker` (and its text `prefix`) when several Workers
    are printed at once, their CI groups in one `spans`."""
    ci = opts.ci if opts.output is OutputFormat.TEXT else CiMode.NONE
    terminal = opts.output is OutputFormat.TEXT and env.stdout_tty and worker is None
    color = env.color(opts.color)
    writer: Writer
    if ci is not CiMode.NONE:
        writer = _ci_writer(env, opts, ci, color, prefix, worker, spans)
    elif terminal:
        from ..output.terminal import TerminalWriter

        writer = TerminalWriter(
            env.stdout, opts.timestamps, color, env.width, opts.follow, separators=opts.errors
        )
    else:
        writer = make_writer(
            opts.output,
            env.stdout,
            build_uuid=build_uuid,
            mode=opts.timestamps,
            color=color,
            flush=opts.follow,
            separators=opts.errors,
            prefix=prefix,
            extra=None if worker is None else {"worker": worker, "build_uuid": build_uuid or ""},
        )
    # The build's end is told (what failed, what it deployed): with --follow, --exit-status,
    # and for several Workers, whose report ends the command.
    ends = opts.follow or opts.exit_status or worker is not None
    track = terminal or ends or ci is not CiMode.NONE
    track = track or opts.output is not OutputFormat.TEXT or opts.errors or opts.redact
    # The step summary of a failed build shows its error lines with context.
    context = opts.context if opts.ci is CiMode.GITHUB else 0
    return Output(
        writer,
        track=track or opts.phases is not None,
        tail=opts.tail,
        redact=opts.redact,
        phases=opts.phases,
        context=opts.context if opts.errors else None,
        collector=Collector(context) if ends else None,
    )


def shared_spans(opts: LogOptions) -> Spans | None:
    """For several Workers' outputs on the one stdout: one CI group or section open at a time."""
    if opts.ci is CiMode.NONE:
        return None
    from ..output.ci import Spans

    return Spans()


def _ci_writer(
    env: Env,
    opts: LogOptions,
    ci: CiMode,
    color: bool,
    prefix: str,
    worker: str | None,
    spans: Spans | None,
) -> Writer:
    from ..output.ci import GithubWriter, GitlabWriter, Spans

    kind = GithubWriter if ci is CiMode.GITHUB else GitlabWriter
    return kind(
        env.stdout,
        opts.timestamps,
        color,
        opts.follow,
        opts.errors,
        prefix,
        spans=spans or Spans(),
        worker=worker,
        now=env.now,
    )
