"""One `run_*(options, env) -> ExitCode` per command: orchestration only.

No parsing (that is `cli.py`), no HTTP details (that is `api/`), no formatting (`render.py`).
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field

from . import config
from .env import Env
from .errors import AuthError, ExitCode, NotFoundError, UsageError
from .follow import Clock, Finished, Poller, follow, read_log
from .models import Build
from .render import BuildEnd, OutputFormat, TailBuffer, TimestampMode, Writer, make_writer
from .session import ApiOptions, Session, open_session
from .status import Spinner, build_record, waiting_text, write_summary
from .wrangler import find_config

DEFAULT_WAIT = 45 * 60.0  # builds time out after 20 minutes; queues and stuck builds exist
TAG_RE = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class LogOptions:
    output: OutputFormat = OutputFormat.TEXT
    timestamps: TimestampMode = TimestampMode.LOCAL
    color: str = "auto"
    tail: int | None = None
    follow: bool = False
    interval: float = 2.0
    timeout: float = DEFAULT_WAIT
    exit_status: bool = False


@dataclass(frozen=True)
class GetOptions:
    build_uuid: str
    api: ApiOptions = field(default_factory=ApiOptions)
    log: LogOptions = LogOptions()


@dataclass(frozen=True)
class LatestOptions:
    worker: str | None = None
    branch: str | None = None
    commit: str | None = None
    wait: bool = False
    api: ApiOptions = field(default_factory=ApiOptions)
    log: LogOptions = LogOptions()


@dataclass(frozen=True)
class ListOptions:
    worker: str | None = None
    branch: str | None = None
    limit: int = 20
    output: OutputFormat = OutputFormat.TEXT
    color: str = "auto"
    api: ApiOptions = field(default_factory=ApiOptions)


# -- printing a log ----------------------------------------------------------------------------


def _poller(session: Session, env: Env, opts: LogOptions, what: str) -> Poller:
    clock = Clock(env.monotonic, env.sleep)
    return Poller(clock, opts.interval, opts.timeout, lambda: session.client.requests, what)


def _exit_for(build: Build) -> ExitCode:
    return ExitCode.OK if build.succeeded else ExitCode.BUILD_FAILED


def print_log(
    session: Session, env: Env, build_uuid: str, opts: LogOptions, worker: str | None = None
) -> ExitCode:
    """The log to stdout; with --follow or --exit-status, the build's outcome as the status."""
    writer = make_writer(
        opts.output,
        env.stdout,
        build_uuid=build_uuid,
        mode=opts.timestamps,
        color=env.color(opts.color),
        flush=opts.follow,
    )
    build: Build | None = None
    try:
        if opts.follow:
            build = _follow(session, env, build_uuid, opts, writer)
        else:
            # The status first: a build seen stopped has all its lines, so the log read next
            # is its whole log.
            if opts.exit_status:
                build = session.client.get_build(session.account_id, build_uuid)
            _read(session, build_uuid, opts, writer)
    finally:
        end = None
        if build is not None and build.stopped:
            end = BuildEnd(build_uuid, build.status.value, build.outcome, writer.count)
        writer.close(end)
    if build is None:
        return ExitCode.OK
    if not build.stopped:
        env.error_line(
            f"note: build {build_uuid} is still {build.status.value}; "
            "use --follow to wait for its outcome"
        )
        return ExitCode.OK
    write_summary(env, build, writer.count, worker)
    return _exit_for(build)


def _read(session: Session, build_uuid: str, opts: LogOptions, writer: Writer) -> None:
    sink = TailBuffer(writer, opts.tail) if opts.tail is not None else writer
    for lines in read_log(session.client, session.account_id, build_uuid):
        sink.write(lines)
    if isinstance(sink, TailBuffer):
        sink.release()


def _follow(session: Session, env: Env, build_uuid: str, opts: LogOptions, writer: Writer) -> Build:
    poller = _poller(session, env, opts, f"build {build_uuid} is still running")
    tail = TailBuffer(writer, opts.tail) if opts.tail is not None else None
    spinner = Spinner(env)
    try:
        for event in follow(session.client, session.account_id, build_uuid, poller):
            if isinstance(event, list):
                spinner.stop()
                (tail or writer).write(event)
                continue
            if tail is not None:  # caught up: the last N lines so far, then everything new
                tail.release()
                tail = None
            if isinstance(event, Finished):
                return event.build
            if event.build is not None:
                poller.what = f"build {build_uuid} is still {event.build.status.value}"
                if event.quiet and writer.count == 0:
                    spinner.show(waiting_text(event.build))
    finally:
        spinner.stop()
    raise AssertionError("follow ended without a Finished event")  # pragma: no cover


def run_get(opts: GetOptions, env: Env) -> ExitCode:
    """Print one build's log."""
    with open_session(opts.api, env) as session:
        return print_log(session, env, opts.build_uuid, opts.log)


# -- finding builds by Worker ------------------------------------------------------------------


@dataclass(frozen=True)
class Worker:
    name: str | None
    tag: str

    @property
    def label(self) -> str:
        return self.name or self.tag


def worker_from_folder(env: Env) -> str:
    """The Worker named by the nearest wrangler configuration, for commands given none."""
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
    name = given or worker_from_folder(env)
    if TAG_RE.fullmatch(name.lower()):
        return Worker(None, name.lower())
    try:
        scripts = session.client.list_scripts(session.account_id)
    except AuthError as exc:
        raise AuthError(
            f"cannot map the Worker name {name!r} to its tag: {exc.message}",
            'the token also needs "Workers Scripts Read" to use names; or pass the Worker\'s '
            "32-hex tag (dashboard: Workers & Pages, the Worker, Settings)",
        ) from exc
    for script in scripts:
        if script.name == name:
            return Worker(name, script.tag)
    raise NotFoundError(
        f"no Worker named {name!r} in account {session.account_id}",
        "check the name and the account id",
    )


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


def _describe(worker: Worker, opts: LatestOptions, commit: str | None) -> str:
    filters = [
        f"branch {opts.branch}" if opts.branch else "",
        f"commit {commit[:12]}" if commit else "",
    ]
    text = " and ".join(f for f in filters if f)
    return f"a build of {worker.label}" + (f" on {text}" if text else "")


def run_latest(opts: LatestOptions, env: Env) -> ExitCode:
    """Print the log of a Worker's newest build (matching --branch and --commit)."""
    commit = opts.commit
    if commit is not None and commit.upper() == "HEAD":
        commit = env.git_head()
    with open_session(opts.api, env) as session:
        worker = resolve_worker(session, opts.worker, env)
        build = newest_build(session, worker, opts, commit)
        if build is None and opts.wait:
            build = _wait_for_build(session, env, worker, opts, commit)
        if build is None:
            raise NotFoundError(
                f"no build found: {_describe(worker, opts, commit)}",
                "use --wait to wait for one to start",
            )
        if env.stderr_tty:
            env.error_line(f"build {build.build_uuid} ({build.status.value})")
        return print_log(session, env, build.build_uuid, opts.log, worker.label)


def _wait_for_build(
    session: Session, env: Env, worker: Worker, opts: LatestOptions, commit: str | None
) -> Build:
    wanted = _describe(worker, opts, commit)
    poller = _poller(session, env, opts.log, f"no sign yet of {wanted}")
    spinner = Spinner(env)
    spinner.show(f"waiting for {wanted}…")
    try:
        while True:
            poller.wait(active=False)
            build = newest_build(session, worker, opts, commit)
            if build is not None:
                return build
    finally:
        spinner.stop()


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


def run_demo(env: Env, log: LogOptions | None = None) -> ExitCode:
    """The real `get` against the built-in fake API, with no account and no token."""
    from . import fake_api

    log = log or LogOptions()
    state = fake_api.demo_state(live=log.follow, clock=env.monotonic)
    with fake_api.serve(state) as server:
        environ = {
            **{k: v for k, v in env.environ.items() if not k.startswith(("CLOUDFLARE_", "CF_"))},
            config.ENV_TOKEN: fake_api.DEMO_TOKEN,
            config.ENV_CONFIG_DIR: str(server.scratch_dir),
        }
        demo_env = dataclasses.replace(env, environ=environ)
        if env.stderr_tty:
            env.error_line(f"demo: a fake Cloudflare API is serving on {server.url}")
        opts = GetOptions(fake_api.DEMO_BUILD, ApiOptions(api_url=server.url), log)
        code = run_get(opts, demo_env)
    env.error_line(
        "\nThat was the real `get` against a built-in fake of the Cloudflare API. For your own"
        " builds:\n  export CLOUDFLARE_API_TOKEN=...   # a user API token with"
        ' "Workers CI Read"\n  cf-buildlogs get BUILD_UUID'
    )
    return code
