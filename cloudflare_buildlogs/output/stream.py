"""Where a command's pages of lines go: straight to the writer, or through the pipeline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..analysis.pipeline import Collector, Pipeline
from ..models import LogLine, PageLines
from .writers import TailBuffer, Writer

if TYPE_CHECKING:  # a plain `get` tracks nothing, and imports none of these
    from ..analysis.phases import Tracker


class Output:
    """Where a command's pages go: straight to the writer (the fast path), or through a
    pipeline when anything needs a line's number or phase; with --tail, through a buffer
    that `release_tail` empties once the reader has caught up."""

    def __init__(
        self,
        writer: Writer,
        *,
        track: bool,
        tail: int | None = None,
        redact: bool = False,
        phases: frozenset[str] | None = None,
        context: int | None = None,
        collector: Collector | None = None,
    ) -> None:
        self.writer = writer
        self.tail = TailBuffer(writer, tail) if tail is not None else None
        self.collector = collector
        self.pipeline = None
        if track:
            self.pipeline = Pipeline(
                self.tail or writer,
                writer,
                redact=redact,
                phases=phases,
                context=context,
                collector=collector,
            )

    def write(self, lines: PageLines | list[LogLine]) -> None:
        """A page: as it came to the writer or the pipeline, parsed for --tail alone."""
        if self.pipeline is not None:
            self.pipeline.write(lines)
        elif not isinstance(lines, PageLines):
            (self.tail or self.writer).write(lines)
        elif self.tail is None:
            self.writer.write_page(lines)
        else:
            self.tail.write(lines.parsed)

    def release_tail(self) -> None:
        if self.tail is not None:
            self.tail.release()
            self.tail = None
            if self.pipeline is not None:
                self.pipeline.sink = self.writer

    @property
    def tracker(self) -> Tracker | None:
        return None if self.pipeline is None else self.pipeline.tracker

    @property
    def lines_read(self) -> int:
        """Every line read, shown or not."""
        if self.pipeline is not None:
            return self.pipeline.tracker.count
        return self.writer.count if self.tail is None else self.tail.seen
