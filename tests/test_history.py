"""`history`: a Worker's last builds with their phases, the totals, flaky commits, and the chart
on a real pseudo-terminal."""

from __future__ import annotations

import json

import pytest

from cloudflare_buildlogs import fake_api
from cloudflare_buildlogs.errors import ExitCode

from .conftest import Cli
from .noisy import noisy_lines
from .test_diff import run
from .test_summary import run_on_a_terminal

TAG = fake_api.DEMO_WORKER_TAG


def uuid(n: int) -> str:
    return f"b000000{n}-0000-4000-8000-000000000000"


@pytest.fixture
def builds(state: fake_api.State) -> fake_api.State:
    """Six builds, oldest first: commit c1 passes then fails (flaky), a cancelled one, a build
    of another branch, and a slow install."""
    state.scripts.append({"id": "my-worker", "tag": TAG})
    plan = [
        ("c1", "success", "main", 12),
        ("c1", "fail", "main", 12),
        ("c2", "success", "main", 12),
        ("c3", "cancelled", "main", 12),
        ("c4", "success", "dev", 12),
        ("c5", "success", "main", 80),
    ]
    for n, (commit, outcome, branch, install) in enumerate(plan):
        start = 1_764_583_200 + n * 86400  # 2025-12-01T10:00:00Z, a day apart
        lines = noisy_lines(n, install_seconds=install, start=start + 5)
        state.add(
            fake_api.FakeBuild(
                uuid(n),
                lines,
                outcome=outcome,
                branch=branch,
                commit_hash=commit * 20,
                created_on=fake_api._iso(start),
                stopped_on=fake_api._iso(lines[-1][0] + 1),
            )
        )
    return state


def test_json_has_each_build_its_phases_and_the_totals(
    server: fake_api.FakeServer, builds: fake_api.State
) -> None:
    code, out, err = run(server, "history", "my-worker", "-o", "json")
    assert code == 0, err
    history = json.loads(out)
    assert history["worker"] == "my-worker"
    assert [b["build_uuid"] for b in history["builds"]] == [uuid(n) for n in range(5, -1, -1)]
    newest = history["builds"][0]
    assert set(newest["phases"]) == {
        "initialize",
        "clone",
        "configure",
        "install",
        "build",
        "deploy",
    }
    assert newest["phases"]["install"] == pytest.approx(80 // 4 * 10, abs=1)
    assert newest["queue_seconds"] is not None
    # passed: b0 b2 b4 b5; failed: b1; the cancelled one is neither
    assert history["success_rate"] == pytest.approx(0.8)
    assert history["flaky_commits"] == ["c1" * 20]
    assert history["slowest_phase"] == "install"
    assert (
        history["median_seconds"] is not None
        and history["p90_seconds"] >= history["median_seconds"]
    )


def test_a_second_run_makes_only_the_list_requests(
    server: fake_api.FakeServer, builds: fake_api.State
) -> None:
    code, first, _ = run(server, "history", "my-worker", "-o", "json")
    assert code == 0
    builds.requests.clear()
    code, second, _ = run(server, "history", "my-worker", "-o", "json")
    assert (code, second) == (0, first)
    paths = [path for _, path, _ in builds.requests]
    assert paths and all(p.endswith(("/builds", "/workers/scripts")) for p in paths), paths


def test_text_branch_limit_and_markdown(
    server: fake_api.FakeServer, builds: fake_api.State
) -> None:
    code, out, _ = run(server, "history", TAG, "--branch", "main", "--limit", "2")
    assert code == 0
    lines = out.splitlines()
    assert lines[1].split("\t")[:3] == ["#", "build", "outcome"]
    assert [line.split("\t")[1] for line in lines[2:4]] == [uuid(5), uuid(3)]
    assert lines[4] == "" and lines[5].startswith("success rate: 100%")
    code, out, _ = run(server, "history", "my-worker", "-o", "markdown")
    assert out.startswith("### History of `my-worker`") and "- flaky commits: `c1c1c1c`" in out
    code, _, err = run(server, "history", "my-worker", "--limit", "0")
    assert code == ExitCode.USAGE and "--limit must be 1 to 200" in err
    code, _, err = run(server, "history", "my-worker", "--branch", "nope")
    assert code == ExitCode.NOT_FOUND and "no builds of Worker my-worker on branch nope" in err


def test_the_chart_on_a_pseudo_terminal(cli: Cli, builds: fake_api.State) -> None:
    screen = run_on_a_terminal(
        ["history", "my-worker"], cli.env({"TERM": "xterm", "COLUMNS": "110"})
    )
    lines = screen.replace("\r\n", "\n").splitlines()
    rows = [line for line in lines if "b000000" in line]
    assert rows, screen
    assert len(rows) == 6
    slow = next(r for r in rows if "b0000005" in r)
    assert "\x1b[32m" in slow and "█" in slow  # green, with the install segment
    failed = next(r for r in rows if "b0000001" in r)
    assert "\x1b[31m" in failed
    bars = {r.split()[1]: r.count("█") + r.count("▆") + r.count("▄") for r in rows}
    assert bars["b0000005"] > bars["b0000002"]  # the longer build has the longer bar
    assert any(line.startswith("success rate: 80%") for line in lines)


def test_fields_from_outside_are_cleaned_and_markdown_keeps_them_in_code(
    server: fake_api.FakeServer, builds: fake_api.State
) -> None:
    hostile = builds.builds[uuid(5)]
    hostile.outcome = "**pwned**\t[x](https://evil.example)\x1b[31m"
    hostile.branch = "main\n# heading"
    code, out, _ = run(server, "history", "my-worker")
    assert code == 0
    row = next(line for line in out.splitlines() if line.startswith("1\t"))
    assert len(row.split("\t")) == len(out.splitlines()[1].split("\t"))  # no tab of its own
    assert "\x1b" not in out and "\n# heading" not in out
    code, out, _ = run(server, "history", "my-worker", "-o", "markdown")
    assert "| `**pwned** [x](https://evil.example)` |" in out
