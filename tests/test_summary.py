"""`summary`, `latest --summary`, the filters and the terminal view, against the fake API:
in-process for the many cases, the installed command for what a user and a script touch."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import time

import pytest

from cloudflare_buildlogs import cli, fake_api

from .builds import FAILED_LOG, SUCCESS_LOG
from .conftest import ACCOUNT, BIN, BUILD, SENTINEL, Captured, Cli, api_environ, make_env
from .test_follow import FakeClock

T0 = 1_700_000_000
TAG = fake_api.DEMO_WORKER_TAG
URL = f"https://dash.cloudflare.com/{ACCOUNT}/workers/services/view/my-worker/production/builds/{BUILD}"
SECRET_LINE = "Using CLOUDFLARE_API_TOKEN=s3cr3tT0k3nValue42 for the deploy"


def log(messages: list[str]) -> list[list[object]]:
    return [[T0 + i, m] for i, m in enumerate(messages)]


@pytest.fixture
def api(state: fake_api.State, server: fake_api.FakeServer) -> dict[str, str]:
    state.page_size = 7
    state.scripts.append({"id": "my-worker", "tag": TAG})
    return api_environ(server, TZ="UTC")


def add(state: fake_api.State, messages: list[str], outcome: str = "fail") -> None:
    stopped = fake_api._iso(T0 + len(messages) + 5)  # it stopped 5 s after its last line
    state.add(fake_api.FakeBuild(BUILD, log(messages), outcome=outcome, stopped_on=stopped))


def add_running(state: fake_api.State, lines_per_s: float) -> FakeClock:
    """The failing deploy, still being played: its lines come as the returned clock moves."""
    clock = FakeClock()
    state.clock = clock.monotonic
    live = fake_api.Live(started=clock.now, lines_per_s=lines_per_s)
    state.add(fake_api.FakeBuild(BUILD, log(FAILED_LOG), outcome="fail", live=live))
    return clock


def run(args: list[str], environ: dict[str, str], tty: bool = False) -> tuple[int, Captured]:
    captured = make_env(environ, tty=tty)
    code = cli.run(args, captured.env)
    assert SENTINEL not in captured.out.getvalue() + captured.err.getvalue()
    return code, captured


def summary_json(args: list[str], api: dict[str, str]) -> dict[str, object]:
    code, io = run(["summary", *args, "-o", "json"], api)
    assert code == 0, io.err.getvalue()
    doc = json.loads(io.out.getvalue())
    assert isinstance(doc, dict)
    return doc


# -- summary JSON (README, "summary") --------------------------------------------------------


def test_a_failed_build_names_its_failed_phase_errors_and_hints(
    state: fake_api.State, api: dict[str, str]
) -> None:
    add(state, FAILED_LOG)
    bare = summary_json([BUILD], api)  # a UUID alone names no Worker: no link
    assert (bare["worker"], bare["url"], bare["failed_phase"]) == (None, None, "deploy")
    doc = summary_json([URL], api)
    assert {k: doc[k] for k in ("build_uuid", "account_id", "worker", "url", "status", "outcome")} == {
        "build_uuid": BUILD, "account_id": ACCOUNT, "worker": "my-worker", "url": URL,
        "status": "stopped", "outcome": "fail",
    }  # fmt: skip
    assert (doc["branch"], doc["lines"], doc["failed_phase"]) == ("main", len(FAILED_LOG), "deploy")
    assert doc["duration_seconds"] == 40.0 == len(FAILED_LOG) + 5
    phases = doc["phases"]
    assert isinstance(phases, list)
    assert [p["name"] for p in phases] == [
        "initialize",
        "clone",
        "configure",
        "install",
        "build",
        "deploy",
    ]
    assert phases[3] == {"name": "install", "started": "2023-11-14T22:13:27Z", "duration_seconds": 4.0, "lines": 4, "status": "ok"}  # fmt: skip
    assert phases[-1]["status"] == "failed"
    assert doc["errors"] == [
        {"line": 23, "phase": "deploy", "timestamp": "2023-11-14T22:13:42Z",
         "message": "✘ [ERROR] Missing entry-point to Worker script or to assets directory"},
        {"line": 35, "phase": "deploy", "timestamp": "2023-11-14T22:13:54Z",
         "message": "Failed: error occurred while running deploy command"},
    ]  # fmt: skip
    assert doc["errors_total"] == 2
    hints = doc["hints"]
    assert isinstance(hints, list) and "entry point" in hints[0]["text"]


def test_a_succeeded_build_has_no_failed_phase_and_every_phase_ok(
    state: fake_api.State, api: dict[str, str]
) -> None:
    add(state, SUCCESS_LOG, outcome="success")
    doc = summary_json([BUILD], api)
    assert (doc["outcome"], doc["failed_phase"], doc["errors"], doc["errors_total"]) == (
        "success", None, [], 0,
    )  # fmt: skip
    assert {p["status"] for p in doc["phases"]} == {"ok"}  # type: ignore[union-attr]


def test_a_cancelled_build_fails_in_the_phase_it_reached(
    state: fake_api.State, api: dict[str, str]
) -> None:
    add(state, SUCCESS_LOG[:12], outcome="cancelled")
    doc = summary_json([BUILD], api)
    assert (doc["outcome"], doc["failed_phase"]) == ("cancelled", "build")


def test_a_running_build_has_no_duration_and_its_last_phase_runs(
    state: fake_api.State, api: dict[str, str]
) -> None:
    clock = add_running(state, lines_per_s=1)
    clock.now += 14.5  # 14 lines shown: into the install phase
    doc = summary_json([BUILD], api)
    assert (doc["status"], doc["outcome"], doc["duration_seconds"], doc["lines"]) == (
        "running", None, None, 14,
    )  # fmt: skip
    assert doc["phases"][-1]["status"] == "running" and doc["failed_phase"] is None  # type: ignore[index]


def test_a_build_named_by_url_needs_no_account_and_the_worker_comes_from_it(
    state: fake_api.State, api: dict[str, str]
) -> None:
    add(state, FAILED_LOG)
    state.scripts.clear()  # no name lookup: the URL says it
    environ = {k: v for k, v in api.items() if k != "CLOUDFLARE_ACCOUNT_ID"}
    doc = summary_json([URL.upper().replace("HTTPS://DASH.CLOUDFLARE.COM", "https://dash.cloudflare.com").replace("WORKERS/SERVICES/VIEW/MY-WORKER/PRODUCTION/BUILDS", "workers/services/view/my-worker/production/builds")], environ)  # fmt: skip
    assert (doc["worker"], doc["url"], doc["account_id"]) == ("my-worker", URL, ACCOUNT)
    code, io = run(["summary", URL, "--account-id", "f" * 32], api)
    assert code == 2 and "differs from the account in the build's URL" in io.err.getvalue()


# -- text, Markdown, the terminal --------------------------------------------------------------


def test_markdown_is_redacted_by_default_and_has_no_escape_bytes(
    state: fake_api.State, api: dict[str, str]
) -> None:
    add(state, [*FAILED_LOG[:-1], SECRET_LINE, FAILED_LOG[-1]])
    code, io = run(["summary", URL, "-o", "markdown"], api)
    text = io.out.getvalue()
    assert code == 0 and "\x1b" not in text
    assert text.startswith("### ❌ `my-worker`: build failed in 41s\n")
    assert f"[build {BUILD[:8]}]({URL})" in text and "| deploy | " in text
    assert "CLOUDFLARE_API_TOKEN=*** for the deploy" in text and "s3cr3tT0k3n" not in text
    assert "```text\n" in text and "35- " + SECRET_LINE.replace("s3cr3tT0k3nValue42", "***") in text
    _, raw = run(["summary", URL, "-o", "markdown", "--no-redact"], api)
    assert "s3cr3tT0k3nValue42" in raw.out.getvalue()


def test_text_in_a_pipe_is_plain_and_on_a_terminal_is_drawn(
    state: fake_api.State, api: dict[str, str]
) -> None:
    add(state, FAILED_LOG)
    code, io = run(["summary", URL, "--exit-status"], api)
    text = io.out.getvalue()
    assert code == 1 and "\x1b" not in text
    assert text.splitlines()[0] == f"my-worker {BUILD[:8]} failed in 40s"
    deploy = next(row.split() for row in text.splitlines() if row.startswith("deploy "))
    assert (deploy[0], deploy[3:]) == ("deploy", ["23s", "18", "failed"])  # started: local time
    assert "23: ✘ [ERROR] Missing entry-point" in text and "\n--\n" in text
    _, tty = run(["summary", URL], {**api, "TERM": "xterm"}, tty=True)
    drawn = tty.out.getvalue()
    assert "\x1b[" in drawn and f"✗ my-worker {BUILD[:8]} failed in 40s" in drawn
    assert "23: ✘ [ERROR] Missing entry-point" in drawn


def test_latest_summary_and_bad_summary_options(state: fake_api.State, api: dict[str, str]) -> None:
    add(state, FAILED_LOG)
    code, io = run(["latest", "my-worker", "--summary", "--json"], api)
    assert code == 0 and json.loads(io.out.getvalue())["failed_phase"] == "deploy"
    for args, words in [
        (["latest", "my-worker", "--summary", "--ndjson"], "--summary cannot be combined with --ndjson"),
        (["latest", "my-worker", "--summary", "--tail", "3"], "--summary cannot be combined with --tail"),
        (["latest", "my-worker", "-o", "markdown"], "-o markdown is a summary format"),
        (["get", BUILD, "-o", "markdown"], "-o markdown is a summary format"),
        (["summary", BUILD, "-o", "ndjson"], "--output must be one of text, json, markdown"),
        (["summary", BUILD, "-C", "-2"], "--context must be 0 or more"),
        (["get", BUILD, "--errors", "--context", "-1"], "--context must be 0 or more"),
        (["get", BUILD, "--phase", "build,compile"], "unknown phase compile"),
        (["get", "https://dash.cloudflare.com/x/workers"], "not the dashboard URL of a build"),
    ]:  # fmt: skip
        code, io = run(args, api)
        assert (code, io.out.getvalue()) == (2, ""), args
        first = io.err.getvalue().splitlines()[0]
        assert words in first and "Traceback" not in io.err.getvalue(), (args, first)


# -- --errors and --phase ----------------------------------------------------------------------


def test_errors_print_like_grep_context_in_every_format(
    state: fake_api.State, api: dict[str, str]
) -> None:
    add(state, FAILED_LOG)
    code, io = run(["get", BUILD, "--errors", "-C", "1", "--no-timestamps"], api)
    assert code == 0
    assert io.out.getvalue().splitlines() == [
        "", "✘ [ERROR] Missing entry-point to Worker script or to assets directory", "",
        "--",
        '🪵  Logs were written to "/opt/buildhome/.config/.wrangler/logs/wrangler-2025-06-12_09-14-03_101.log"',
        "Failed: error occurred while running deploy command",
    ]  # fmt: skip
    _, nd = run(["get", BUILD, "--errors", "-C", "0", "--ndjson"], api)
    records = [json.loads(line) for line in nd.out.getvalue().splitlines()]
    assert [(r["line"], r["phase"]) for r in records] == [(23, "deploy"), (35, "deploy")]
    _, js = run(["get", BUILD, "--errors", "-C", "0", "--phase", "install", "--json"], api)
    assert json.loads(js.out.getvalue())["lines"] == []
    assert (
        "no error lines in build" in js.err.getvalue() and "(phases install)" in js.err.getvalue()
    )


def test_phase_filter_and_redaction(state: fake_api.State, api: dict[str, str]) -> None:
    add(state, [*FAILED_LOG[:8], SECRET_LINE, *FAILED_LOG[8:]])
    _, io = run(["get", BUILD, "--phase", "install", "--no-timestamps", "--redact"], api)
    assert io.out.getvalue().splitlines() == [
        "Installing project dependencies: npm clean-install --progress=false",
        "Using CLOUDFLARE_API_TOKEN=*** for the deploy",
        *FAILED_LOG[8:10],
        "found 0 vulnerabilities",
    ]
    _, plain = run(["get", BUILD, "--phase", "install", "--no-timestamps"], api)
    assert SECRET_LINE in plain.out.getvalue()
    _, elapsed = run(["get", BUILD, "--phase", "deploy", "--timestamps", "elapsed"], api)
    assert elapsed.out.getvalue().startswith("+00:18  Executing user deploy command")


def test_a_followed_build_that_failed_ends_with_its_phase_and_first_error(
    state: fake_api.State, api: dict[str, str]
) -> None:
    add(state, FAILED_LOG)
    code, io = run(["latest", "my-worker", "--follow", "--no-timestamps"], api)
    err = io.err.getvalue().splitlines()
    assert code == 1
    assert err[-3].startswith(f"build {BUILD[:8]} failed in 40s · 35 lines · my-worker")
    assert err[-2] == (
        "  failed in phase deploy: ✘ [ERROR] Missing entry-point to Worker script or to assets "
        "directory (line 23)"
    )
    assert err[-1] == f"  {URL}"


# -- the installed command: pipes stay plain, a terminal gets the view ------------------------


def test_piped_output_is_byte_for_byte_the_plain_log(cli: Cli, state: fake_api.State) -> None:
    add(state, FAILED_LOG)
    result = cli("get", BUILD, "--color", "never")
    assert result.code == 0
    expected = "".join(
        f"2023-11-14 22:{13 + (20 + i) // 60:02d}:{(20 + i) % 60:02d}  "
        + __import__("re").sub(r"\x1b\[[0-9;]*m", "", m) + "\n"
        for i, m in enumerate(FAILED_LOG)
    )  # fmt: skip
    assert result.stdout == expected


def test_summary_and_bad_urls_through_the_installed_command(
    cli: Cli, state: fake_api.State
) -> None:
    add(state, FAILED_LOG)
    state.scripts.append({"id": "my-worker", "tag": TAG})
    md = cli("summary", URL, "-o", "markdown", "--exit-status")
    assert md.code == 1 and md.stdout.startswith("### ❌ `my-worker`: build failed")
    bad = cli("summary", URL.replace("dash.cloudflare.com", "dash.example.com"))
    assert bad.code == 2 and bad.stderr.splitlines()[0] == (
        f"cf-buildlogs: not a Cloudflare dashboard URL: {URL.replace('dash.cloudflare.com', 'dash.example.com')!r}"
    )


def run_on_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """The installed command with stdout and stderr on a pseudo-terminal, as a person runs it."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [str(BIN), *args], stdin=subprocess.DEVNULL, stdout=follower, stderr=follower, env=env
    )
    os.close(follower)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                data = os.read(leader, 65536)
            except OSError:  # the command closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    proc.wait(timeout=10)
    os.close(leader)
    return b"".join(chunks).decode()


def test_the_terminal_view_under_a_pseudo_terminal(cli: Cli, state: fake_api.State) -> None:
    add(state, FAILED_LOG)
    screen = run_on_a_terminal(["get", BUILD], cli.env({"TERM": "xterm", "COLUMNS": "100"}))
    lines = screen.replace("\r\n", "\n").splitlines()
    rules = [line for line in lines if "────────" in line and "\x1b[36m" in line]
    assert [r.split()[0] for r in rules] == ["initialize", "clone", "configure", "install", "build", "deploy"]  # fmt: skip
    assert "\x1b[31mMissing" not in screen  # the error line is painted whole, not by its own codes
    assert (
        "\x1b[31m✘ [ERROR] Missing entry-point to Worker script or to assets directory\x1b[0m"
        in screen
    )
    assert '\x1b[33m▲ [WARNING] The "main" field points' in screen
    assert "\x1b[31m\x1b[1m✗ Failed: error occurred while running deploy command" in screen
    assert "\x1b[32m\x1b[1m✓ Success: Build command completed" in screen


def test_errors_while_following_are_printed_as_they_qualify(
    state: fake_api.State, api: dict[str, str]
) -> None:
    clock = add_running(state, lines_per_s=2)
    captured = make_env(api)
    captured.env.monotonic, captured.env.sleep = clock.monotonic, clock.sleep
    code = cli.run(["get", BUILD, "--follow", "--errors", "-C", "1", "--ndjson"], captured.env)
    records = [json.loads(line) for line in captured.out.getvalue().splitlines()]
    assert code == 1
    assert [r["line"] for r in records[:-1]] == [22, 23, 24, 34, 35]
    assert records[-1] == {
        "type": "end",
        "build_uuid": BUILD,
        "status": "stopped",
        "outcome": "fail",
        "lines": 5,
    }
    assert "failed in phase deploy: ✘ [ERROR] Missing entry-point" in captured.err.getvalue()
