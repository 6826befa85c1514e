"""Parsing the API's data: every schema-valid line shape, builds with missing fields."""

from __future__ import annotations

import math

import pytest

from cloudflare_buildlogs.models import (
    Build,
    BuildStatus,
    LogLine,
    LogPage,
    PageLines,
    parse_line,
    parse_lines,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            [1636472400, "Building worker..."],
            (1636472400, 1636472400, False, "Building worker..."),
        ),
        ([1636472400123, "ms"], (1636472400123, 1636472400.123, True, "ms")),
        ([1636472400000, "ms whole"], (1636472400000, 1636472400.0, True, "ms whole")),
        ([1636472400.5, "fraction"], (1636472400.5, 1636472400.5, True, "fraction")),
        ([1636472400, 1636472400], (1636472400, 1636472400, False, "1636472400")),
        ([1636472400, 2.5], (1636472400, 1636472400, False, "2.5")),
        (["a", "b"], (None, None, False, "b")),
        ([-5, "negative"], (-5, -5, False, "negative")),
        ([1636472400], (1636472400, 1636472400, False, "")),
        (["only text"], (None, None, False, "only text")),
        ([], (None, None, False, "")),
        ("bare string", (None, None, False, "bare string")),
        ([True, "bool is no timestamp"], (None, None, False, "bool is no timestamp")),
        ([1, None], (1, 1, False, "")),
        ([1, "a", "b"], (1, 1, False, '["a", "b"]')),
        ({"ts": 1}, (None, None, False, '{"ts": 1}')),
    ],
)
def test_every_line_shape_parses(raw: object, expected: LogLine) -> None:
    assert parse_line(raw) == expected
    # The short path for the usual shape gives exactly what the general path gives.
    assert parse_lines([raw, raw]) == [expected, expected]


@pytest.mark.parametrize("stamp", [math.inf, -math.inf, math.nan, 1e300, -1e300])
def test_unusable_timestamps_keep_the_number_but_no_instant(stamp: float) -> None:
    epoch, seconds, _, message = parse_line([stamp, "x"])
    assert (seconds, message) == (None, "x")
    assert epoch is stamp


@pytest.mark.parametrize(
    "raw",
    [[0, "x"], [100_000_000_000, "x"], [100_000_000_001, "x"], [-1, "x"], "ab", {"a": 1, "b": 2}],
)
def test_the_short_path_agrees_with_the_general_one_at_its_edges(raw: object) -> None:
    assert parse_lines([raw]) == [parse_line(raw)]


def test_milliseconds_are_decided_by_magnitude() -> None:
    assert parse_line([99_999_999_999, "s"])[1] == 99_999_999_999
    assert parse_line([100_000_000_001, "ms"])[1] == pytest.approx(100_000_000.001)


def test_build_with_nothing_but_nulls_and_unknowns_parses() -> None:
    build = Build.from_api({"status": "exploded", "build_outcome": None, "trigger": None})
    assert build.status is BuildStatus.UNKNOWN
    assert build.outcome is None and build.branch is None and not build.stopped
    assert Build.from_api(None).build_uuid == ""


def test_build_fields_come_from_their_places() -> None:
    build = Build.from_api(
        {
            "build_uuid": "u",
            "status": "stopped",
            "build_outcome": "skipped",
            "trigger": {"external_script_id": "tag", "trigger_name": "Deploy"},
            "build_trigger_metadata": {
                "branch": "main",
                "commit_hash": "abc",
                "build_trigger_source": "push",
            },
        }
    )
    assert (build.stopped, build.succeeded, build.worker_tag, build.branch) == (
        True,
        True,
        "tag",
        "main",
    )
    assert build.commit_hash == "abc" and build.trigger_source == "push"


def test_log_page_is_lenient_about_its_fields() -> None:
    assert LogPage.from_api({"lines": "nope", "truncated": "yes"}) == LogPage(
        PageLines([]), None, False
    )
    page = LogPage.from_api({"lines": [[1, "a"]], "cursor": "c", "truncated": True})
    assert page.truncated and page.cursor == "c" and len(page.lines) == 1


def test_a_triggers_branch_rule() -> None:
    from cloudflare_buildlogs.models import Trigger

    def trigger(includes: list[str], excludes: list[str]) -> Trigger:
        return Trigger.from_api({"branch_includes": includes, "branch_excludes": excludes})

    assert trigger(["main"], []).takes("main") and not trigger(["main"], []).takes("maint")
    assert trigger(["*"], ["main"]).takes("feature/x") and not trigger(["*"], ["main"]).takes(
        "main"
    )
    assert trigger([], []).takes("any")  # no includes: any branch
    assert trigger(["release/*"], ["release/old"]).takes("release/2")
    assert not trigger(["release/*"], ["release/old"]).takes("release/old")
    assert not trigger(["release/*"], []).takes("releases")
