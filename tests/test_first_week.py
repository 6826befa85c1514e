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


def test_messages_name_the_real_cause_and_its_fix(
    cli: Cli, state: fake_api.State, tmp_path: Path
) -> None:
    state.add(fake_api.FakeBuild(BUILD, [[EPOCH, "x"]]))
    wrong = cli("get", BUILD, "--no-cache", env={"CLOUDFLARE_API_TOKEN": "wrong-token-1234"})
    assert wrong.code == 3 and "`cf-buildlogs auth status` tells which" in wrong.stderr
    state.tokens["old-token-00000000"] = fake_api.Token(status="expired")
    expired = cli("get", BUILD, "--no-cache", env={"CLOUDFLARE_API_TOKEN": "old-token-00000000"})
    assert expired.code == 3 and "may have expired or been rolled" in expired.stderr
    status = cli("auth", "status", env={"CLOUDFLARE_API_TOKEN": "old-token-00000000"})
    assert "token:       expired\n" in status.stdout and "no expiry" not in status.stdout
    half = cli("get", BUILD, env={"CLOUDFLARE_API_TOKEN": "", "CLOUDFLARE_API_KEY": "k"})
    assert half.code == 3 and "CLOUDFLARE_EMAIL is not" in half.stderr
    (cli.config_dir).mkdir(parents=True, exist_ok=True)
    (cli.config_dir / "config.toml").write_text('[profiles.work]\napi_token = "x"\n')
    (cli.config_dir / "config.toml").chmod(0o600)
    unset = {"CLOUDFLARE_API_TOKEN": ""}
    other = cli("get", BUILD, env=unset)
    assert "there is no profile 'default'" in other.stderr and "'work'" in other.stderr
    assert "--profile" in other.stderr
    nope = cli("get", BUILD, "--profile", "nope", env=unset)
    assert "there is no profile 'nope'" in nope.stderr
    base = cli.server.url.removesuffix("/client/v4")
    route = cli("get", BUILD, "--no-cache", "--api-url", base)
    assert route.code == 4 and "ends in /client/v4" in route.stderr
    account = cli("get", BUILD, "--account-id", "xyz")
    assert account.code == 2 and "'xyz' (from --account-id) is not 32 hex digits" in account.stderr
    missing = cli("get", "00000000-0000-4000-8000-000000000009", "--no-cache")
    assert missing.code == 4 and "32-hex tag" not in missing.stderr
    commit = cli("latest", TAG, "--commit", "abc")
    assert "4 to 40 hex digits" in commit.stderr


def test_the_fake_by_hand_plays_workers_live_and_faults(tmp_path: Path) -> None:
    """The README's development section: what the fake's command line offers."""
    import sys

    fake = subprocess.Popen(
        [sys.executable, "-m", "cloudflare_buildlogs.fake_api", "--workers", "2", "--live",
         "--fault", "500@/logs*2"], stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert fake.stdout is not None
        url = fake.stdout.readline().strip()
        env = {
            "PATH": str(BIN.parent), "CLOUDFLARE_API_BASE_URL": url,
            "CLOUDFLARE_API_TOKEN": fake_api.DEMO_TOKEN,  # what the README says it accepts
            "CLOUDFLARE_ACCOUNT_ID": fake_api.DEMO_ACCOUNT, "CF_BUILDLOGS_NO_CACHE": "1",
            "CF_BUILDLOGS_CONFIG_DIR": str(tmp_path),
        }  # fmt: skip
        proc = subprocess.run(
            [str(BIN), "latest", "worker-1", "worker-2", "--follow", "--ndjson", "--interval", "0.2"],
            capture_output=True, text=True, env=env, timeout=60, check=False,
        )  # fmt: skip
    finally:
        fake.terminate()
        fake.communicate()  # and its pipe closed
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    ends = [r for r in records if r["type"] == "end"]
    assert proc.returncode == 0, proc.stderr
    assert sorted(r["worker"] for r in ends) == ["worker-1", "worker-2"]
    assert sum(r["type"] == "line" for r in records) == 600


def test_view_keeps_the_builds_of_several_workers_apart(
    cli: Cli, state: fake_api.State, tmp_path: Path
) -> None:
    other = "b" * 32
    state.scripts += [{"id": "api", "tag": TAG}, {"id": "web-app", "tag": other}]
    state.add(fake_api.FakeBuild(BUILD, [[EPOCH + i, f"api {i}"] for i in range(3)]))
    web = "aaaaaaaa-0000-4000-8000-000000000001"
    lines = [[EPOCH, "Executing user deploy command: x"], [EPOCH + 1, "Error: web broke"]]
    state.add(fake_api.FakeBuild(web, lines, worker_tag=other, outcome="fail"))
    saved = tmp_path / "m.ndjson"
    made = cli.shell(f"cf-buildlogs latest api web-app --ndjson --exit-status > {saved}")
    assert made.code == 1, made.stderr
    text = cli("view", str(saved), "--no-timestamps")
    assert text.stdout.splitlines() == [
        "api  api 0", "api  api 1", "api  api 2",
        "web-app  Executing user deploy command: x", "web-app  Error: web broke",
    ], text.stdout  # fmt: skip
    again = cli("view", str(saved), "--ndjson").stdout
    assert again == saved.read_text()  # records, ends and fields as `latest` wrote them
    summaries = cli("view", str(saved), "--summary", "-o", "json").stdout
    decoder, at, found = json.JSONDecoder(), 0, []
    while at < len(summaries.strip()):
        doc, at = decoder.raw_decode(summaries, at)
        found.append(doc)
        at += len(summaries[at:]) - len(summaries[at:].lstrip())
    assert [(s["worker"], s["build_uuid"], s["lines"]) for s in found] == [
        ("api", BUILD, 3), ("web-app", web, 2),
    ]  # fmt: skip
    assert found[1]["failed_phase"] == "deploy" and found[1]["errors_total"] == 1


def test_a_build_is_found_by_the_short_id_the_tool_prints(
    cli: Cli, state: fake_api.State, tmp_path: Path
) -> None:
    state.scripts.append({"id": "my-worker", "tag": TAG})
    twin = BUILD[:8] + "-1111-4111-8111-111111111111"
    state.add(fake_api.FakeBuild(BUILD, [[EPOCH, "the one"]]))
    short = BUILD[:8]
    unknown = cli("get", short)
    assert unknown.code == 2 and f"no build starts with {short}" in unknown.stderr
    named = cli("get", short, "--worker", "my-worker")
    assert named.code == 0 and named.stdout.endswith("the one\n"), named.stderr
    kept = cli("get", BUILD[:13])  # kept by the read above: no Worker needed
    assert kept.code == 0 and kept.stdout == named.stdout
    state.add(fake_api.FakeBuild(twin, [[EPOCH, "the other"]]))
    (tmp_path / ".git").mkdir()
    (tmp_path / "wrangler.toml").write_text('name = "my-worker"\n')
    both = run_in(tmp_path, cli, "summary", short)
    assert both.returncode == 2 and "2 builds start with" in both.stderr and twin in both.stderr
    assert cli("get", "5b1d").code == 2  # fewer than 8 hex digits: no build id at all
