"""The output formats and timestamp modes, as enums; each format owns its writer (`make_writer`)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import NoReturn, TextIO

from .timestamps import TimestampMode
from .writers import JsonWriter, NdjsonWriter, TextWriter, Writer


def assert_never(value: NoReturn) -> NoReturn:
    """Exhaustiveness: mypy fails where an enum member is left unhandled."""
    raise AssertionError(f"unhandled value: {value!r}")  # pragma: no cover


class OutputFormat(str, enum.Enum):
    TEXT = "text"
    JSON = "json"
    NDJSON = "ndjson"


class SummaryFormat(str, enum.Enum):
    """The forms of a summary (README, "summary"); see `summary.py`."""

    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"


class CiMode(str, enum.Enum):
    """Where the text output is read (README, "In CI"); see `ci.py`."""

    GITHUB = "github"
    GITLAB = "gitlab"
    NONE = "none"

    @classmethod
    def detect(cls, choice: str | None, environ: Mapping[str, str]) -> CiMode:
        """`--ci` when given; else GitHub Actions or GitLab CI, as their runners say."""
        if choice is not None:
            return cls(choice)
        if environ.get("GITHUB_ACTIONS") == "true":
            return cls.GITHUB
        if environ.get("GITLAB_CI") == "true":
            return cls.GITLAB
        return cls.NONE


def make_writer(
    fmt: OutputFormat,
    stream: TextIO,
    *,
    build_uuid: str | None,
    mode: TimestampMode,
    color: bool,
    flush: bool,
    separators: bool = False,
    prefix: str = "",
    extra: dict[str, str] | None = None,
) -> Writer:
    """The format's writer. Several Workers at once: each text line starts with `prefix`, each
    ndjson record gains `extra` (`worker`, `build_uuid`)."""
    if fmt is OutputFormat.TEXT:
        return TextWriter(stream, mode, color, flush, separators, prefix)
    if fmt is OutputFormat.JSON:
        return JsonWriter(stream, build_uuid, flush)
    if fmt is OutputFormat.NDJSON:
        return NdjsonWriter(stream, extra)
    assert_never(fmt)
