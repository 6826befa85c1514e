"""What a new user tripped over in the first week (issue 16), tried again as they did: through
the installed command, against the fake API."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from cloudflare_buildlogs import fake_api

from .conftest import BIN, BUILD, SENTINEL, Cli

EPOCH = 1636472400
TAG = fake_api.DEMO_WORKER_TAG


def test_a_config_folder_that_cannot_be_written_is_a_clear_error(cli: Cli) -> None:
    proc = subprocess.run(
        [str(BIN), "auth", "login", "--with-token"], input=SENTINEL, capture_output=True, text=True,
        env=cli.env({"CF_BUILDLOGS_CONFIG_DIR": "/proc/nope"}), timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "cannot write in the config folder /proc/nope" in proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr


def run_in(folder: Path, cli: Cli, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN), *args], cwd=folder, capture_output=True, text=True, env=cli.env(),
        timeout=60, check=False,
    )  # fmt: skip


def test_a_broken_wrangler_config_is_named_with_its_line_and_column(
    cli: Cli, tmp_path: Path
) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "wrangler.toml").write_text('name = "my-worker\n')
    toml = run_in(tmp_path, cli, "latest")
    assert toml.returncode == 2
    assert f"{tmp_path / 'wrangler.toml'}: not valid TOML" in toml.stderr
    assert "line 1, column" in toml.stderr and "no top-level" not in toml.stderr
    app = tmp_path / "app"
    app.mkdir()
    (app / "wrangler.jsonc").write_text('{\n  // the app\n  "name": }\n')
    jsonc = run_in(app, cli, "latest")
    assert jsonc.returncode == 2
    assert "not valid JSON at line 3, column 11: Expecting value" in jsonc.stderr
    every = run_in(tmp_path, cli, "latest", "--all")
    assert every.stderr.count("warning:") == 2 and every.returncode == 2


def test_progress_frames_print_as_a_terminal_shows_them(cli: Cli, state: fake_api.State) -> None:
    frames = "[=====   ] 25%\r[======= ] 50%\r[========] 100%"
    state.add(fake_api.FakeBuild(BUILD, [[EPOCH, frames], [EPOCH, "done\r\n"]]))
    text = cli("get", BUILD, "--no-timestamps")
    assert text.stdout == "[========] 100%\ndone\n"
    records = [json.loads(x) for x in cli("get", BUILD, "--ndjson").stdout.splitlines()]
    assert records[0]["message"] == frames  # JSON keeps the message as sent


def test_a_cursor_back_to_the_first_page_prints_no_line_twice(
    cli: Cli, state: fake_api.State
) -> None:
    state.page_size = 10
    state.add(fake_api.FakeBuild(BUILD, [[EPOCH + i, f"line {i}"] for i in range(25)]))
    state.faults.append(fake_api.Fault("cursor-to-start", times=3))
    result = cli("get", BUILD, "--no-timestamps", "--no-cache")
    assert result.code == 5, result.stderr
    printed = result.stdout.splitlines()
    assert len(printed) == len(set(printed)) == 10
    assert "the same page of the log twice" in result.stderr


def test_a_queued_build_and_an_empty_list_are_not_silent(cli: Cli, state: fake_api.State) -> None:
    state.add(
        fake_api.FakeBuild(BUILD, [[EPOCH, "x"]], live=fake_api.Live(started=0, queued_s=1e9))
    )
    queued = cli("get", BUILD)
    assert queued.code == 0 and queued.stdout == ""
    assert f"note: build {BUILD} is still queued" in queued.stderr
    unknown = cli("list", "f" * 32)
    assert unknown.code == 4 and f"no builds of Worker {'f' * 32}" in unknown.stderr
    other = cli("list", TAG, "--branch", "nope")
    assert other.code == 0 and "note: no build of" in other.stderr and "branch nope" in other.stderr


def test_the_demo_says_nothing_internal_and_shows_the_json_forms(cli: Cli) -> None:
    plain = cli("demo")
    assert plain.code == 0
    assert "accounts.json" not in plain.stderr and "remembered" not in plain.stderr
    ndjson = cli("demo", "--ndjson")
    records = [json.loads(line) for line in ndjson.stdout.splitlines()]
    assert ndjson.code == 0 and records[0]["type"] == "line" and records[0]["line"] == 1
    document = json.loads(cli("demo", "-o", "json").stdout)
    assert document["build_uuid"] == fake_api.DEMO_BUILD and document["lines"]
    assert cli("demo", "--summary", "--ndjson").code == 2


def test_a_view_summary_reads_well_without_an_end_record(cli: Cli, tmp_path: Path) -> None:
    saved = tmp_path / "build.ndjson"
    saved.write_text(
        json.dumps({"type": "line", "timestamp": None, "epoch": EPOCH, "message": "Error: x"})
        + "\n"
    )
    text = cli("view", str(saved), "--summary")
    assert text.stdout.splitlines()[:2] == ["build, state unknown", "1 line"]
    markdown = cli("view", str(saved), "--summary", "-o", "markdown").stdout
    assert markdown.startswith("### ⏳ Build, state unknown\n\n1 line\n") and "`` " not in markdown
    assert (
        json.loads(cli("view", str(saved), "--summary", "-o", "json").stdout)["build_uuid"] is None
    )
    end = {"type": "end", "build_uuid": BUILD, "status": "stopped", "outcome": "fail", "lines": 1}
    saved.write_text(saved.read_text() + json.dumps(end) + "\n")
    ended = cli("view", str(saved), "--summary", "-o", "markdown").stdout
    assert ended.startswith(f"### ❌ Build failed\n\n`{BUILD}` · 1 line")


def test_one_colour_decision_for_every_output(cli: Cli, state: fake_api.State) -> None:
    state.add(fake_api.FakeBuild(BUILD, [[EPOCH, "Error: no"]], outcome="fail"))
    for args in (["summary", BUILD], ["list", TAG]):
        for forced in ({"FORCE_COLOR": "1"}, {}):
            colour = cli(*args, *([] if forced else ["--color", "always"]), env=forced).stdout
            assert "\x1b[" in colour, (args, forced)
        assert "\x1b[" not in cli(*args).stdout  # piped, as asked by default: plain
    follow = cli("get", BUILD, "--exit-status", "--color", "always", "--no-cache")
    assert follow.code == 1 and "\x1b[31m✗\x1b[0m build" in follow.stderr
    no = cli("get", BUILD, "--exit-status", "--no-cache", env={"FORCE_COLOR": "1"})
    assert "\x1b[31m✗" in no.stderr
    assert "\x1b[" not in cli("get", BUILD, "--exit-status", "--no-cache").stderr


def test_every_failing_exit_says_why_and_an_unnamed_worker_is_called_so(
    cli: Cli, state: fake_api.State
) -> None:
    state.add(fake_api.FakeBuild(BUILD, [[EPOCH, "Error: no"]], outcome="fail"))
    summary = cli("summary", BUILD, "--exit-status")
    assert summary.code == 1 and summary.stderr.startswith(f"build {BUILD[:8]} failed")
    get = cli("get", BUILD, "--exit-status")
    assert f"· worker {TAG[:8]} ·" in get.stderr  # the tag, said to be one: no name is known
