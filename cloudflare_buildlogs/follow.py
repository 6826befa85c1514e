"""Paging through a build's log, as plain generators over the API client.

The cursor is opaque: request without one, then with `result.cursor` while `truncated` is
true. A cursor that comes back twice, or a log that pages on without end, is an error rather
than a loop (contract section 7).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from .errors import ApiError
from .models import LogLine, LogPage

MAX_PAGES = 100_000  # 100 million lines at the API's 1,000-line pages
MAX_EMPTY_PAGES = 50  # truncated pages in a row that bring no line


class LogSource(Protocol):
    def get_log_page(self, account_id: str, build_uuid: str, cursor: str | None) -> LogPage: ...


def read_log(
    source: LogSource, account_id: str, build_uuid: str, *, max_pages: int = MAX_PAGES
) -> Iterator[list[LogLine]]:
    """Every page's lines, first to last."""
    cursor: str | None = None
    seen: set[str] = set()
    empty = 0
    for _ in range(max_pages):
        page = source.get_log_page(account_id, build_uuid, cursor)
        yield page.lines
        if not (page.truncated and page.cursor):
            return
        if page.cursor in seen:
            raise ApiError(
                "the API sent the same log cursor twice; stopping rather than "
                "looping (a fault on Cloudflare's side: try again later)"
            )
        empty = 0 if page.lines else empty + 1
        if empty >= MAX_EMPTY_PAGES:
            raise ApiError(f"the API sent {empty} empty log pages in a row; stopping")
        seen.add(page.cursor)
        cursor = page.cursor
    raise ApiError(f"the log went on past {max_pages} pages; stopping rather than looping")
