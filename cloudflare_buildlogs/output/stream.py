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
        """A page: as it came, straight to the writer, when nothing else reads its lines."""
        if isinstance(lines, PageLines):
            if self.pipeline is None and self.tail is None:
                self.writer.write_page(lines)
                return
            lines = lines.parsed
        (self.pipeline or self.tail or self.writer).write(lines)

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
