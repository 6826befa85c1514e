"""`view FILE|-`: a saved log rendered as `get` renders it (README, "view")."""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Iterable, Iterator
from typing import TextIO

from ..analysis.pipeline import Pipeline
from ..analysis.untrusted import field
from ..env import Env
from ..errors import ExitCode, UsageError
from ..models import Build, LogLine, PageLines
from ..output.formats import OutputFormat, SummaryFormat
from ..output.palette import prefixes
from ..output.stream import Output
from ..store.saved import Part, Saved, read_saved, read_workers, several
from .options import LogOptions, ViewOptions
from .reading import close_output, copy_pages, open_output, shared_spans
from .summary import summarize, summary_pipeline


@contextlib.contextmanager
def opened(source: str, env: Env) -> Iterator[TextIO]:
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
    with opened(opts.source, env) as source:
        opening, stream = _peeked(source)
        if not opts.as_text and several(
            _record(opening)
        ):  # `latest A B --ndjson`: each build kept apart
            return _view_workers(env, opts.log, read_workers(enumerate(stream, 1), name))
        saved, pages = read_saved(stream, name, opts.as_text)
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
    env: Env, pages: Iterator[PageLines | list[LogLine]], saved: Saved, opts: LogOptions
) -> ExitCode:
    pipeline = summary_pipeline(opts)
    copy_pages(pages, pipeline)
    summarize(env, pipeline, saved.build_uuid or "", _build_of(saved), opts)
    return ExitCode.OK


def _peeked(source: Iterable[str]) -> tuple[str, Iterator[str]]:
    """The first line that is not blank, and every line, that one included."""
    head: list[str] = []
    for text in source:
        head.append(text)
        if text.strip():
            break
    return (head[-1] if head else ""), itertools.chain(head, source)


def _record(text: str) -> object:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _view_workers(env: Env, opts: LogOptions, parts: Iterator[Part]) -> ExitCode:
    """Each Worker's build of a several-Workers file printed apart: text lines with the
    Worker's name before them (padded to the longest name seen so far), ndjson records that
    keep `worker` and `build_uuid`; with --summary, one summary a build, in the file's order."""
    outputs: dict[tuple[str, str | None], Output | Pipeline] = {}
    ends: dict[tuple[str, str | None], Saved] = {}
    width = 0
    spans = shared_spans(opts)
    for part in parts:
        key = (part.worker, part.build_uuid)
        width = max(width, len(field(part.worker)))
        out = outputs.get(key)
        if out is None:
            prefix = prefixes([field(part.worker).ljust(width)], env.color(opts.color))[0]
            out = outputs[key] = (
                summary_pipeline(opts)
                if opts.summary is not None
                else open_output(
                    env, opts, part.build_uuid, worker=part.worker, prefix=prefix, spans=spans
                )
            )
        if part.lines:
            out.write(part.lines)
        if part.end is not None:
            ends[key] = part.end
            if isinstance(out, Output):
                out.release_tail()
                keep = opts.output is OutputFormat.NDJSON
                close_output(out, _build_of(part.end) if keep else None)
    for key, out in outputs.items():
        if isinstance(out, Pipeline):
            saved = ends.get(key, Saved(build_uuid=key[1]))
            build = _build_of(saved)
            if key != next(iter(outputs)) and opts.summary is not SummaryFormat.JSON:
                env.stdout.write("\n")  # apart, as `latest A B --summary` prints them
            summarize(env, out, key[1] or "", build, opts, worker=key[0])
        elif key not in ends:
            out.release_tail()
            close_output(out, None)
    return ExitCode.OK
