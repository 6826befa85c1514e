"""Paging through a log: cursors followed, repeated cursors and endless logs stopped."""

from __future__ import annotations

import pytest

from cloudflare_buildlogs.errors import ApiError
from cloudflare_buildlogs.live.paging import read_log
from cloudflare_buildlogs.models import LogPage, PageLines


class Pages:
    def __init__(self, *pages: LogPage) -> None:
        self.pages = list(pages)
        self.cursors: list[str | None] = []

    def get_log_page(self, account_id: str, build_uuid: str, cursor: str | None) -> LogPage:
        self.cursors.append(cursor)
        return self.pages.pop(0)


def page(messages: list[str], cursor: str | None = None, truncated: bool = False) -> LogPage:
    return LogPage(PageLines([[1, m] for m in messages]), cursor, truncated)


def messages(source: Pages, **kw: int) -> list[str]:
    return [line[3] for lines in read_log(source, "a", "b", **kw) for line in lines]


def test_the_cursor_is_followed_while_truncated() -> None:
    source = Pages(page(["1", "2"], "c1", True), page(["3"], "c2", True), page(["4"]))
    assert messages(source) == ["1", "2", "3", "4"]
    assert source.cursors == [None, "c1", "c2"]


def test_truncated_without_a_cursor_ends_the_log() -> None:
    source = Pages(page(["1"], None, True))
    assert messages(source) == ["1"]


def test_a_cursor_when_not_truncated_ends_the_log() -> None:
    source = Pages(page(["1"], "c1", False))
    assert messages(source) == ["1"]


def test_a_repeated_cursor_stops_instead_of_looping() -> None:
    source = Pages(page(["1"], "c1", True), page(["2"], "c2", True), page(["3"], "c1", True))
    with pytest.raises(ApiError, match="same log cursor"):
        messages(source)


def test_pages_without_end_stop() -> None:
    source = Pages(*[page([str(i)], f"c{i}", True) for i in range(10)])
    with pytest.raises(ApiError, match="past 5 pages"):
        messages(source, max_pages=5)


def test_endless_empty_pages_stop() -> None:
    source = Pages(*[page([], f"c{i}", True) for i in range(60)])
    with pytest.raises(ApiError, match="empty log pages"):
        messages(source)
