"""One `run_*(options, env) -> ExitCode` per command: orchestration only.

No parsing (that is `cli.py`), no HTTP details (that is `api/`), no formatting (`render.py`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from . import config
from .buildref import BuildRef, dashboard_url
from .env import Env
from .errors import AuthError, ExitCode, NotFoundError, UsageError
from .follow import Clock, Poller
from .models import Build
from .pipeline import Collector, Discard, Output, Pipeline
from .reading import (
    Reading,
    close_output,
    copy_pages,
    fetch,
    follow_builds,
    kept_build,
    read_whole,
)
from .render import (
    NdjsonWriter,
    OutputFormat,
    SummaryFormat,
    TextWriter,
    TimestampMode,
    Writer,
    assert_never,
    make_writer,
)
from .session import ApiOptions, Session, open_session
from .status import Spinner, build_record, write_summary
from .untrusted import field, shortened

if TYPE_CHECKING:
    from .store import Kept

DEFAULT_WAIT = 45 * 60.0  # builds time out after 20 minutes; queues and stuck builds exist
TAG_RE = re.compile(r"[0-9a-f]{32}")


class LogOptions(NamedTuple):
    output: OutputFormat = OutputFormat.TEXT
    timestamps: TimestampMode = TimestampMode.LOCAL
    color: str = "auto"
    tail: int | None = None
    follow: bool = False
    interval: float = 2.0
    timeout: float = DEFAULT_WAIT
    exit_status: bool = False
    errors: bool = False
    context: int = 3
    phases: frozenset[str] | None = None
    redact: bool = False
    summary: SummaryFormat | None = None  # print the summary instead of the log


class Target(NamedTuple):
    """The build to read, and what is known of its Worker: `label` to show, `name` for the
    dashboard URL (a tag is no name), `environment` from a dashboard URL."""

    build_uuid: str
    label: str | None = None
    name: str | None = None
    environment: str | None = None

    @classmethod
    def of(cls, ref: BuildRef) -> Target:
        return cls(ref.uuid, ref.worker, ref.worker, ref.environment)


class GetOptions(NamedTuple):
    build: BuildRef
    api: ApiOptions = ApiOptions()
    log: LogOptions = LogOptions()


class LatestOptions(NamedTuple):
    workers: tuple[str, ...] = ()  # names or tags; none: the folder's, or every one with all_
    all_workers: bool = False
    branch: str | None = None
    commit: str | None = None
    wait: bool = False
    api: ApiOptions = ApiOptions()
    log: LogOptions = LogOptions()


class ListOptions(NamedTuple):
    worker: str | None = None
    branch: str | None = None
    limit: int = 20
    output: OutputFormat = OutputFormat.TEXT
    color: str = "auto"
    api: ApiOptions = ApiOptions()


# -- printing a log ----------------------------------------------------------------------------


def make_poller(session: Session, env: Env, opts: LogOptions, what: str) -> Poller:
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


def _exit_for(build: Build) -> ExitCode:
    return ExitCode.OK if build.succeeded else ExitCode.BUILD_FAILED


def open_output(
    env: Env, opts: LogOptions, build_uuid: str | None, worker: tuple[str, str] | None = None
) -> Output:
    """The writer for the format, behind the pipeline when anything needs line numbers or
    phases: JSON forms, filters, redaction, a terminal's view, or a followed build's end.
    `worker` (its text prefix, its name) when several Workers are printed at once."""
    terminal = opts.output is OutputFormat.TEXT and env.stdout_tty and worker is None
    color = env.color(opts.color)
    writer: Writer
    if worker is not None and opts.output is OutputFormat.TEXT:
        writer = TextWriter(env.stdout, opts.timestamps, color, opts.follow, opts.errors, worker[0])
    elif worker is not None and opts.output is OutputFormat.NDJSON:
        writer = NdjsonWriter(env.stdout, {"worker": worker[1], "build_uuid": build_uuid or ""})
    elif terminal:
        from .terminal import TerminalWriter

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
        )
    # Several Workers: each one's failed phase closes the command's report.
    track = terminal or opts.follow or opts.output is not OutputFormat.TEXT or worker is not None
    return Output(
        writer,
        track=track or opts.errors or opts.redact or opts.phases is not None,
        tail=opts.tail,
        redact=opts.redact,
        phases=opts.phases,
        context=opts.context if opts.errors else None,
        collector=Collector(0) if opts.follow else None,
    )


def print_log(session: Session, env: Env, target: Target, opts: LogOptions) -> ExitCode:
    """The log to stdout; with --follow or --exit-status, the build's outcome as the status.
    A kept build is printed from the local store, with no request at all."""
    build_uuid = target.build_uuid
    kept = kept_build(session, build_uuid)
    if opts.summary is not None:
        status = kept.build if kept else _build(session, build_uuid)
        return print_summary(session, env, target, status, opts, kept)
    out = open_output(env, opts, build_uuid)
    reading = Reading(lambda _uuid: out)
    reading.uuid, reading.checked = build_uuid, True
    try:
        if kept is not None:
            reading.build = kept.build
            copy_pages(kept.pages(), out)
        elif opts.follow:
            poller = make_poller(session, env, opts, f"build {build_uuid} is still running")
            follow_builds(session, poller, [reading], spinner=Spinner(env))
        else:
            # The status first: a build seen stopped has all its lines, so the log read next
            # is its whole log (and may be kept).
            if opts.exit_status or session.store is not None:
                reading.build = _build(session, build_uuid)
            reading.keeper = fetch(session, build_uuid, reading.build, out)
    except BaseException:
        if reading.keeper is not None:
            reading.keeper.discard()
            reading.keeper = None
        raise
    finally:
        if not reading.ended:  # a plain read says nothing of the build, kept or asked for
            close_output(out, reading.build if opts.follow or opts.exit_status else None)
    if reading.keeper is not None and reading.build is not None:
        reading.keeper.commit(reading.build)  # after the last byte reached its reader
    shown = reading.build if opts.follow or opts.exit_status else None
    return _after_log(session, env, target, opts, out, shown)


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
    write_summary(env, build, out.lines_read, target.label)
    _failure_detail(env, session, target, build, out)
    return _exit_for(build)


def _build(session: Session, build_uuid: str) -> Build:
    return session.client.get_build(session.account_id, build_uuid)


def _in_phases(opts: LogOptions) -> str:
    return f" (phases {', '.join(sorted(opts.phases))})" if opts.phases else ""


def _failure_detail(env: Env, session: Session, target: Target, build: Build, out: Output) -> None:
    """Under a followed build's summary: where it failed and its first error line, and the
    dashboard link when the Worker's name is known."""
    collector = out.collector
    if collector is not None and out.tracker is not None and not build.succeeded:
        from .phases import FAILED_OUTCOMES

        phase = out.tracker.phase if build.outcome in FAILED_OUTCOMES else None
        first = collector.first_error(phase)
        where = f"failed in phase {phase}" if phase else "first error"
        if first is not None:
            env.error_line(f"  {where}: {shortened(field(first[3]), 200)} (line {first[4]})")
        elif phase:
            env.error_line(f"  {where}; no error line found")
    url = dashboard_url(session.account_id, target.name, build.build_uuid, target.environment)
    if url is not None and collector is not None:
        env.error_line(f"  {url}")


def run_get(opts: GetOptions, env: Env) -> ExitCode:
    """Print one build's log, or its summary (`summary`, `get --summary`: `opts.log.summary`)."""
    with open_session(opts.api, env) as session:
        return print_log(session, env, Target.of(opts.build), opts.log)


# -- summaries ---------------------------------------------------------------------------------


def print_summary(
    session: Session,
    env: Env,
    target: Target,
    build: Build,
    opts: LogOptions,
    kept: Kept | None = None,
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
    if opts.exit_status and build.stopped:
        return _exit_for(build)
    return ExitCode.OK


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
    from .summary import draw, make_summary, to_json, to_markdown, to_text

    assert pipeline.collector is not None
    summary = make_summary(
        build_uuid,
        build,
        pipeline.tracker,
        pipeline.collector,
        account_id=account_id,
        worker=worker,
        environment=environment,
    )
    fmt = opts.summary or SummaryFormat.TEXT
    if fmt is SummaryFormat.JSON:
        env.stdout.write(json.dumps(to_json(summary), indent=2, ensure_ascii=False) + "\n")
    elif fmt is SummaryFormat.MARKDOWN:
        env.stdout.write(to_markdown(summary))
    elif fmt is SummaryFormat.TEXT:
        if env.stdout_tty:
            draw(summary, env.stdout, env.color(opts.color), env.width)
        else:
            env.stdout.write(to_text(summary))
    else:
        assert_never(fmt)
    env.stdout.flush()


# -- finding builds by Worker ------------------------------------------------------------------


class Worker(NamedTuple):
    name: str | None
    tag: str

    @property
    def label(self) -> str:
        return self.name or self.tag


def worker_from_folder(env: Env) -> str:
    """The Worker named by the nearest wrangler configuration, for commands given none."""
    from .wrangler import find_config

    found = find_config(env.cwd)
    if found is None:
        raise UsageError(
            "no WORKER given, and no wrangler.json, wrangler.jsonc or wrangler.toml found from "
            "here up to the repository root",
            "name the Worker (or its 32-hex tag), or run this from the Worker's folder",
        )
    if found.name is None:
        raise UsageError(f"{found.path} has no top-level `name`", "name the Worker explicitly")
    return found.name


def resolve_worker(session: Session, given: str | None, env: Env) -> Worker:
    """A Worker's tag, from a tag, a name (through the scripts list), or the folder."""
    return resolve_workers(session, [given or worker_from_folder(env)])[0]


def resolve_workers(session: Session, names: Sequence[str]) -> list[Worker]:
    """Each Worker's tag: a tag as given, names through one read of the scripts list."""
    tags: dict[str, str] = {}
    named = [n for n in names if not TAG_RE.fullmatch(n.lower())]
    if named:
        try:
            scripts = session.client.list_scripts(session.account_id)
        except AuthError as exc:
            raise AuthError(
                f"cannot map the Worker name {named[0]!r} to its tag: {exc.message}",
                'the token also needs "Workers Scripts Read" to use names; or pass the '
                "Worker's 32-hex tag (dashboard: Workers & Pages, the Worker, Settings)",
            ) from exc
        tags = {script.name: script.tag for script in scripts}
    workers = []
    for name in names:
        if TAG_RE.fullmatch(name.lower()):
            workers.append(Worker(None, name.lower()))
        elif name in tags:
            workers.append(Worker(name, tags[name]))
        else:
            raise NotFoundError(
                f"no Worker named {name!r} in account {session.account_id}",
                "check the name and the account id",
            )
    return workers


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
    names = worker_names(opts, env)
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


def worker_names(opts: LatestOptions, env: Env) -> list[str]:
    """The Workers named, or with --all every one named under the repository root, each once."""
    if not opts.all_workers:
        return list(dict.fromkeys(opts.workers)) or [worker_from_folder(env)]
    from .wrangler import find_all, repository_root

    root = repository_root(env.cwd)
    configs = find_all(root)
    names = list(dict.fromkeys(c.name for c in configs if c.name))
    if not names:
        raise UsageError(
            f"--all found no Worker: no wrangler.json, wrangler.jsonc or wrangler.toml with a "
            f"`name` under {root}",
            "name the Workers, or run this inside the repository",
        )
    return names


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
    poller = make_poller(session, env, opts.log, f"no sign yet of {wanted}")
    spinner = Spinner(env)
    spinner.show(f"waiting for {wanted}…")
    try:
        while any(b is None for b in found):
            poller.wait(active=False)
            found = [
                b or newest_build(session, w, opts, commit)
                for w, b in zip(workers, found, strict=True)
            ]
    finally:
        spinner.stop()
    return [b for b in found if b is not None]


# -- listing builds ----------------------------------------------------------------------------


def run_list(opts: ListOptions, env: Env) -> ExitCode:
    """A Worker's recent builds, newest first."""
    with open_session(opts.api, env) as session:
        worker = resolve_worker(session, opts.worker, env)
        per_page = 200 if opts.branch else min(max(opts.limit, 1), 200)
        builds: list[Build] = []
        for build in session.client.worker_builds(
            session.account_id, worker.tag, per_page=per_page, max_pages=100
        ):
            if opts.branch is None or build.branch == opts.branch:
                builds.append(build)
                if len(builds) >= opts.limit:  # before the generator asks for another page
                    break
    _write_builds(env, builds, worker, opts)
    return ExitCode.OK


def _write_builds(env: Env, builds: list[Build], worker: Worker, opts: ListOptions) -> None:
    if opts.output is OutputFormat.JSON:
        records = [build_record(b, worker.name) for b in builds]
        env.stdout.write(json.dumps(records, indent=2) + "\n")
    elif opts.output is OutputFormat.NDJSON:
        env.stdout.write("".join(json.dumps(build_record(b, worker.name)) + "\n" for b in builds))
    elif env.stdout_tty:
        from .table import builds_table

        builds_table(env, builds, color=env.color(opts.color))
    else:
        from .table import builds_tsv

        env.stdout.write(builds_tsv(builds))
    env.stdout.flush()


# -- the demo ----------------------------------------------------------------------------------


def run_demo(env: Env, log: LogOptions | None = None, failed: bool = False) -> ExitCode:
    """The real `get` (or `summary`) against the built-in fake API, with no account and no
    token; `failed` plays a build that fails in its deploy step."""
    from . import fake_api

    log = log or LogOptions()
    state = fake_api.demo_state(live=log.follow, clock=env.monotonic, failed=failed)
    with fake_api.serve(state) as server:
        environ = {
            **{k: v for k, v in env.environ.items() if not k.startswith(("CLOUDFLARE_", "CF_"))},
            config.ENV_TOKEN: fake_api.DEMO_TOKEN,
            config.ENV_CONFIG_DIR: str(server.scratch_dir),
            config.ENV_NO_CACHE: "1",  # the fake's builds are not worth keeping
        }
        demo_env = env.replace(environ=environ)
        if env.stderr_tty:
            env.error_line(f"demo: a fake Cloudflare API is serving on {server.url}")
        uuid = fake_api.DEMO_FAILED_BUILD if failed else fake_api.DEMO_BUILD
        build = BuildRef(uuid, fake_api.DEMO_ACCOUNT, "my-worker", "production")
        api = ApiOptions(api_url=server.url)
        code = run_get(GetOptions(build, api, log), demo_env)  # --summary is print_log's
    command = "summary" if log.summary is not None else "get"
    env.error_line(
        f"\nThat was the real `{command}` against a built-in fake of the Cloudflare API. For your"
        " own builds:\n  export CLOUDFLARE_API_TOKEN=...   # a user API token with"
        f' "Workers CI Read"\n  cf-buildlogs {command} BUILD_UUID'
    )
    return code
