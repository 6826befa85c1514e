"""Phases, the error classifier, `grep -C` grouping, redaction, hints and build URLs: the pure
pieces behind --errors, --phase, --redact and summary (README, "get" and "When a build fails")."""

from __future__ import annotations

import json

import pytest

from cloudflare_buildlogs.analysis.classify import (
    error_lines,
    is_error,
    is_warning,
    page_may_have_errors,
)
from cloudflare_buildlogs.analysis.hints import hints_for
from cloudflare_buildlogs.analysis.phases import PHASES, Tracker, parse_phases, report
from cloudflare_buildlogs.analysis.pipeline import Collector, ContextFilter
from cloudflare_buildlogs.analysis.redact import Redactor
from cloudflare_buildlogs.errors import UsageError
from cloudflare_buildlogs.fake_api import RealisticLines
from cloudflare_buildlogs.models import PageLines, parse_lines
from cloudflare_buildlogs.settings.buildref import dashboard_url, parse_build

from .builds import FAILED_LOG, SUCCESS_LOG, build

T0 = 1_700_000_000


def lines_of(messages: list[str], start: int = T0) -> list[tuple[object, ...]]:
    return parse_lines([[start + i, m] for i, m in enumerate(messages)])


def phases_of(messages: list[str], pages: int = 3) -> list[str]:
    """Each line's phase, the log fed in `pages` pieces as the API would page it."""
    tracker, out = Tracker(), []
    lines = lines_of(messages)
    size = max(1, len(lines) // pages)
    for i in range(0, len(lines), size):
        out += [line[5] for line in tracker.track(lines[i : i + size])]
    return out


# -- phases ------------------------------------------------------------------------------------


def test_a_successful_build_walks_through_every_phase() -> None:
    found = phases_of(SUCCESS_LOG)
    firsts = {p: found.index(p) for p in PHASES}
    assert list(firsts) == list(PHASES)
    assert SUCCESS_LOG[firsts["install"]].startswith("Installing project dependencies")
    assert SUCCESS_LOG[firsts["deploy"]].startswith("Executing user deploy command")
    assert found == sorted(found, key=PHASES.index), "phases only move forward"


def test_markers_in_colour_and_indented_still_mark_and_repeats_change_nothing() -> None:
    log = [
        "some noise before any marker",
        "\x1b[36mCloning repository...\x1b[0m",
        "   \x1b[1mExecuting user build command: npm run build",
        "> echo Installing project dependencies",  # not at the start: no marker
        "Installing project dependencies: a build script printing the marker again",
        "Cloning repository... (a later repeat)",
        "Executing user deploy command: npx wrangler deploy",
    ]
    assert phases_of(log, pages=7) == [
        "initialize", "clone", "build", "build", "build", "build", "deploy",
    ]  # fmt: skip


def test_skipped_phases_are_not_reported_and_a_first_marker_skips_initialize() -> None:
    tracker = Tracker()
    tracker.track(lines_of(["Cloning repository...", "x", "Executing user command: make", "y"]))
    phases = report(tracker, build("success"))
    assert [(p.name, p.first_line, p.lines) for p in phases] == [("clone", 1, 2), ("build", 3, 2)]


def test_durations_and_statuses_follow_the_build() -> None:
    tracker = Tracker()
    tracker.track(lines_of(FAILED_LOG))
    failed = report(tracker, build("fail", stopped_on="2023-11-14T22:15:00Z"))
    assert [p.status for p in failed] == ["ok"] * 5 + ["failed"]
    install, deploy = failed[3], failed[5]
    assert install.duration == failed[4].started - install.started
    assert deploy.duration == (T0 + 100) - deploy.started  # to the build's stopped_on
    assert sum(p.lines for p in failed) == len(FAILED_LOG)
    running = report(tracker, build(None, status="running"))
    assert running[-1].status == "running"
    assert running[-1].duration == (T0 + len(FAILED_LOG) - 1) - running[-1].started
    assert [p.status for p in report(tracker, build("cancelled"))][-1] == "failed"
    assert [p.status for p in report(tracker, build("success"))] == ["ok"] * 6
    assert report(tracker, None)[-1].status is None


def test_phase_names_parse_and_unknown_ones_are_refused() -> None:
    assert parse_phases("Build, deploy") == {"build", "deploy"}
    with pytest.raises(ValueError, match="compile"):
        parse_phases("build,compile")
    with pytest.raises(ValueError):
        parse_phases(",")


# -- the classifier ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        "✘ [ERROR] Missing entry-point to Worker script or to assets directory",
        "\x1b[31m✘ \x1b[41;31m[\x1b[41;97mERROR\x1b[41;31m]\x1b[0m \x1b[1mBuild failed\x1b[0m",
        "✗ Build failed in 1.2s",
        "npm ERR! code ELIFECYCLE",
        "npm error Missing script: build",
        " ERR_PNPM_OUTDATED_LOCKFILE  Cannot install with frozen-lockfile",
        " ELIFECYCLE  Command failed with exit code 1.",
        "Failed: error occurred while running deploy command",
        "Failed to compile.",
        "fatal: could not read Username for 'https://github.com'",
        "Error: Cannot find module 'vite'",
        "TypeError: Cannot read properties of undefined (reading 'map')",
        "    SyntaxError: Unexpected token '<'",
        'error: script "build" exited with code 1',
        "error during build:",
        "Module not found: Error: Can't resolve './App'",
        "Build failed with 1 error:",
        "> Build failed",
        "[vite:esbuild] [ERROR] Transform failed",
        "src/index.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.",
        "/bin/sh: 1: bun: not found",
        "bash: line 1: pnpm: command not found",
    ],
)
def test_error_lines(message: str) -> None:
    assert is_error(message)
    assert page_may_have_errors(f"before\n{message}\nafter"), "the page filter must not skip it"


@pytest.mark.parametrize(
    "message",
    [
        '▲ [WARNING] The "main" field points to src/worker.ts',
        "npm warn deprecated inflight@1.0.6: This module is not supported",
        "WARNING: no lockfile found",
        "warning: LF will be replaced by CRLF",
        "found 0 vulnerabilities",
        "0 errors, 0 warnings",
        "  dist/errorHandler.js  2.1 kB",
        "Compiled with errors disabled",
        "Success: Build command completed",
        "error_log rotated",
        "Checking for errors...",
    ],
)
def test_not_error_lines(message: str) -> None:
    assert not is_error(message)


def test_a_page_whose_only_error_word_is_split_by_a_colour_is_not_skipped() -> None:
    """`clean` removes the escape and the line is an error: the page filter must let it
    through, and `--errors` show it."""
    from cloudflare_buildlogs.analysis.pipeline import ContextFilter
    from cloudflare_buildlogs.models import parse_lines

    messages = ["compiling", "\x1b[31mEr\x1b[1mror\x1b[0m: split by a colour", "done"]
    assert is_error(messages[1]) and page_may_have_errors("\n".join(messages))
    assert not page_may_have_errors("compiling\nno word and no escape")
    lines = [(*line, number, "build") for number, line in enumerate(parse_lines(messages), 1)]
    assert ContextFilter(0).filter(lines) == [(lines[1], True)]


# Pages for `error_lines`: it must find exactly the lines `is_error` finds, one at a time.
ERROR_PAGES = [
    ["Error: first", "fine", "x\x1b[0mError: coloured", "Er\x1b[0mror: split by a colour"],
    ["  dist/errorHandler.js", "error: a", "error: b error: c", "", "fatal: last"],
    ["no word here", "\x1b[31m", "\x1b[31mnpm ERR!\x1b[0m x", "rror", "ERR"],
    ["a line\nwith Error: inside", "error: after it", "\r", "Error: end"],
    ["\x1bError: an escape first", "✘ [ERROR] x", "bun: not found", "Failed:"],
    [],
    ["Error: alone"],
    FAILED_LOG + SUCCESS_LOG,
]


@pytest.mark.parametrize("messages", ERROR_PAGES)
def test_a_pages_error_lines_are_the_lines_that_are_errors(messages: list[str]) -> None:
    expected = [index for index, message in enumerate(messages) if is_error(message)]
    assert error_lines(messages, "\n".join(messages)) == expected


def test_warnings() -> None:
    assert is_warning("\x1b[33m▲ [WARNING]\x1b[0m x") and is_warning("npm warn old")
    assert not is_warning("✘ [ERROR] x") and not is_warning("warnings: 0")


# -- grep -C -----------------------------------------------------------------------------------


def grep(messages: list[str], context: int, pages: int = 1) -> list[tuple[int, bool]]:
    tracker, flt, out = Tracker(), ContextFilter(context), []
    lines = tracker.track(lines_of(messages))
    size = max(1, -(-len(lines) // pages))
    for i in range(0, len(lines), size):
        out += [(line[4], error) for line, error in flt.filter(lines[i : i + size])]
    return out


LOG = ["a", "b", "Error: one", "c", "d", "e", "f", "g", "Error: two", "h", "Error: three", "i"]


@pytest.mark.parametrize("pages", [1, 2, 5, 12])
def test_context_groups_merge_when_they_overlap_whatever_the_pages(pages: int) -> None:
    assert grep(LOG, 1, pages) == [
        (2, False), (3, True), (4, False),
        (8, False), (9, True), (10, False), (11, True), (12, False),
    ]  # fmt: skip
    assert grep(LOG, 0, pages) == [(3, True), (9, True), (11, True)]
    assert [n for n, _ in grep(LOG, 3, pages)] == list(range(1, 13))


def test_context_stops_at_the_log_edges() -> None:
    assert grep(["Error: first", "x", "y"], 5) == [(1, True), (2, False), (3, False)]
    assert grep(["x", "Error: last"], 5) == [(1, False), (2, True)]
    assert grep(["x", "y"], 5) == []


# -- redaction ---------------------------------------------------------------------------------


SECRETS = [
    ("CLOUDFLARE_API_TOKEN=abcdefghij0123456789", "CLOUDFLARE_API_TOKEN=***"),
    ('export DB_PASSWORD="hunter2hunter2"', 'export DB_PASSWORD="***"'),
    ("client_secret: s3cr3t-value trailing", "client_secret: *** trailing"),
    ('{"apiKey": "k-123456"}', '{"apiKey": "***"}'),
    ("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG", "AWS_SECRET_ACCESS_KEY=***"),
    ("MY_PRIVATE_KEY=abc", "MY_PRIVATE_KEY=***"),
    ("GCP_CREDENTIALS=xyz.json", "GCP_CREDENTIALS=***"),
    ("Authorization: Bearer abc.def.ghi-123", "Authorization: Bearer ***"),
    ("authorization: Basic dXNlcjpwYXNz", "authorization: Basic ***"),
    ("curl -H 'x: y' with bearer 0123456789abcdef", "curl -H 'x: y' with bearer ***"),
    ("cloning https://deploy:tok3n-pass@github.com/org/repo", "cloning https://deploy:***@github.com/org/repo"),
    ("token ghp_0123456789abcdefghijABCDEFGHIJ012345 used", "token *** used"),
    ("github_pat_11ABCDEFG0123456789_abcdefghijklmnop set", "github_pat_*** set"[:0] + "*** set"),
    ("key AKIAIOSFODNN7EXAMPLE here", "key *** here"),
    ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sflKxwRJSMeKKF2QT4fwpM end", "jwt *** end"),
]  # fmt: skip


@pytest.mark.parametrize(("line", "expected"), SECRETS)
def test_each_kind_of_secret_is_masked_and_the_rest_kept(line: str, expected: str) -> None:
    assert Redactor()(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "Current Version ID: 8c2f1a4e-55b7-4f1e-9d3a-0e6c7b2a9f11",
        "HEAD is now at 9f8e7d6c5b4a39281706f5e4d3c2b1a098765432 Update",
        "build 5b1d8f2e-7c3a-4e9b-a6d0-1f2e3d4c5b6a queued",
        "  - CACHE: 0f2ac74b498b48028cb68387c421e279",
        "https://my-worker.example.workers.dev",
        "Found wrangler.toml file. Reading build configuration...",
        "git@github.com:org/repo.git",
        "Deprecated: the tokenizer will change",
        "Total Upload: 41.23 KiB / gzip: 9.87 KiB",
    ],
)
def test_look_alikes_survive(line: str) -> None:
    assert Redactor()(line) == line


def test_private_key_blocks_are_masked_across_lines_and_within_one() -> None:
    redact = Redactor()
    block = ["-----BEGIN RSA PRIVATE KEY-----", "MIIEowIBAAKCAQEA", "abcdEFGH==", "-----END RSA PRIVATE KEY-----", "after"]  # fmt: skip
    assert [redact(line) for line in block] == [
        "-----BEGIN RSA PRIVATE KEY-----", "***", "***", "***-----END RSA PRIVATE KEY-----", "after",
    ]  # fmt: skip
    one = "key: -----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY----- ok"
    assert Redactor()(one) == "key: -----BEGIN PRIVATE KEY-----***-----END PRIVATE KEY----- ok"


# -- hints -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "word"),
    [
        ("✘ [ERROR] Missing entry-point to Worker script or to assets directory", "main"),
        ("✘ [ERROR] It looks like you've run a Workers-specific command in a Pages project.", "Pages"),
        ("✘ [ERROR] A request to the Cloudflare API failed. Authentication error [code: 10000]", "build token"),
        ("Failed: build exceeded the time limit of 20 minutes", "20-minute"),
        ("✘ [ERROR] Could not route to /accounts/abc/workers/scripts [code: 7003]", "account_id"),
        ("error: node version 14.0.0 is not supported", "version"),
        ("npm error `npm ci` can only install packages when your package.json and package-lock.json are in sync", "lockfile"),
        (" ERR_PNPM_OUTDATED_LOCKFILE  Cannot install with frozen-lockfile", "lockfile"),
        ("/bin/sh: 1: bun: not found", "PATH"),
        ("Failed: an internal error occurred", "Cloudflare's side"),
    ],
)  # fmt: skip
def test_known_failures_have_a_hint_with_a_link(line: str, word: str) -> None:
    (hint,) = hints_for(line)
    assert word in hint.text and (hint.url or "").startswith("https://developers.cloudflare.com/")


def test_the_logs_own_documentation_link_is_a_hint() -> None:
    (hint,) = hints_for("To learn more about this error, visit: https://example.com/e/123")
    assert hint.url == "https://example.com/e/123"
    assert hints_for("npm warn deprecated x") == []


def test_the_collector_keeps_errors_hints_and_the_failed_phase_groups() -> None:
    tracker, collector = Tracker(), Collector(context=1)
    log = [*FAILED_LOG, "To learn more about this error, visit: https://example.com/doc"]
    collector.observe(tracker.track(lines_of(log)))
    assert collector.total == 2 and [e[5] for e in collector.errors] == ["deploy", "deploy"]
    assert [h.url for h in collector.hints.values()][-1] == "https://example.com/doc"
    first = collector.first_error("deploy")
    assert first is not None and "Missing entry-point" in first[3]
    assert collector.first_error("install") is None
    (group, *_) = collector.groups_of("deploy")
    assert [error for _, error in group.lines] == [False, True, False]


def test_the_collector_keeps_at_most_fifty_errors_but_counts_them_all() -> None:
    tracker, collector = Tracker(), Collector(context=2)
    collector.observe(tracker.track(lines_of([f"Error: number {i}" for i in range(500)])))
    assert collector.total == 500 and len(collector.errors) == 50
    assert sum(1 for g in collector.groups for _, e in g.lines if e) <= 50 + 2


# -- builds named by URL -----------------------------------------------------------------------

ACCT = "0123456789abcdef0123456789abcdef"
UUID = "5b1d8f2e-7c3a-4e9b-a6d0-1f2e3d4c5b6a"
URL = f"https://dash.cloudflare.com/{ACCT}/workers/services/view/my-worker/production/builds/{UUID}"


@pytest.mark.parametrize(
    "given",
    [URL, URL + "/", URL + "?tab=logs#x", URL.upper().replace("HTTPS://DASH.CLOUDFLARE.COM", "https://dash.cloudflare.com").replace("/WORKERS/SERVICES/VIEW/MY-WORKER/PRODUCTION/BUILDS/", "/workers/services/view/my-worker/production/builds/"), "dash.cloudflare.com/" + URL.split("://dash.cloudflare.com/")[1]],
)  # fmt: skip
def test_dashboard_urls_name_the_build_account_and_worker(given: str) -> None:
    ref = parse_build(given)
    assert (ref.uuid, ref.account_id, ref.worker, ref.environment) == (
        UUID,
        ACCT,
        "my-worker",
        "production",
    )
    assert parse_build(given, ACCT.upper()).account_id == ACCT


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("https://example.com/" + URL.split(".com/")[1], "not a Cloudflare dashboard URL"),
        (URL.replace("/builds/", "/deployments/"), "not the dashboard URL of a build"),
        (URL.replace(ACCT, "123"), "32 hex digits"),
        (URL.replace(UUID, "5b1d8f2e-nope"), "malformed"),
        (URL + "/extra", "not the dashboard URL of a build"),
        ("5b1d8f2", "not a build UUID or dashboard URL"),
        ("", "not a build UUID"),
    ],
)
def test_anything_else_is_a_usage_error(given: str, words: str) -> None:
    with pytest.raises(UsageError, match=words):
        parse_build(given)


def test_a_differing_account_id_is_a_usage_error_and_uuids_stay_as_they_were() -> None:
    with pytest.raises(UsageError, match="differs"):
        parse_build(URL, "f" * 32)
    assert parse_build(UUID.upper()).uuid == UUID and parse_build(UUID).account_id is None
    assert dashboard_url(ACCT, "my-worker", UUID) == URL
    assert dashboard_url(ACCT, None, UUID) is None and dashboard_url(None, "w", UUID) is None


def test_a_page_as_sent_is_tracked_as_its_parsed_lines_are() -> None:
    realistic = [
        [list(line) for line in RealisticLines(3000)[:][i : i + 500]] for i in (0, 500, 1000)
    ]
    marked = [[1, m] for m in SUCCESS_LOG]  # every phase's marker, so pages take the loop
    odd: list[list[object]] = [
        [[1, "x"], [1.0, "a float"], [True, "a bool"]],
        [[1, "x"], "ab", [5, None], [10**12, "milliseconds"], [-1, "before"]],
        [[1, "Executing user deploy command: npx wrangler deploy"], [2, "after"]],
    ]
    for pages in (realistic + odd, [marked[:7], *realistic, marked[7:], *odd]):
        by_raw, by_parsed, as_sent = Tracker(), Tracker(), 0
        for raw in pages:
            fresh = json.loads(json.dumps(raw))
            assert by_raw.track(PageLines(fresh)) == by_parsed.track(parse_lines(fresh))
            text = by_raw.text
            as_sent += text is not None  # the pairs' own path was taken
            assert text is None or text == "\n".join(line[3] for line in parse_lines(fresh))
        assert (by_raw.count, by_raw.current, by_raw.last_seconds) == (
            by_parsed.count,
            by_parsed.current,
            by_parsed.last_seconds,
        )
        assert [vars_of(p) for p in by_raw.phases] == [vars_of(p) for p in by_parsed.phases]
        assert as_sent >= 2


def vars_of(phase: object) -> tuple[object, ...]:
    return tuple(getattr(phase, name) for name in ("name", "first_line", "started", "lines"))
