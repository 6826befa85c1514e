"""Finding builds by Worker: wrangler configs, names and tags, `latest` and `list`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cloudflare_buildlogs import fake_api
from cloudflare_buildlogs.errors import ExitCode
from cloudflare_buildlogs.settings.wrangler import find_config, loads_jsonc

from .conftest import Cli
from .test_follow import FakeClock, expected, messages

TAG = fake_api.DEMO_WORKER_TAG
OTHER_TAG = "ffffffffffffffffffffffffffffffff"


def uuid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


@pytest.fixture
def workers(state: fake_api.State, clock: FakeClock) -> fake_api.State:
    """Two Workers; my-worker has five builds, oldest first, on two branches."""
    state.clock = clock.monotonic
    state.scripts += [{"id": "my-worker", "tag": TAG}, {"id": "other", "tag": OTHER_TAG}]
    for n, (branch, commit, outcome) in enumerate(
        [
            ("main", "aaaa111", "success"),
            ("dev", "bbbb222", "fail"),
            ("main", "cccc333", "success"),
            ("dev", "dddd444", "cancelled"),
            ("main", "eeee555", "fail"),
        ]
    ):
        state.add(
            fake_api.FakeBuild(
                uuid(n),
                fake_api.GeneratedLines(3 + n),
                outcome=outcome,
                branch=branch,
                commit_hash=commit + "0" * 33,
            )
        )
    state.add(fake_api.FakeBuild(uuid(99), fake_api.GeneratedLines(1), worker_tag=OTHER_TAG))
    return state


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def in_folder(
    server: fake_api.FakeServer, clock: FakeClock, folder: Path, *args: str
) -> tuple[int, str, str]:
    from cloudflare_buildlogs import cli

    from .conftest import make_env

    captured = make_env(
        {
            "CLOUDFLARE_API_TOKEN": "demo-token-not-a-secret-0000",
            "CLOUDFLARE_ACCOUNT_ID": fake_api.DEMO_ACCOUNT,
            "CLOUDFLARE_API_BASE_URL": server.url,
            "CF_BUILDLOGS_CONFIG_DIR": str(server.scratch_dir),
        }
    )
    captured.env.cwd = folder
    captured.env.monotonic, captured.env.sleep = clock.monotonic, clock.sleep
    captured.env.git_head_of = lambda _cwd: "cccc3330000000000000000000000000000000000"[:40]
    code = cli.run(list(args), captured.env)
    return code, captured.out.getvalue(), captured.err.getvalue()


# -- wrangler configurations --------------------------------------------------------------


def test_jsonc_allows_comments_and_trailing_commas_but_not_inside_strings() -> None:
    text = (
        '{\n // a comment\n "name": "my-worker", /* block */\n "main": "src//index.ts",\n'
        ' "vars": {"A": "/*x*/",},\n}'
    )
    assert loads_jsonc(text) == {
        "name": "my-worker",
        "main": "src//index.ts",
        "vars": {"A": "/*x*/"},
    }


def test_the_nearest_config_wins_searching_up_to_the_repository_root(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "wrangler.toml").write_text(
        'name = "root-worker"\n[env.staging]\nname = "root-staging"\n'
    )
    deep = repo / "packages" / "api" / "src"
    deep.mkdir(parents=True)
    found = find_config(deep)
    assert (
        found is not None and found.name == "root-worker" and found.env_names == ("root-staging",)
    )
    (repo / "packages" / "api" / "wrangler.jsonc").write_text('{"name": "api", // x\n}')
    (repo / "packages" / "api" / "wrangler.toml").write_text('name = "not-me"')
    found = find_config(deep)
    assert found is not None and found.name == "api"
    (tmp_path / "wrangler.toml").write_text('name = "outside-the-repo"')
    assert find_config(tmp_path / "repo" / ".git") is not None
    (repo / "wrangler.toml").unlink()
    assert find_config(repo) is None  # stops at the repository root


def test_a_broken_config_has_no_name(tmp_path: Path) -> None:
    (tmp_path / "wrangler.json").write_text("{nope")
    found = find_config(tmp_path)
    assert found is not None and found.name is None


# -- latest ------------------------------------------------------------------------------------


def test_latest_from_a_workers_folder_with_no_arguments(
    workers: fake_api.State, server: fake_api.FakeServer, clock: FakeClock, tmp_path: Path
) -> None:
    (tmp_path / "wrangler.toml").write_text('name = "my-worker"\n')
    code, out, err = in_folder(
        server, clock, tmp_path, "latest", "--no-timestamps", "--exit-status"
    )
    assert code == ExitCode.BUILD_FAILED  # the newest build failed
    assert out.splitlines() == expected(7)
    assert "my-worker" in err


@pytest.mark.parametrize(
    ("args", "build"),
    [
        (["latest", "my-worker"], 4),
        (["latest", TAG.upper()], 4),
        (["latest", "my-worker", "--branch", "dev"], 3),
        (["latest", "my-worker", "--commit", "BBBB"], 1),
        (["latest", "my-worker", "--commit", "HEAD"], 2),
        (["latest", "my-worker", "--branch", "main", "--commit", "aaaa1"], 0),
        (["latest", "other"], 99),
    ],
)
def test_latest_picks_the_newest_matching_build(
    workers: fake_api.State,
    server: fake_api.FakeServer,
    clock: FakeClock,
    tmp_path: Path,
    args: list[str],
    build: int,
) -> None:
    code, out, err = in_folder(server, clock, tmp_path, *args, "--json")
    assert code == 0, err
    assert json.loads(out)["build_uuid"] == uuid(build)


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["latest"], 2, "no WORKER given"),
        (["latest", "nobody"], 4, "no Worker named 'nobody'"),
        (
            ["latest", "my-worker", "--branch", "nope"],
            4,
            "no build found: a build of my-worker on branch nope",
        ),
        (
            ["latest", "my-worker", "--commit", "xyz"],
            2,
            "--commit takes a commit prefix of 4 to 40 hex digits",
        ),
        (["latest", "my-worker", "--timeout", "5m"], 2, "--timeout needs --follow"),
    ],
)
def test_latest_errors(
    workers: fake_api.State,
    server: fake_api.FakeServer,
    clock: FakeClock,
    tmp_path: Path,
    args: list[str],
    code: int,
    words: str,
) -> None:
    status, out, err = in_folder(server, clock, tmp_path, *args)
    assert (status, out) == (code, "")
    assert words in err


def test_a_token_without_scripts_read_is_told_to_use_the_tag(
    workers: fake_api.State, server: fake_api.FakeServer, clock: FakeClock, tmp_path: Path
) -> None:
    workers.tokens["demo-token-not-a-secret-0000"] = fake_api.Token(can_read_scripts=False)
    status, _, err = in_folder(server, clock, tmp_path, "latest", "my-worker")
    assert status == ExitCode.AUTH and "Workers Scripts Read" in err and "tag" in err
    status, out, _ = in_folder(server, clock, tmp_path, "latest", TAG, "--json")
    assert status == 0 and json.loads(out)["build_uuid"] == uuid(4)


def test_latest_wait_follow_picks_up_a_build_that_starts_later(
    workers: fake_api.State, server: fake_api.FakeServer, clock: FakeClock, tmp_path: Path
) -> None:
    live = fake_api.Live(started=clock.now + 40, queued_s=5, initializing_s=5, lines_per_s=2)
    workers.add(
        fake_api.FakeBuild(
            uuid(7),
            fake_api.GeneratedLines(12),
            commit_hash="f" * 40,
            appears_at=clock.now + 40,
            live=live,
        )
    )
    code, out, err = in_folder(
        server,
        clock,
        tmp_path,
        "latest",
        "my-worker",
        "--commit",
        "ffff",
        "--wait",
        "--follow",
        "--ndjson",
    )
    assert code == 0, err
    assert messages(out) == expected(12)
    assert json.loads(out.splitlines()[-1])["build_uuid"] == uuid(7)
    assert clock.now > 1040


def test_latest_wait_gives_up_at_the_timeout(
    workers: fake_api.State, server: fake_api.FakeServer, clock: FakeClock, tmp_path: Path
) -> None:
    code, out, err = in_folder(
        server,
        clock,
        tmp_path,
        "latest",
        "my-worker",
        "--commit",
        "ffff",
        "--wait",
        "--timeout",
        "2m",
    )
    assert code == ExitCode.TIMEOUT and out == ""
    assert "gave up after 2m00s: no sign yet of a build of my-worker on commit ffff" in err
    assert 115 <= clock.now - 1000 <= 125
    # Why a push did not build: the Worker's triggers, each with the branches it builds.
    assert (
        "cf-buildlogs: my-worker builds (Deploy default: main; Preview builds: all but main)" in err
    )


@pytest.mark.parametrize(
    ("branch", "why"),
    [
        (
            "docs/x",
            "no trigger of my-worker builds branch docs/x (Deploy default: main; "
            "Preview builds: release/* but release/old, paths src/** but src/docs/**; "
            "x: a ::add-mask::b)",  # a line break from the API: on one line
        ),
        (
            "release/2",
            "my-worker builds branch release/2 by Preview builds: release/* but release/old, "
            "paths src/** but src/docs/**: a push that changes no watched path does not build",
        ),
    ],
)
def test_latest_wait_says_why_a_push_did_not_build(
    workers: fake_api.State,
    server: fake_api.FakeServer,
    clock: FakeClock,
    tmp_path: Path,
    branch: str,
    why: str,
) -> None:
    production, preview = fake_api.default_triggers(TAG)
    preview.update(
        branch_includes=["release/*"],
        branch_excludes=["release/old"],
        path_includes=["src/**"],
        path_excludes=["src/docs/**"],
    )
    hostile = {**production, "trigger_name": "x", "branch_includes": ["a\n::add-mask::b"]}
    workers.triggers[TAG] = [production, preview, hostile]
    args = ["latest", "my-worker", "other", "--branch", branch, "--wait", "--timeout", "30s"]
    for several in (False, True):  # one Worker, and several at once
        code, _, err = in_folder(
            server, clock, tmp_path, *(args if several else args[:2] + args[3:])
        )
        assert code == ExitCode.TIMEOUT, err
        assert f"cf-buildlogs: {why}\n" in err and "\n::add-mask::" not in err
        other = f"other builds branch {branch} by Preview builds: all but main: a push"
        assert (other in err) is several


# -- list --------------------------------------------------------------------------------------


def test_list_piped_is_tab_separated_newest_first(
    workers: fake_api.State, server: fake_api.FakeServer, clock: FakeClock, tmp_path: Path
) -> None:
    code, out, _ = in_folder(server, clock, tmp_path, "list", "my-worker")
    assert code == 0
    rows = [line.split("\t") for line in out.splitlines()]
    assert rows[0] == ["build", "status", "branch", "commit", "trigger", "started", "duration"]
    assert [r[0] for r in rows[1:]] == [uuid(n) for n in (4, 3, 2, 1, 0)]
    assert rows[1][1:5] == ["fail", "main", "eeee555", "push"]


def test_list_json_fields_limit_and_branch(
    workers: fake_api.State, server: fake_api.FakeServer, clock: FakeClock, tmp_path: Path
) -> None:
    code, out, _ = in_folder(
        server, clock, tmp_path, "list", "my-worker", "-o", "json", "--limit", "2"
    )
    records = json.loads(out)
    assert [r["build_uuid"] for r in records] == [uuid(4), uuid(3)]
    assert set(records[0]) == {
        "build_uuid",
        "status",
        "outcome",
        "worker",
        "worker_tag",
        "branch",
        "commit_hash",
        "commit_message",
        "trigger_source",
        "created_on",
        "started_on",
        "stopped_on",
        "duration_seconds",
    }
    assert records[0]["worker"] == "my-worker" and records[0]["duration_seconds"] == 103.0
    code, out, _ = in_folder(
        server, clock, tmp_path, "list", "my-worker", "--ndjson", "--branch", "dev"
    )
    assert code == 0
    assert [json.loads(line)["build_uuid"] for line in out.splitlines()] == [uuid(3), uuid(1)]
    pages = [path for _, path, _ in workers.requests if path.endswith("/builds")]
    assert pages, "paged through the Worker's builds"


def test_list_limit_pages_with_per_page(
    workers: fake_api.State, server: fake_api.FakeServer, clock: FakeClock, tmp_path: Path
) -> None:
    for n in range(10, 260):
        workers.add(fake_api.FakeBuild(uuid(n), []))
    code, out, _ = in_folder(server, clock, tmp_path, "list", TAG, "--limit", "230", "--ndjson")
    assert code == 0
    assert len(out.splitlines()) == 230
    assert json.loads(out.splitlines()[0])["build_uuid"] == uuid(259)


def test_list_on_a_terminal_is_a_table(
    workers: fake_api.State, server: fake_api.FakeServer, clock: FakeClock, tmp_path: Path
) -> None:
    from cloudflare_buildlogs import cli

    from .conftest import make_env

    captured = make_env(
        {
            "CLOUDFLARE_API_TOKEN": "demo-token-not-a-secret-0000",
            "CLOUDFLARE_ACCOUNT_ID": fake_api.DEMO_ACCOUNT,
            "CLOUDFLARE_API_BASE_URL": server.url,
            "COLUMNS": "150",
        },
        tty=True,
    )
    assert cli.run(["list", "my-worker", "--limit", "3"], captured.env) == 0
    out = captured.out.getvalue()
    assert "BUILD" in out and uuid(4) in out and "\x1b[31mfail" in out


def test_list_stops_paging_once_the_limit_is_reached(
    workers: fake_api.State, server: fake_api.FakeServer, clock: FakeClock, tmp_path: Path
) -> None:
    for n in range(10, 260):
        workers.add(fake_api.FakeBuild(uuid(n), []))
    workers.requests.clear()
    code, out, _ = in_folder(server, clock, tmp_path, "list", TAG, "--limit", "200", "--ndjson")
    assert code == 0 and len(out.splitlines()) == 200
    assert len([p for _, p, _ in workers.requests if p.endswith("/builds")]) == 1


def test_triggers_text_json_and_hostile_fields(cli: Cli, state: fake_api.State) -> None:
    """`triggers` (README, "triggers"): TSV with a header when piped, the API's fields in JSON,
    nothing of a build token, and every field from the API on one clean line."""
    tag = "b" * 32
    state.scripts.append({"id": "my-worker", "tag": tag})
    hostile = {
        "trigger_uuid": "e0e1e2e3-e4e5-4e6e-8e7e-8e9eaebecede",
        "trigger_name": "evil\tname\n\x1b]0;owned\x07",
        "branch_includes": ["release/*", "main"],
        "branch_excludes": ["release/old"],
        "path_includes": ["src/**"],
        "path_excludes": [],
        "root_directory": "apps/api",
        "build_command": None,
        "deploy_command": "npx wrangler deploy\r\n::add-mask::x",
        "build_caching_enabled": False,
        "build_token_uuid": "0a1b2c3d-4e5f-4061-8293-a4b5c6d7e8f9",
        "build_token_name": "the build token",
    }
    state.triggers[tag] = [*fake_api.default_triggers(tag)[:1], hostile]
    text = cli("triggers", "my-worker")
    assert text.code == 0, text.stderr
    rows = [row.split("\t") for row in text.stdout.splitlines()]
    assert rows[0] == ["name", "trigger", "branches", "paths", "root", "build", "deploy", "cache"]
    assert rows[1][0] == "Deploy default" and rows[1][2:4] == ["main", "all"]
    assert rows[2] == [
        "evil name ", "e0e1e2e3-e4e5-4e6e-8e7e-8e9eaebecede", "release/*, main but release/old",
        "src/**", "apps/api", "-", "npx wrangler deploy  ::add-mask::x", "off",
    ]  # fmt: skip
    shown = cli("triggers", "my-worker", "-o", "json")
    records = json.loads(shown.stdout)
    assert [r["trigger_name"] for r in records] == ["Deploy default", hostile["trigger_name"]]
    assert records[1]["branch_includes"] == ["release/*", "main"]
    assert "build_token_uuid" not in records[0] and "token" not in shown.stdout
    bad = cli("triggers", "my-worker", "--ndjson")
    assert bad.code == 2


def test_triggers_in_process_on_a_terminal_and_with_none(
    state: fake_api.State, server: fake_api.FakeServer
) -> None:
    from cloudflare_buildlogs import cli as app

    from .conftest import api_environ, make_env

    tag = "c" * 32
    captured = make_env(api_environ(server), tty=True)
    assert app.run(["triggers", tag], captured.env) == 0
    screen = captured.out.getvalue()
    assert "Deploy default" in screen and "all but main" in screen
    assert "c9d8e7f6-a5b4" not in screen  # no UUID column on a terminal: room for the rest
    state.triggers[tag] = []
    captured = make_env(api_environ(server))
    assert app.run(["triggers", tag, "--json"], captured.env) == 0
    assert json.loads(captured.out.getvalue()) == []
    assert "has no build trigger" in captured.err.getvalue()
