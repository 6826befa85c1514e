"""What a CI job is given once its builds have stopped (README, "In CI"): GitHub annotations,
the step summary and the step outputs. Called by every command that tells a build's end
(`get`, `latest` with one Worker or several, their `--summary`), with the summaries it made.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..env import Env
from ..output.formats import CiMode, SummaryFormat
from .options import LogOptions

if TYPE_CHECKING:
    from ..output.summary import Summary


def tell_ci(env: Env, opts: LogOptions, summaries: Sequence[Summary], *, inline: bool) -> None:
    """Annotations, and the CI's files, for builds that have stopped. `inline`: the annotations
    follow the text log on stdout (its groups closed, in the same stream, so in order); else
    they go to stderr, where the tool opens no stop-commands span (JSON and summaries)."""
    stopped = [s for s in summaries if s.build is not None and s.build.stopped]
    if opts.ci is not CiMode.GITHUB or not stopped:
        return
    from ..analysis.redact import Redactor
    from ..output.ci import annotate, output_lines
    from ..output.summary import to_markdown

    redact = Redactor()
    text = "".join(annotate(s, redact) for s in stopped)
    if text:
        stream = env.stdout if inline else env.stderr
        stream.write(text)
        stream.flush()
    # `--summary -o markdown >> "$GITHUB_STEP_SUMMARY"`, the recipe of old, writes its own.
    if opts.summary is not SummaryFormat.MARKDOWN:
        markdown = "".join(to_markdown(s, _succeeded(s), redact) + "\n" for s in stopped)
        _append(env, "GITHUB_STEP_SUMMARY", markdown)
    _append(env, "GITHUB_OUTPUT", output_lines(stopped))


def _succeeded(s: Summary) -> bool:
    return s.build is not None and s.build.succeeded


def _append(env: Env, name: str, text: str) -> None:
    """Append to the file the runner names in `name`; one that cannot be written is a warning
    (the log was printed, and the exit status tells the build's outcome)."""
    path = env.environ.get(name)
    if not path or not text:
        return
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        env.error_line(f"warning: cannot append to ${name} ({path}): {exc.strerror}")
