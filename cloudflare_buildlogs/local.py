"""The commands that need no network: `view` of a saved log, and `cache` of the local store.

`view` renders through the same writers and pipeline as `get` (so `get --ndjson > f; view f`
prints what `get` prints); `cache` lists and clears what `store.py` keeps.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Iterator, Sequence
from typing import NamedTuple, TextIO

from . import config
from .commands import LogOptions, open_output, summarize, summary_pipeline
from .env import Env
from .errors import ExitCode, UsageError
from .models import Build, LogLine
from .reading import close_output, copy_pages
from .render import OutputFormat
from .saved import Saved, read_saved
from .session import ApiOptions, resolve
from .store import Store


class ViewOptions(NamedTuple):
    source: str  # a path, or "-" for standard input
    log: LogOptions


@contextlib.contextmanager
def _opened(source: str, env: Env) -> Iterator[TextIO]:
    if source == "-":
        if env.stdin is None:
            raise UsageError("view -: there is no standard input")
        yield env.stdin
        return
    try:
        handle = open(source, encoding="utf-8", errors="replace")  # noqa: SIM115
    except OSError as exc:
        raise UsageError(f"cannot read {source}: {exc.strerror}") from None
    with handle:
        yield handle


def _build_of(saved: Saved) -> Build | None:
    """What the file says of its build: only how it ended, when it says so."""
    if not saved.ended:
        return None
    record = {
        "build_uuid": saved.build_uuid,
        "status": saved.status,
        "build_outcome": saved.outcome,
    }
    return Build.from_api(record)


def run_view(opts: ViewOptions, env: Env) -> ExitCode:
    """Render a saved log with every rendering option of `get`; no network, no credentials."""
    saved = Saved()
    name = "<stdin>" if opts.source == "-" else opts.source
    with _opened(opts.source, env) as stream:
        pages = read_saved(stream, name, saved)
        if opts.log.summary is not None:
            return _view_summary(env, pages, saved, opts.log)
        first = next(pages, None)  # the build's uuid, when the file gives it first
        out = open_output(env, opts.log, saved.build_uuid)
        build = None
        try:
            # One pass over every page: --tail is released once, after the last of them.
            copy_pages(itertools.chain([first] if first else [], pages), out)
            if opts.log.output is OutputFormat.NDJSON:  # the file's end record, written again
                build = _build_of(saved)
        finally:
            close_output(out, build)
    if opts.log.errors and out.writer.count == 0:
        env.error_line(f"note: no error lines in {name}")
    return ExitCode.OK


def _view_summary(
    env: Env, pages: Iterator[list[LogLine]], saved: Saved, opts: LogOptions
) -> ExitCode:
    pipeline = summary_pipeline(opts)
    copy_pages(pages, pipeline)
    summarize(env, pipeline, saved.build_uuid or "", _build_of(saved), opts)
    return ExitCode.OK


# -- the store ---------------------------------------------------------------------------------


def _store(env: Env, opts: ApiOptions) -> tuple[Store, config.CacheSettings]:
    settings = resolve(opts, env)
    cache = settings.cache
    return Store(cache.directory, cache.max_bytes), cache


def run_cache_path(env: Env, opts: ApiOptions) -> ExitCode:
    store, cache = _store(env, opts)
    env.stdout.write(f"{store.directory}\n")
    if not cache.enabled:
        env.error_line(f"note: the store is off ({cache.source}): no log is kept")
    return ExitCode.OK


def run_cache_list(env: Env, opts: ApiOptions, as_json: bool) -> ExitCode:
    store, _ = _store(env, opts)
    entries = store.entries()
    if as_json:
        records = [
            {"build_uuid": e.build_uuid, "account_id": e.account_id, "worker_tag": e.worker_tag,
             "api_url": e.api_url, "lines": e.lines, "bytes": e.bytes, "kept_at": e.kept_at}
            for e in entries
        ]  # fmt: skip
        env.stdout.write(json.dumps(records, indent=2) + "\n")
        return ExitCode.OK
    rows = [("build_uuid", "worker_tag", "lines", "size", "kept_at")]
    rows += [
        (e.build_uuid, e.worker_tag or "-", str(e.lines), _size(e.bytes), e.kept_at)
        for e in entries
    ]
    sep = "  " if env.stdout_tty else "\t"
    widths = [max(len(r[i]) for r in rows) for i in range(5)] if env.stdout_tty else [0] * 5
    env.stdout.write(
        "".join(
            sep.join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() + "\n"
            for r in rows
        )
    )
    total = sum(e.bytes for e in entries)
    count = f"{len(entries)} kept build{'s' * (len(entries) != 1)}"
    env.error_line(f"{count}, {_size(total)} in {store.directory}")
    return ExitCode.OK


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KiB"
    return f"{count / 1024 / 1024:.1f} MiB"


def run_cache_clear(env: Env, opts: ApiOptions, builds: Sequence[str]) -> ExitCode:
    from .buildref import parse_build

    uuids = [parse_build(b).uuid for b in builds]  # every name checked before anything goes
    store, _ = _store(env, opts)
    removed = store.remove(uuids)
    what = "every kept build" if not uuids else f"{len(uuids)} build{'s' * (len(uuids) > 1)}"
    env.error_line(f"removed {removed} kept {'entry' if removed == 1 else 'entries'} ({what})")
    return ExitCode.OK
