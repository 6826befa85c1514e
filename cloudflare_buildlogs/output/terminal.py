"""The log as a person reads it on a terminal: a rule where each phase begins (drawn by rich),
error lines in red, warnings in yellow, the platform's `Success:` and `Failed:` lines marked.

Only for text on a terminal: pipes get `TextWriter`'s plain bytes. The lines themselves are
still written as preformatted text (rich per line runs at ~13k lines/s); rich draws the rules.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TextIO, cast

from ..analysis.classify import clean, is_error, is_warning
from ..analysis.untrusted import continued, sanitize, shown_frame
from ..models import MESSAGE, PHASE, Line, Tracked
from .timestamps import TimestampMode
from .writers import TextWriter

RED, YELLOW, GREEN, DIM, BOLD, RESET = (
    "\x1b[31m",
    "\x1b[33m",
    "\x1b[32m",
    "\x1b[2m",
    "\x1b[1m",
    "\x1b[0m",
)


class TerminalWriter(TextWriter):
    def __init__(
        self,
        stream: TextIO,
        mode: TimestampMode,
        color: bool,
        width: int,
        flush: bool = False,
        separators: bool = False,
    ) -> None:
        super().__init__(stream, mode, color, flush, separators)
        self.width = max(20, width)
        self.phase: str | None = None
        if color:
            self.separator = f"{DIM}--{RESET}\n"

    def _lines(self, lines: Sequence[Line]) -> str:
        out: list[str] = []
        for line in cast("Sequence[Tracked]", lines):
            if line[PHASE] != self.phase:
                self.phase = line[PHASE]
                out.append(self._rule(line[PHASE]))
            out.append(self._line(line))
        return "".join(out)

    def _line(self, line: Tracked) -> str:
        message = shown_frame(line[MESSAGE])
        plain = clean(message)
        style = ""
        if plain.startswith("Success:"):
            style, message = GREEN + BOLD, "✓ " + plain
        elif plain.startswith("Failed:"):
            style, message = RED + BOLD, "✗ " + plain
        elif is_error(plain):  # already clean: the classifier need not clean it again
            style, message = RED, plain
        elif is_warning(plain):
            style, message = YELLOW, plain
        lead = self._lead(line)
        if not self.color:
            return f"{lead}{continued(sanitize(message, False), lead)}\n"
        if style:  # the style again after each line break's prefix, which resets it
            text = continued(sanitize(message, False), f"{lead}{style}")
            return f"{lead}{style}{text}{RESET}\n"
        return f"{lead}{continued(sanitize(message, True), lead)}\n"

    def _rule(self, phase: str) -> str:
        from rich.rule import Rule

        from .console import console

        buffer = io.StringIO()
        system = "standard" if self.color else None
        drawn = console(
            buffer, terminal=self.color, width=self.width, no_color=not self.color, system=system
        )
        drawn.print(Rule(f" {phase} ", style="cyan", align="left", characters="─"))
        return buffer.getvalue()
