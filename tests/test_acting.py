"""Acting on builds: `rerun`, `build` and `cancel` against the fake API's writes, through the
installed command for what a script relies on (stdout, exit codes, never two builds) and in
process, on an injected clock, for the rest."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from cloudflare_buildlogs import fake_api
from cloudflare_buildlogs.errors import ExitCode

from .conftest import ACCOUNT, SENTINEL, Cli, git_repo
from .test_follow import FakeClock

TAG = fake_api.DEMO_WORKER_TAG
OLD = "0a0a0a0a-0b0b-4c0c-8d0d-0e0e0e0e0e0e"  # a failed build of main, to rerun
PREVIEW = "1a1a1a1a-0b0b-4c0c-8d0d-0e0e0e0e0e0e"  # a build of feature/x, by the preview trigger
COMMIT = "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432"
URL = f"https://dash.cloudflare.com/{ACCOUNT}/workers/services/view/my-worker/production/builds/"


@pytest.fixture
def acting(state: fake_api.State) -> fake_api.State:
    """my-worker with its two default triggers, a failed build of main and one of a branch."""
    state.scripts.append({"id": "my-worker", "tag": TAG})
    lines = [[1_700_000_000, "Initializing build environment..."], [1_700_000_001, "boom"]]
    state.add(fake_api.FakeBuild(OLD, lines, outcome="fail", commit_hash=COMMIT))
    state.add(fake_api.FakeBuild(PREVIEW, lines, branch="feature/x", commit_hash="ab" * 20))
    return state


def started(state: fake_api.State) -> list[fake_api.FakeBuild]:
    """The builds the API started, oldest first."""
    return [b for b in state.builds.values() if b.trigger_source == "api"]


def posts(state: fake_api.State) -> list[str]:
    return [path for method, path, _ in state.requests if method in ("POST", "PUT")]


def run(
    server: fake_api.FakeServer,
    clock: FakeClock | None,
    *args: str,
    token: str = SENTINEL,
    cwd: Path | None = None,
    http_timeout: float | None = None,
) -> tuple[int, str, str]:
    """`args` run in this process against `server`, on `clock` (the server's too) when given."""
    from cloudflare_buildlogs import cli

    from .conftest import api_environ, make_env

    captured = make_env(api_environ(server, CLOUDFLARE_API_TOKEN=token, TZ="UTC"))
    if clock is not None:
        captured.env.monotonic, captured.env.sleep = clock.monotonic, clock.sleep
    if cwd is not None:
        captured.env.cwd = cwd
    if http_timeout is not None:
        captured.env.http_client = lambda _timeout, _tls: httpx.Client(timeout=http_timeout)
    code = cli.run(list(args), captured.env)
    return code, captured.out.getvalue(), captured.err.getvalue()


@pytest.fixture
def clock(state: fake_api.State) -> FakeClock:
    clock = FakeClock()
    state.clock = clock.monotonic
    return clock


# -- rerun ------------------------------------------------------------------------------------


def test_rerun_prints_the_new_builds_uuid_alone_on_stdout(cli: Cli, acting: fake_api.State) -> None:
    done = cli("rerun", OLD)
    assert done.code == 0, done.stderr
    (new,) = started(acting)
    assert done.stdout == new.uuid + "\n"
    assert new.uuid != OLD and new.worker_tag == TAG
    assert acting.writes == [
        ("start_build", fake_api.DEFAULT_TRIGGER, {"branch": "main", "commit_hash": COMMIT})
    ]
    assert f"started build {new.uuid} of my-worker on trigger Deploy default" in done.stderr
    assert URL + new.uuid in done.stderr


def test_rerun_by_url_clears_the_cache_first(
    server: fake_api.FakeServer, acting: fake_api.State, clock: FakeClock
) -> None:
    code, out, err = run(server, clock, "rerun", URL + PREVIEW, "--clear-cache")
    assert code == 0, err
    preview = fake_api.PREVIEW_TRIGGER
    assert [(kind, trigger) for kind, trigger, _ in acting.writes] == [
        ("purge", preview),
        ("start_build", preview),
    ]
    assert posts(acting)[0].endswith(f"/triggers/{preview}/purge_build_cache")
    assert "purged the build cache of trigger Preview builds" in err
    (new,) = started(acting)
    assert out == new.uuid + "\n" and new.branch == "feature/x"


@pytest.mark.parametrize(("outcome", "status"), [("success", 0), ("fail", 1)])
def test_rerun_follow_reads_the_new_build_to_its_end(
    server: fake_api.FakeServer, acting: fake_api.State, clock: FakeClock, outcome: str, status: int
) -> None:
    acting.next_outcome = outcome
    code, out, err = run(server, clock, "rerun", OLD, "--follow", "--no-timestamps")
    assert code == status, err
    (new,) = started(acting)
    assert len(out.splitlines()) == len(new.lines)  # the log, and only the log
    assert out.splitlines()[3] == "Success: Finished cloning repository files"
    assert f"started build {new.uuid}" in err
    verdict = "succeeded" if outcome == "success" else "failed"
    assert f"build {new.uuid[:8]} {verdict}" in err


def test_rerun_follow_ndjson_ends_with_the_new_builds_record(
    cli: Cli, acting: fake_api.State
) -> None:
    done = cli("rerun", OLD, "--follow", "--ndjson", "--interval", "0.1", "--require-deploy")
    assert done.code == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]  # every line is JSON
    (new,) = started(acting)
    assert records[-1]["type"] == "end" and records[-1]["build_uuid"] == new.uuid
    assert records[-1]["outcome"] == "success"
    assert sum(r["type"] == "line" for r in records) == len(new.lines)


def test_rerun_of_a_short_id_and_options_that_need_follow(
    server: fake_api.FakeServer, acting: fake_api.State, clock: FakeClock
) -> None:
    code, out, err = run(server, clock, "rerun", OLD[:8], "--worker", "my-worker")
    assert code == 0, err
    assert out == started(acting)[0].uuid + "\n"
    for flag in (["--exit-status"], ["--summary"], ["--ndjson"], ["--tail", "5"]):
        code, out, err = run(server, clock, "rerun", OLD, *flag)
        assert (code, out) == (ExitCode.USAGE, "")
        assert f"{flag[0]} needs --follow" in err
    assert len(started(acting)) == 1


# -- build ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("branch", "trigger"),
    [("main", fake_api.DEFAULT_TRIGGER), ("feature/login", fake_api.PREVIEW_TRIGGER)],
)
def test_build_starts_the_trigger_whose_rules_take_the_branch(
    server: fake_api.FakeServer, acting: fake_api.State, clock: FakeClock, branch: str, trigger: str
) -> None:
    code, out, err = run(server, clock, "build", "my-worker", "--branch", branch)
    assert code == 0, err
    assert acting.writes == [("start_build", trigger, {"branch": branch})]
    assert out == started(acting)[0].uuid + "\n"


def rule(name: str, includes: list[str], excludes: list[str]) -> dict[str, Any]:
    (production, _) = fake_api.default_triggers(TAG)
    uuid = fake_api.generated_uuid(len(name))
    return {
        **production,
        "trigger_uuid": uuid,
        "trigger_name": name,
        "branch_includes": includes,
        "branch_excludes": excludes,
    }


def test_build_when_several_triggers_or_none_take_the_branch(
    server: fake_api.FakeServer, acting: fake_api.State, clock: FakeClock
) -> None:
    acting.triggers[TAG] = [
        rule("prod", ["main"], []),
        rule("staging", ["main", "release/*"], []),
        rule("docs", ["docs/*"], ["docs/draft-*"]),
    ]
    code, out, err = run(server, clock, "build", "my-worker", "--branch", "main")
    assert (code, out) == (ExitCode.USAGE, "")
    assert "2 triggers of my-worker build branch main: prod: main; staging: main, release/*" in err
    assert "--trigger NAME" in err

    code, out, err = run(server, clock, "build", "my-worker", "--branch", "docs/draft-1")
    assert (code, out) == (ExitCode.NOT_FOUND, "")
    assert (
        "no trigger of my-worker builds branch docs/draft-1 "
        "(prod: main; staging: main, release/*; docs: docs/* but docs/draft-*)"
    ) in err
    assert acting.writes == []

    code, out, err = run(
        server, clock, "build", "my-worker", "--branch", "main", "--trigger", "staging"
    )
    assert code == 0, err
    assert acting.writes == [
        ("start_build", rule("staging", [], [])["trigger_uuid"], {"branch": "main"})
    ]

    code, _, err = run(server, clock, "build", "my-worker", "--branch", "x", "--trigger", "docs")
    assert code == 0 and "note: the rules of trigger docs do not take branch x" in err
    code, _, err = run(server, clock, "build", "my-worker", "--branch", "x", "--trigger", "nope")
    assert code == ExitCode.NOT_FOUND and "my-worker has no trigger named nope" in err
    assert len(acting.writes) == 2


def test_build_commit_head_in_a_git_repository(
    cli: Cli, acting: fake_api.State, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    head = git_repo(repo, {"wrangler.toml": 'name = "my-worker"\n'})
    done = cli.shell(f"cd {repo} && {cli_bin()} build --branch main --commit HEAD")
    assert done.code == 0, done.stderr
    assert acting.writes == [
        ("start_build", fake_api.DEFAULT_TRIGGER, {"branch": "main", "commit_hash": head})
    ]
    assert f"commit {head[:12]}" in done.stderr


def cli_bin() -> str:
    from .conftest import BIN

    return str(BIN)


def test_build_needs_a_branch_and_a_commit_of_hex(
    server: fake_api.FakeServer, acting: fake_api.State
) -> None:
    code, _, err = run(server, None, "build", "my-worker")
    assert code == ExitCode.USAGE and "build needs --branch NAME" in err
    code, _, err = run(server, None, "build", "my-worker", "--branch", "main", "--commit", "xyz")
    assert code == ExitCode.USAGE and "--commit takes a commit of 4 to 40 hex digits" in err
    assert acting.requests == []


# -- cancel -----------------------------------------------------------------------------------


def test_cancel_a_running_build_then_again(
    server: fake_api.FakeServer, acting: fake_api.State, clock: FakeClock
) -> None:
    running = fake_api.FakeBuild(
        "2b2b2b2b-0b0b-4c0c-8d0d-0e0e0e0e0e0e",
        fake_api.GeneratedLines(100),
        live=fake_api.Live(started=clock.now - 3, lines_per_s=10),
    )
    acting.add(running)
    code, out, err = run(server, clock, "cancel", running.uuid)
    assert (code, out) == (0, "cancelled\n"), err
    assert f"build {running.uuid} cancelled" in err
    assert running.outcome == "cancelled" and len(running.lines) == 30  # what it had printed

    code, out, err = run(server, clock, "cancel", running.uuid)
    assert (code, out) == (0, "cancelled\n")
    assert f"note: build {running.uuid} had already stopped: cancelled; nothing to cancel" in err
    assert len(posts(acting)) == 1  # a stopped build costs no write


def test_cancel_of_a_finished_build_is_a_note(cli: Cli, acting: fake_api.State) -> None:
    done = cli("cancel", OLD)
    assert (done.code, done.stdout) == (0, "fail\n")
    assert "had already stopped: fail" in done.stderr and posts(acting) == []


# -- --dry-run and permissions ------------------------------------------------------------------


def test_dry_run_makes_no_write(cli: Cli, acting: fake_api.State) -> None:
    running = fake_api.FakeBuild(
        "3c3c3c3c-0b0b-4c0c-8d0d-0e0e0e0e0e0e", [], live=fake_api.Live(started=0, queued_s=1e9)
    )
    acting.add(running)
    trigger = f"/accounts/{ACCOUNT}/builds/triggers/{fake_api.DEFAULT_TRIGGER}"
    done = cli("rerun", OLD, "--clear-cache", "--dry-run")
    assert (done.code, done.stdout) == (0, "")
    assert done.stderr.splitlines() == [
        f"dry run: POST {trigger}/purge_build_cache",
        f'dry run: POST {trigger}/builds {{"branch": "main", "commit_hash": "{COMMIT}"}}',
        "dry run: nothing was written",
    ]
    done = cli("build", "my-worker", "--branch", "main", "--dry-run")
    assert (done.code, done.stdout) == (0, "")
    assert f'dry run: POST {trigger}/builds {{"branch": "main"}}' in done.stderr
    done = cli("cancel", running.uuid, "--dry-run")
    assert (done.code, done.stdout) == (0, "")
    assert f"dry run: PUT /accounts/{ACCOUNT}/builds/builds/{running.uuid}/cancel" in done.stderr
    assert posts(acting) == [] and acting.writes == [] and running.outcome == "success"


def test_a_read_only_token_is_told_the_write_permission(cli: Cli, acting: fake_api.State) -> None:
    acting.tokens[SENTINEL] = fake_api.Token(can_write_builds=False)
    for args in (["rerun", OLD], ["build", "my-worker", "--branch", "main"]):
        done = cli(*args)
        assert (done.code, done.stdout) == (ExitCode.AUTH, "")
        assert "not authorised to start a build on trigger" in done.stderr
        assert 'hint: rerun, build and cancel need a user API token with "Workers CI Write"' in (
            done.stderr
        )
    running = fake_api.FakeBuild(
        "4d4d4d4d-0b0b-4c0c-8d0d-0e0e0e0e0e0e", [], live=fake_api.Live(started=0, queued_s=1e9)
    )
    acting.add(running)
    done = cli("cancel", running.uuid)
    assert done.code == ExitCode.AUTH and f"not authorised to cancel build {running.uuid}" in (
        done.stderr
    )
    assert started(acting) == [] and acting.writes == []


# -- never two builds for one command -----------------------------------------------------------


@pytest.mark.parametrize("kind", ["drop", "502"])
def test_a_lost_answer_is_not_sent_again_and_the_build_is_found(
    cli: Cli, acting: fake_api.State, kind: str
) -> None:
    acting.faults.append(fake_api.Fault(kind, path="/triggers/", after=True))
    done = cli("rerun", OLD)
    assert done.code == 0, done.stderr
    (new,) = started(acting)  # one build, not two
    assert done.stdout == new.uuid + "\n"
    assert len(posts(acting)) == 1, "the request that starts a build was sent again"
    assert "after the request was sent; the build it started was found" in done.stderr


def test_a_timeout_after_sending_finds_the_build(
    server: fake_api.FakeServer, acting: fake_api.State
) -> None:
    acting.faults.append(fake_api.Fault("slow", path="/triggers/", after=True, delay=1.5))
    code, out, err = run(server, None, "build", "my-worker", "--branch", "main", http_timeout=0.5)
    assert code == 0, err
    (new,) = started(acting)
    assert out == new.uuid + "\n" and len(posts(acting)) == 1
    assert "timed out" in err and "the build it started was found" in err


def test_a_5xx_that_started_nothing_is_exit_5_not_a_second_try(
    cli: Cli, acting: fake_api.State
) -> None:
    acting.faults.append(fake_api.Fault("502", path="/triggers/"))  # refused before starting
    done = cli("build", "my-worker", "--branch", "main")
    assert (done.code, done.stdout) == (ExitCode.API, "")
    assert "the API answered HTTP 502 after the request was sent: the build may or may not" in (
        done.stderr
    )
    assert "check with `cf-buildlogs list my-worker` before starting it again" in done.stderr
    assert len(posts(acting)) == 1 and started(acting) == []


def test_a_429_before_starting_is_retried(cli: Cli, acting: fake_api.State) -> None:
    acting.faults.append(fake_api.Fault("429", path="/triggers/", retry_after="0"))
    done = cli("build", "my-worker", "--branch", "main")
    assert done.code == 0, done.stderr
    assert len(posts(acting)) == 2 and len(started(acting)) == 1
    assert done.stdout == started(acting)[0].uuid + "\n"


def test_an_older_build_of_the_same_commit_is_not_taken_for_the_lost_one(
    server: fake_api.FakeServer, acting: fake_api.State
) -> None:
    """The lost answer's build is looked for among builds created since the command began:
    an API build of the same trigger, branch and commit from an hour ago is not it."""
    acting.add(
        fake_api.FakeBuild(
            "5e5e5e5e-0b0b-4c0c-8d0d-0e0e0e0e0e0e",
            [],
            commit_hash=COMMIT,
            trigger_source="api",
            created_on="2023-11-14T22:13:20Z",
        )
    )
    acting.faults.append(fake_api.Fault("500", path="/triggers/"))
    code, out, err = run(server, None, "rerun", OLD)
    assert (code, out) == (ExitCode.API, "")
    assert "may or may not have started" in err


# -- the rarer answers, in process ---------------------------------------------------------------


def error_body(code: int, message: str) -> bytes:
    return json.dumps(fake_api.envelope(errors=[{"code": code, "message": message}])).encode()


def test_cancel_when_the_build_stops_first_or_the_answer_says_no_outcome(
    server: fake_api.FakeServer, acting: fake_api.State
) -> None:
    # The build ends while the cancel is on its way: from the PUT on, it is long over.
    acting.clock = lambda: 1e9 if any(m == "PUT" for m, _, _ in acting.requests) else 0.0
    racing = fake_api.FakeBuild(
        "6f6f6f6f-0b0b-4c0c-8d0d-0e0e0e0e0e0e",
        fake_api.GeneratedLines(10),
        live=fake_api.Live(started=0, lines_per_s=1),
    )
    acting.add(racing)
    refused = error_body(12006, "Build is not in a cancellable state")
    acting.faults.append(fake_api.Fault("raw", path="/cancel", status=400, body=refused))
    code, out, err = run(server, None, "cancel", racing.uuid)
    assert (code, out) == (0, "success\n"), err
    assert "stopped before the cancel reached it: success" in err

    queued = fake_api.FakeBuild(
        "7a7a7a7a-0b0b-4c0c-8d0d-0e0e0e0e0e0e", [], live=fake_api.Live(started=1e9, queued_s=1e6)
    )
    acting.add(queued)
    took = json.dumps(fake_api.envelope({})).encode()
    acting.faults.append(fake_api.Fault("raw", path="/cancel", body=took))
    code, out, err = run(server, None, "cancel", queued.uuid)
    assert (code, out) == (0, "cancelling\n"), err
    assert f"cancelling build {queued.uuid}: the API took the request" in err

    acting.faults.append(fake_api.Fault("raw", path="/cancel", status=400, body=refused))
    code, out, err = run(server, None, "cancel", queued.uuid)
    assert (code, out) == (ExitCode.API, "")
    assert f"the API refused to cancel build {queued.uuid}: Build is not in a cancellable" in err

    code, out, err = run(server, None, "cancel", queued.uuid, "--dry-run")
    assert (code, out) == (0, "") and "dry run: PUT" in err
    assert acting.writes == []


def test_rerun_without_the_scripts_permission_or_a_trigger(
    server: fake_api.FakeServer, acting: fake_api.State, clock: FakeClock
) -> None:
    acting.tokens[SENTINEL] = fake_api.Token(can_read_scripts=False)
    code, out, err = run(server, clock, "rerun", OLD)
    assert code == 0, err
    (new,) = started(acting)
    assert f"started build {new.uuid} of {TAG} on trigger Deploy default" in err
    assert f"  cf-buildlogs get {new.uuid} --follow" in err  # no name: no dashboard URL

    bare = fake_api.build_json(acting.builds[OLD], 0.0)
    for drop in ("trigger", "build_trigger_metadata"):
        body = json.dumps(fake_api.envelope({k: v for k, v in bare.items() if k != drop}))
        acting.faults.append(fake_api.Fault("raw", path=f"/builds/{OLD}", body=body.encode()))
        code, out, err = run(server, clock, "rerun", OLD)
        assert (code, out) == (ExitCode.API, "")
        said = "no trigger to start again" if drop == "trigger" else "neither a branch nor a"
        assert said in err
    assert len(started(acting)) == 1


def test_a_lost_answer_when_the_builds_cannot_be_read_either(
    server: fake_api.FakeServer, acting: fake_api.State
) -> None:
    acting.faults += [
        fake_api.Fault("502", path="/triggers/", after=True),
        fake_api.Fault("500", path=f"/workers/{TAG}/builds", times=10),
    ]
    code, out, err = run(server, None, "build", TAG, "--branch", "main")
    assert (code, out) == (ExitCode.API, "")
    assert "may or may not have started (looking for it failed: the API answered HTTP 500" in err
    assert f"check with `cf-buildlogs list {TAG}`" in err
    assert len(started(acting)) == 1  # it had started: the message does not claim otherwise


def readme_recipe() -> str:
    text = (Path(__file__).parent.parent / "README.md").read_text()
    after = text.split("**Retrying a build that failed on Cloudflare's side**", 1)[1]
    return after.split("```sh\n", 1)[1].split("```", 1)[0]


@pytest.mark.skipif(shutil.which("jq") is None, reason="the recipe needs jq")
@pytest.mark.parametrize("internal", [True, False])
def test_the_readmes_retry_recipe_reruns_an_internal_error_once(
    cli: Cli, acting: fake_api.State, tmp_path: Path, internal: bool
) -> None:
    why = "Failed: an internal error occurred" if internal else "Error: Missing entry-point"
    lines = [[1_700_000_000, "Initializing build environment..."], [1_700_000_001, why]]
    acting.add(fake_api.FakeBuild("8b8b8b8b-0b0b-4c0c-8d0d-0e0e0e0e0e0e", lines, outcome="fail"))
    (tmp_path / "wrangler.toml").write_text('name = "my-worker"\n')
    script = f'cd {tmp_path} && export PATH="{Path(cli_bin()).parent}:$PATH"\n' + readme_recipe()
    done = cli.shell(script.replace('"$GITHUB_SHA"', COMMIT))
    assert done.code == (0 if internal else 1), done.stderr
    assert len(started(acting)) == (1 if internal else 0)
