"""Every analysis of a log line or of a file from outside takes time linear in its length
(README, "Security"): each pattern family is timed on adversarial input of
two sizes in one run, the same number of characters in all, so a linear scan costs about the
same on both sides and a quadratic one eight times more on the larger. No absolute timings."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest

from cloudflare_buildlogs.analysis.classify import error_lines, is_error, page_may_have_errors
from cloudflare_buildlogs.analysis.compare import Versions
from cloudflare_buildlogs.analysis.deploy import DeployReader
from cloudflare_buildlogs.analysis.hints import hints_for
from cloudflare_buildlogs.analysis.normalize import normalized, tokens
from cloudflare_buildlogs.analysis.phases import marker_phase
from cloudflare_buildlogs.analysis.redact import Redactor
from cloudflare_buildlogs.analysis.untrusted import (
    code,
    fence,
    field,
    linkable,
    sanitize,
    strip_escapes,
    uncolored,
)
from cloudflare_buildlogs.output.ci import escape_data, escape_property, section_name
from cloudflare_buildlogs.settings.wrangler import loads_jsonc

SMALL = 4_000
FACTOR = 8  # the larger input is 8x the smaller: quadratic time shows as ~8x per character
LIMIT = FACTOR / 2


def _seconds(work: Callable[[str], object], text: str, times: int) -> float:
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(times):
            work(text)
        best = min(best, time.perf_counter() - started)
    return best


def growth(work: Callable[[str], object], make: Callable[[int], str], small: int = SMALL) -> float:
    """Time per character on the larger input over time per character on the smaller."""
    little, big = make(small), make(small * FACTOR)
    return _seconds(work, big, 1) / max(_seconds(work, little, FACTOR), 1e-7)


def _errors(text: str) -> list[int]:
    return error_lines(text.split("\n"), text)


def _repeat(unit: str) -> Callable[[int], str]:
    return lambda n: unit * (n // len(unit) + 1)


def _after(head: str, unit: str) -> Callable[[int], str]:
    return lambda n: head + unit * (n // len(unit) + 1)


def _redact(line: str) -> str:
    return Redactor()(line)


def _deploy(line: str) -> object:
    """One line of the deploy phase read for what it deployed, after a `Deployed` line so that
    indented lines are read as triggers."""
    reader = DeployReader()
    reader.observe([(0, 0.0, False, "Deployed w triggers (1 sec)", 1, "deploy")])
    reader.observe([(0, 0.0, False, line, 2, "deploy")])
    return reader.deployments


def _versions(line: str) -> object:
    found = Versions()
    found.observe([(0, 0.0, False, line, 1, "configure")])
    return found.found


def _pasted(line: str) -> object:
    from cloudflare_buildlogs.errors import UsageError
    from cloudflare_buildlogs.store.pasted import pasted

    try:
        return list(pasted("01:00:00.000 | first\n", 1, iter([(2, line)]), "f"))
    except UsageError:
        return None


def _pasted_first(line: str) -> object:
    from cloudflare_buildlogs.errors import UsageError
    from cloudflare_buildlogs.store.pasted import pasted

    try:
        return list(pasted(line, 1, iter([]), "f"))
    except UsageError:
        return None


def _jsonc(text: str) -> object:
    try:
        return loads_jsonc(text)
    except ValueError:
        return None


ADVERSARIAL = {
    "redact: token a.a.a": (_redact, _after("token ", "a.")),
    "redact: eyJ- runs": (_redact, _repeat("eyJ-")),
    "redact: token- runs": (_redact, _repeat("token-")),
    "redact: names that never assign": (_redact, _repeat("tokenTOKEN_a")),
    "redact: secret then blanks": (_redact, _after("secret", " ")),
    "redact: scheme runs": (_redact, _after("token ", "a.a+")),
    "redact: schemes without a password": (_redact, _repeat("a://u:")),
    "redact: a password without an @": (_redact, _after("https://u:", "p")),
    "redact: JWT parts that stop short": (_redact, _repeat("eyJaaaaaa.aaaaaa")),
    "redact: key blocks that never end": (
        _redact,
        _after(
            "-----BEGIN PRIVATE KEY-----x-----END PRIVATE KEY-----", "-----BEGIN PRIVATE KEY-----"
        ),
    ),
    "redact: unending key names": (_redact, _after("-----BEGIN ", "A ")),
    "redact: authorization blanks": (_redact, _after("authorization", " ")),
    "redact: bearer runs": (_redact, _repeat("Bearer ")),
    "redact: GitHub token stems": (_redact, _repeat("github_pat_ghp_")),
    "hints: Pages project": (hints_for, _repeat("Pages project ")),
    "hints: build token": (hints_for, _repeat("build token ")),
    "hints: exceeded": (hints_for, _repeat("exceeded ")),
    "hints: npm ci": (hints_for, _repeat("npm ci ")),
    "hints: yarn.lock": (hints_for, _repeat("yarn.lock ")),
    "hints: a version that never ends": (hints_for, _after("node ", "x")),
    "hints: not found, not at the end": (hints_for, _repeat(" a/b: not found x")),
    "hints: /bin/sh prefixes": (hints_for, _repeat(" /bin/sh: line 1: ")),
    "hints: a long documentation link": (
        hints_for,
        _after("To learn more about this error, visit: https://", "a"),
    ),
    "classify: Error runs": (is_error, _repeat("Error")),
    "classify: a capitalised run": (is_error, _repeat("Abc")),
    "classify: error TS without digits": (is_error, _repeat("error TS ")),
    "classify: page words": (page_may_have_errors, _repeat("rro")),
    "classify: a page's error lines, a word a line": (_errors, _repeat("rror\n")),
    "classify: a page's error lines, many words a line": (_errors, _repeat("rror \x1b ")),
    "classify: a page's error lines, escapes": (_errors, _repeat("Er\x1b[0mror:\n")),
    "phases: leading blanks": (marker_phase, _after(" ", " ")),
    "escapes: CSI that never ends": (strip_escapes, _after("\x1b[", "0")),
    "escapes: OSC openings": (strip_escapes, _repeat("\x1b]")),
    "escapes: CSI openings": (strip_escapes, _repeat("\x1b[")),
    "escapes: 8-bit CSI": (strip_escapes, _after("\x9b", "0")),
    "escapes: DCS openings": (strip_escapes, _repeat("\x1bP")),
    "escapes: colour kept": (lambda t: sanitize(t, True), _repeat("\x1b[31\x1b[1;")),
    "escapes: colour removed, never ended": (uncolored, _after("\x1b[", "1;")),
    "escapes: colour removed, openings": (uncolored, _repeat("\x1b[1;\x1b[")),
    "escapes: bidi and blanks": (field, _repeat("\u202e\t\n")),
    "markdown: backtick runs": (code, _repeat("``` ")),
    "markdown: a fence's backticks": (fence, _repeat("`")),
    "links: many labels": (linkable, _after("https://", "a.")),
    "deploy: Uploaded with parentheses that never close": (_deploy, _repeat("Uploaded a (1 (")),
    "deploy: Uploaded, a name of blanks": (_deploy, _after("Uploaded ", " ")),
    "deploy: a banner's blanks": (_deploy, _after("⛅️ wrangler ", " ")),
    "deploy: a version id of blanks": (_deploy, _after("Current Version ID:", " ")),
    "deploy: a preview URL": (_deploy, _after("Version Preview URL: https://", "a")),
    "deploy: a trigger line": (_deploy, _after("  https://", "a ")),
    "deploy: line breaks": (_deploy, _repeat("Uploaded a (1 sec)\n  https://x\n")),
    "deploy: a startup time": (_deploy, _after("Worker Startup Time: ", "9")),
    "ci: escaping data": (escape_data, _repeat("%\r\n\x1b[")),
    "ci: escaping a property": (escape_property, _repeat("%:,")),
    "ci: a section name": (lambda t: section_name(t, "deploy"), _repeat("a-")),
    "diff: digit runs and separators": (normalized, _repeat("1.2:3,")),
    "diff: hex that is never an id": (normalized, _repeat("abcdef1-")),
    "diff: a long hex word": (normalized, _repeat("abcdef0123")),
    "diff: UUIDs that stop short": (normalized, _repeat("0123abcd-0123-")),
    "diff: units after numbers": (normalized, _repeat("1 m1 s1 ")),
    "diff: queries": (normalized, _repeat("?a=1&")),
    "diff: temporary paths": (normalized, _repeat("/tmp/a/logs/wrangler-")),
    "diff: tokens": (tokens, _repeat("a|b,c:")),
    "diff: tools detected": (
        _versions,
        _after("Detected the following tools from environment: ", "node@1."),
    ),
    "diff: a wrangler banner of digits": (_versions, _after("wrangler ", "1.")),
    "pasted: a row of bars": (_pasted, _repeat("| -- ")),
    "pasted: a header of bars": (_pasted_first, _repeat("a |")),
    "pasted: wrapper tags": (_pasted, _repeat("<html ")),
    "pasted: separator dashes": (_pasted, _repeat("-- |")),
    "pasted: a time then blanks": (_pasted_first, _after("01:02:03.123", " ")),
    "pasted: a date's fraction that never ends": (
        _pasted_first,
        _after("2025-12-11T01:46:02.", "1"),
    ),
    "pasted: a continued line of times": (_pasted, _repeat("01:02:03.1 ")),
    "jsonc: empty comments": (_jsonc, _repeat("/**/")),
    "jsonc: comments before a closing bracket": (_jsonc, _after('{"a": 1,', "/**/ ")),
    "jsonc: comment openings": (_jsonc, _repeat("/*")),
    "jsonc: an unterminated string of escapes": (_jsonc, _after('"', "\\")),
    "jsonc: commas": (_jsonc, _repeat(", ")),
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_time_grows_linearly_with_the_line(name: str) -> None:
    work, make = ADVERSARIAL[name]
    ratio = min(growth(work, make) for _ in range(2))  # a second try if the machine was busy
    assert ratio < LIMIT, f"{name}: {ratio:.1f}x the time per character at {FACTOR}x the size"


def test_the_timing_catches_a_quadratic_pattern() -> None:
    """The measure can fail: a pattern that rescans from every start is caught by it."""
    backtracking = re.compile(r"[a.]*b")
    ratio = growth(backtracking.search, _repeat("a."), small=400)
    assert ratio > LIMIT
