"""`diff`: what is new in a failed build against good ones, on logs with real builds' noise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cloudflare_buildlogs import fake_api
from cloudflare_buildlogs.analysis.normalize import normalized
from cloudflare_buildlogs.errors import ExitCode

from .conftest import SENTINEL
from .noisy import PLANTED, noisy_lines

TAG = fake_api.DEMO_WORKER_TAG
FAILED = "f0000000-0000-4000-8000-000000000000"


def good(n: int) -> str:
    return f"a000000{n}-0000-4000-8000-000000000000"


@pytest.fixture
def history(state: fake_api.State) -> fake_api.State:
    """Four good builds of main (oldest first; the oldest says something the others do not),
    one good build of another branch, then a failed build of main with planted lines."""
    state.scripts.append({"id": "my-worker", "tag": TAG})
    for n in range(4):
        planted = (
            [("install", "npm warn deprecated inflight@1.0.6: not supported")] if n == 0 else []
        )
        state.add(
            fake_api.FakeBuild(
                good(n),
                noisy_lines(n, planted=planted),
                created_on=f"2025-12-0{n + 1}T10:00:00Z",
            )
        )
    state.add(
        fake_api.FakeBuild(
            good(9), noisy_lines(9), branch="feature", created_on="2025-12-06T10:00:00Z"
        )
    )
    failed = noisy_lines(
        99,
        tools="nodejs@24.1.0, npm@10.9.2",
        planted=[*PLANTED, ("install", "npm warn deprecated inflight@1.0.6: not supported")],
        install_seconds=60,
    )
    state.add(fake_api.FakeBuild(FAILED, failed, outcome="fail", created_on="2025-12-07T10:00:00Z"))
    return state


def run(server: fake_api.FakeServer, *args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    from cloudflare_buildlogs import cli

    from .conftest import api_environ, make_env

    captured = make_env(api_environ(server, CLOUDFLARE_API_TOKEN=SENTINEL, TZ="UTC"))
    if cwd is not None:
        captured.env.cwd = cwd
    code = cli.run(list(args), captured.env)
    return code, captured.out.getvalue(), captured.err.getvalue()


def test_planted_root_causes_come_out_new_and_the_noise_does_not(
    server: fake_api.FakeServer, history: fake_api.State
) -> None:
    code, out, err = run(server, "diff", FAILED, "-o", "json", "--baseline", "4")
    assert code == 0, err
    result = json.loads(out)
    new = {line["message"] for line in result["new"]}
    planted = {text for _, text in PLANTED}
    recall = len(new & planted) / len(planted)
    precision = len(new & planted) / max(1, len(new))
    assert (recall, precision) == (1.0, 1.0), new - planted
    assert {(line["phase"], line["message"]) for line in result["new"]} == set(PLANTED)
    assert result["base"] == [good(3), good(2), good(1), good(0)]  # of main, newest first
    assert result["versions"] == [{"tool": "nodejs", "from": "22.16.0", "to": "24.1.0"}]
    (install,) = result["phases"]
    assert (
        install["name"] == "install"
        and install["duration_seconds"] > 2 * install["base_duration_seconds"]
    )
    assert f"4 new lines in {FAILED} against {good(3)}, {good(2)}, {good(1)}, {good(0)}" in err


def test_one_baseline_misses_what_another_good_build_said(
    server: fake_api.FakeServer, history: fake_api.State
) -> None:
    code, out, _ = run(server, "diff", FAILED, "-o", "json")
    assert code == 0
    result = json.loads(out)
    assert result["base"] == [good(3)]
    messages = [line["message"] for line in result["new"]]
    assert "npm warn deprecated inflight@1.0.6: not supported" in messages  # said by good(0)
    code, out, _ = run(server, "diff", FAILED, "-o", "json", "--baseline", "4")
    assert "npm warn deprecated inflight@1.0.6: not supported" not in out


def test_text_and_markdown_shapes_and_exit_status(
    server: fake_api.FakeServer, history: fake_api.State
) -> None:
    code, out, _ = run(server, "diff", FAILED, "--baseline", "4", "-C", "1", "--exit-status")
    assert code == ExitCode.BUILD_FAILED
    lines = out.splitlines()
    assert lines[0] == "version  nodejs 22.16.0 -> 24.1.0"
    assert lines[1].startswith("phase    install took ")
    assert "## install" in lines and "## deploy" in lines
    new = [line for line in lines if line.startswith("+ ")]
    assert len(new) == 4 and all(line.split()[1].isdigit() for line in new)
    assert any(line.startswith("  ") for line in lines)  # the context
    assert "\x1b" not in out  # piped: no colour

    code, out, _ = run(server, "diff", FAILED, good(3), "-o", "markdown", "--both")
    assert code == 0
    assert out.startswith(f"### New in `{FAILED[:8]}` since `{good(3)[:8]}`")
    assert "- version `nodejs`: `22.16.0` → `24.1.0`" in out
    assert "```text\n" in out and "lines only in" not in out  # good(3) says nothing else

    code, out, err = run(server, "diff", good(1), good(0), "--both")
    assert code == 0, err
    assert out.splitlines()[-2:] == [
        f"## only in {good(0)}",
        "- 18  npm warn deprecated inflight@1.0.6: not supported",
    ]
    assert "1 of " in err and "missing" in err
    code, out, _ = run(server, "diff", good(1), good(0), "--both", "-o", "markdown")
    assert code == 0 and f"1 lines only in `{good(0)[:8]}`:" in out
    assert out.rstrip().endswith("npm warn deprecated inflight@1.0.6: not supported\n```")


def test_nothing_new_against_itself_and_a_file_needs_a_base(
    server: fake_api.FakeServer, history: fake_api.State, tmp_path: Path
) -> None:
    code, out, err = run(server, "diff", good(3), good(3), "--exit-status")
    assert (code, out) == (0, "")
    assert "0 new lines" in err
    saved = tmp_path / "failed.ndjson"
    code, out, _ = run(server, "get", FAILED, "--ndjson")
    saved.write_text(out)
    code, out, err = run(server, "diff", str(saved))
    assert code == ExitCode.USAGE and "does not say which Worker it is from: name BASE" in err
    code, out, err = run(server, "diff", str(saved), good(3), "-o", "json")
    assert code == 0, err
    assert len(json.loads(out)["new"]) == 5


def test_a_dashboard_url_names_the_account_to_read_as_get_takes_it(
    server: fake_api.FakeServer, history: fake_api.State
) -> None:
    other = "fedcba9876543210fedcba9876543210"
    history.accounts[:] = [{"id": other, "name": "Other"}]  # the configured one is not there

    def url(uuid: str, account: str = other) -> str:
        return f"https://dash.cloudflare.com/{account}/workers/services/view/my-worker/production/builds/{uuid}"

    code, out, err = run(server, "diff", url(FAILED), "-o", "json")
    assert code == 0, err
    assert len(json.loads(out)["new"]) == 5
    code, out, err = run(server, "diff", url(FAILED), url(good(3)), "-o", "json")
    assert code == 0, err
    code, _, err = run(server, "diff", url(FAILED), url(good(3), "0" * 32))
    assert code == ExitCode.USAGE and "two accounts" in err


def test_base_selection_falls_back_to_any_branch_and_none_is_exit_4(
    server: fake_api.FakeServer, state: fake_api.State
) -> None:
    state.add(
        fake_api.FakeBuild(
            good(1), noisy_lines(1), branch="main", created_on="2025-12-01T10:00:00Z"
        )
    )
    state.add(
        fake_api.FakeBuild(
            good(2), noisy_lines(2), outcome="fail", branch="x", created_on="2025-12-02T10:00:00Z"
        )
    )
    state.add(
        fake_api.FakeBuild(
            FAILED, noisy_lines(3), outcome="fail", branch="x", created_on="2025-12-03T10:00:00Z"
        )
    )
    code, out, err = run(server, "diff", FAILED, "-o", "json")
    assert code == 0, err
    assert json.loads(out)["base"] == [good(1)]  # no good build of x: any branch
    code, _, err = run(server, "diff", good(1))
    assert code == ExitCode.NOT_FOUND and "succeeded before build" in err
    code, _, err = run(server, "diff", FAILED, "--baseline", "11")
    assert code == ExitCode.USAGE and "--baseline must be 1 to 10" in err


def test_normalised_forms_of_noise() -> None:
    pairs = [
        ("Uploaded my-worker (1.29 sec)", "Uploaded my-worker (12.04 sec)"),
        ("Done in 350ms.", "Done in 1.2s."),
        (
            "Current Version ID: 8c2f1a4e-55b7-4f1e-9d3a-0e6c7b2a9f11",
            "Current Version ID: 0e0e0e0e-0b0b-4c0c-8d0d-0e0e0e0e0e0e",
        ),
        ("HEAD is now at 9f8e7d6 Update", "HEAD is now at 1a2b3c4 Update"),
        ("Wrote /tmp/vite-abc/x.json", "Wrote /tmp/vite-zzz/y.json"),
        ("GET https://r.org/p?t=1&u=2 200", "GET https://r.org/p?t=9 200"),
        ("2025-12-11T01:46:02.351Z start", "2026-01-01T00:00:00Z start"),
        ("\x1b[32m✓\x1b[39m 12 modules", "✓ 999   modules"),
    ]
    for one, other in pairs:
        assert normalized(one) == normalized(other), (one, other)
    assert normalized("npm warn EBADENGINE") != normalized("npm warn deprecated")


def test_summary_compare_adds_the_new_lines_and_versions(
    server: fake_api.FakeServer, history: fake_api.State
) -> None:
    code, out, err = run(server, "summary", FAILED, "--compare", "-o", "json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["base"] == [good(3)]
    assert summary["versions"] == [{"tool": "nodejs", "from": "22.16.0", "to": "24.1.0"}]
    messages = {line["message"] for line in summary["new"]}
    assert {text for _, text in PLANTED} <= messages and summary["new_total"] == 5
    assert summary["phases"]  # the summary itself is all there

    code, out, _ = run(server, "summary", FAILED, "--compare")
    assert code == 0
    assert f"New since the last good build ({good(3)}):" in out
    assert "  version nodejs 22.16.0 -> 24.1.0" in out
    code, out, _ = run(server, "summary", FAILED, "--compare", "-o", "markdown")
    assert f"**New since the last good build** (`{good(3)[:8]}`)" in out
    assert "- version `nodejs`: `22.16.0` → `24.1.0`" in out

    code, out, err = run(server, "summary", good(0), "--compare", "-o", "json")
    assert code == 0 and "note: nothing to compare with" in err
    assert "new" not in json.loads(out)


def test_a_form_does_not_change_with_the_digits() -> None:
    """What lets `Forms` make one form for the messages that differ only in their digits."""
    from cloudflare_buildlogs.analysis.compare import Forms
    from cloudflare_buildlogs.fake_api import RealisticLines

    from .noisy import noisy_lines

    messages = [text for _, text in noisy_lines(7, planted=list(PLANTED))]
    messages += [text for _, text in RealisticLines(400)[:]]
    messages += [
        "\x1b[38;5;208mwarn\x1b[0m 1a2b3c4d5e",
        "v1.2.3-rc.4+5",
        "\ud800 12 lone",
        "0x7f 99%",
    ]
    zeros = str.maketrans("123456789", "000000000")
    forms = Forms()
    for message in messages:
        assert normalized(message) == normalized(message.translate(zeros)), message
        assert forms(message) == normalized(message)


def test_a_log_unlike_any_good_one_is_all_new_and_kept_within_bounds() -> None:
    from cloudflare_buildlogs.analysis.compare import MAX_NEW, Finder, Forms, Index

    def page(start: int, word: str) -> list[tuple[int, float, bool, str, int, str]]:
        return [
            (0, 0.0, False, f"{word} {i} {word * 3}", i, "build")
            for i in range(start, start + 1000)
        ]

    index = Index(Forms())
    for start in range(0, 8000, 1000):
        index.add(page(start, "good"))
    finder = Finder(index, 0)
    for start in range(0, 8000, 1000):
        finder.write(page(start, "bad"))
    assert finder.new == 8000 and len(finder.shown) == MAX_NEW
