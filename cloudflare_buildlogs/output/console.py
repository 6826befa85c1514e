"""The one way the tool sets up rich, for what it draws on a terminal: text is never read as
markup, highlighted or turned into emoji (a branch named `[red]:rocket:` stays that), and rich
is imported only by the commands that draw."""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.console import Console


def console(
    stream: TextIO,
    *,
    terminal: bool,
    width: int | None = None,
    no_color: bool = False,
    system: str | None = "auto",
) -> Console:
    """A Console on `stream`: `terminal` forces terminal output (the tool decides, not rich),
    `system` is rich's colour system (None: no escape sequences at all)."""
    from rich.console import Console

    return Console(
        file=stream,
        width=width,
        force_terminal=terminal,
        no_color=no_color,
        color_system=system,  # type: ignore[arg-type]
        highlight=False,
        markup=False,
        emoji=False,
    )
