"""Paging through a build's log: the cursor, and where a read starts again.

The cursor is opaque: request without one, then with `result.cursor` while `truncated` is
true. Once a reader has caught up with a running build, the API may hand back a cursor to
resume from, or none at all; a `Position` covers both, by remembering the cursor a read began
at and how many of the lines after it were already shown. So no line is shown twice or lost,
whichever the API does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from ..errors import ApiError
from ..models import Build, LogPage, PageLines

MAX_PAGES = 100_000  # 100 million lines at the API's 1,000-line pages
MAX_EMPTY_PAGES = 50  # truncated pages in a row that bring no line


class LogSource(Protocol):
    def get_log_page(self, account_id: str, build_uuid: str, cursor: str | None) -> LogPage: ...


class BuildSource(LogSource, Protocol):
    def get_build(self, account_id: str, build_uuid: str) -> Build: ...


class Position:
    """Where the next read starts: at `cursor` (None: the beginning), skipping the first
    `skip` lines found there, which were already shown."""

    __slots__ = ("cursor", "shown", "skip")

    def __init__(self, cursor: str | None = None, skip: int = 0, shown: int = 0) -> None:
        self.cursor, self.skip, self.shown = cursor, skip, shown


def read_pass(
    source: LogSource,
    account_id: str,
    build_uuid: str,
    position: Position,
    *,
    max_pages: int = MAX_PAGES,
) -> Iterator[PageLines]:
    """The lines after `position`, up to the end of what exists now; moves `position` on."""
    cursor, skip = position.cursor, position.skip
    seen: set[str] = set()
    empty = 0
    previous: PageLines | None = None
    for _ in range(max_pages):
        page = source.get_log_page(account_id, build_uuid, cursor)
        if page.lines and page.lines == previous:  # a cursor that led back to where it was
            raise ApiError(
                "the API sent the same page of the log twice in a row; stopping rather than "
                "printing it again (a fault on Cloudflare's side: try again later)"
            )
        previous = page.lines
        fresh = page.lines[skip:] if skip else page.lines
        if fresh:
            position.shown += len(fresh)
            yield fresh
        if not (page.truncated and page.cursor):
            if page.cursor and page.cursor != cursor:  # caught up, with a cursor to resume at
                position.cursor, position.skip = page.cursor, 0
            else:  # caught up without one: next time, read here again and skip what was shown
                position.cursor, position.skip = cursor, max(skip, len(page.lines))
            return
        if page.cursor == cursor or page.cursor in seen:
            raise ApiError(
                "the API sent the same log cursor twice; stopping rather than "
                "looping (a fault on Cloudflare's side: try again later)"
            )
        empty = 0 if page.lines else empty + 1
        if empty >= MAX_EMPTY_PAGES:
            raise ApiError(f"the API sent {empty} empty log pages in a row; stopping")
        seen.add(page.cursor)
        cursor, skip = page.cursor, max(0, skip - len(page.lines))
        position.cursor, position.skip = cursor, skip
    raise ApiError(f"the log went on past {max_pages} pages; stopping rather than looping")


def read_log(
    source: LogSource, account_id: str, build_uuid: str, *, max_pages: int = MAX_PAGES
) -> Iterator[PageLines]:
    """Every page's lines, first to last: one pass from the beginning."""
    return read_pass(source, account_id, build_uuid, Position(), max_pages=max_pages)
