"""Following live builds end to end: the installed command, real HTTP, real time (short)."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from cloudflare_buildlogs import fake_api

from .conftest import BIN, BUILD, Cli, git_repo

TAG = fake_api.DEMO_WORKER_TAG


def live(
    state: fake_api.State,
    *,
    lines: int = 15,
    per_s: float = 30,
    outcome: str = "success",
    caught_up: str = "cursor",
    uuid: str = BUILD,
    **extra: object,
) -> fake_api.FakeBuild:
    play = fake_api.Live(
        started=time.monotonic(),
        queued_s=0.2,
        initializing_s=0.2,
        lines_per_s=per_s,
        caught_up=caught_up,
    )
    return state.add(
        fake_api.FakeBuild(
            uuid, fake_api.GeneratedLines(lines), outcome=outcome, live=play, **extra
        )
    )  # type: ignore[arg-type]


def lines_of(out: str) -> list[str]:
    return [json.loads(x)["message"] for x in out.splitlines() if json.loads(x)["type"] == "line"]


def expected(count: int) -> list[str]:
    return [f"step {i}: compiled module {i % 97} [ok]" for i in range(count)]


@pytest.mark.parametrize(
    ("outcome", "caught_up", "code"),
    [
        ("success", "cursor", 0),
        ("skipped", "cursor", 0),
        ("fail", "cursor", 1),
        ("cancelled", "cursor", 1),
        ("terminated", "cursor", 1),
        ("success", "none", 0),
        ("fail", "none", 1),
    ],
)
def test_following_a_live_build_exits_by_its_outcome(
    cli: Cli, state: fake_api.State, outcome: str, caught_up: str, code: int
) -> None:
    state.page_size = 4
    live(state, outcome=outcome, caught_up=caught_up)
    result = cli("get", BUILD, "--follow", "--ndjson", "--interval", "0.1")
    assert result.code == code, result.stderr
    assert lines_of(result.stdout) == expected(15)
    end = json.loads(result.stdout.splitlines()[-1])
    assert (end["type"], end["outcome"], end["lines"]) == ("end", outcome, 15)
    assert result.stderr.startswith(f"build {BUILD[:8]} ")  # the plain summary, not a terminal


def test_faults_while_following_over_real_http(cli: Cli, state: fake_api.State) -> None:
    state.page_size = 3
    live(state, lines=20, per_s=20)
    state.faults += [
        fake_api.Fault("429", skip=3, retry_after="0"),
        fake_api.Fault("drop", skip=5),
        fake_api.Fault("500", skip=2, path="/builds/"),
    ]
    result = cli("get", BUILD, "-f", "--ndjson", "--interval", "0.1")
    assert result.code == 0, result.stderr
    assert lines_of(result.stdout) == expected(20)
    assert all(f.times == 0 for f in state.faults)


def test_timeout_is_exit_6(cli: Cli, state: fake_api.State) -> None:
    live(state, lines=100, per_s=2)
    result = cli("get", BUILD, "-f", "--timeout", "1s", "--interval", "0.1", "--no-timestamps")
    assert result.code == 6
    assert "gave up after 1s" in result.stderr
    assert result.stdout.splitlines() == expected(len(result.stdout.splitlines()))


def test_ctrl_c_while_following_keeps_every_line_printed(cli: Cli, state: fake_api.State) -> None:
    live(state, lines=100, per_s=10)
    proc = subprocess.Popen(
        [str(BIN), "get", BUILD, "-f", "--no-timestamps", "--interval", "0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli.env(),
        text=True,
        stdin=subprocess.DEVNULL,
    )
    with proc:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()  # lines are flushed as they arrive
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        rest, err = proc.stdout.read(), proc.stderr.read()
        proc.wait(timeout=20)
    printed = [first.rstrip("\n"), *rest.splitlines()]
    assert proc.returncode == 130
    assert printed == expected(len(printed)) and 2 <= len(printed) < 100
    assert "interrupted" in err and "Traceback" not in err


def test_push_then_latest_commit_head_wait_follow(
    cli: Cli, state: fake_api.State, tmp_path: Path
) -> None:
    repo = tmp_path / "my-worker"
    head = git_repo(repo, {"wrangler.jsonc": '{\n  // the Worker\n  "name": "my-worker",\n}\n'})
    state.scripts.append({"id": "my-worker", "tag": TAG})
    state.add(fake_api.FakeBuild("11111111-0000-4000-8000-000000000000", [[1, "old build"]]))
    live(state, lines=10, commit_hash=head, appears_at=time.monotonic() + 0.6)
    proc = subprocess.run(
        [
            str(BIN),
            "latest",
            "--commit",
            "HEAD",
            "--wait",
            "--follow",
            "--ndjson",
            "--interval",
            "0.1",
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        env=cli.env(),
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert lines_of(proc.stdout) == expected(10)
    listed = subprocess.run(
        [str(BIN), "list"],
        cwd=repo / ".git",
        capture_output=True,
        text=True,
        env=cli.env(),
        timeout=60,
        check=False,
    )
    rows = [row.split("\t") for row in listed.stdout.splitlines()]
    assert rows[1][0] == BUILD and rows[1][3] == head[:7] and rows[2][0].startswith("11111111")
