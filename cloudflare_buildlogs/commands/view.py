"""`view FILE|-`: a saved log rendered as `get` renders it (README, "view")."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from typing import TextIO

from ..env import Env
from ..errors import ExitCode, UsageError
from ..models import Build, LogLine
from ..output.formats import OutputFormat
from ..store.saved import Saved, read_saved
from .options import LogOptions, ViewOptions
from .reading import close_output, copy_pages, open_output
from .summary import summarize, summary_pipeline


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
    name = "<stdin>" if opts.source == "-" else opts.source
    with _opened(opts.source, env) as stream:
        saved, pages = read_saved(stream, name)
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
