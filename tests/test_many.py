"""Every Worker of a push at once (README, "Every Worker of a push at once"): discovery, several builds followed
together on one budget, their output, summaries and exit status."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path

import pytest

from cloudflare_buildlogs import cli, fake_api
from cloudflare_buildlogs.output.palette import colour_of, prefixes
from cloudflare_buildlogs.settings.wrangler import find_all

from .conftest import BIN, SENTINEL, Captured, Cli, api_environ, make_env
from .test_follow import FakeClock

TAGS = {"api": "a" * 32, "web": "b" * 32, "admin-panel": "c" * 32}
T0 = 1_700_000_000


def uuid_of(index: int) -> str:
    return f"{index:08d}-0000-4000-8000-000000000000"


@pytest.fixture
def clock(state: fake_api.State) -> FakeClock:
    clock = FakeClock()
    state.clock = clock.monotonic
    return clock


@pytest.fixture
def api(state: fake_api.State, server: fake_api.FakeServer) -> dict[str, str]:
    state.page_size = 50
    for name, tag in TAGS.items():
        state.scripts.append({"id": name, "tag": tag})
    return api_environ(server, CF_BUILDLOGS_NO_CACHE="1", TZ="UTC")


def add(
    state: fake_api.State,
    clock: FakeClock | None,
    index: int,
    name: str,
    *,
    lines: int = 30,
    outcome: str = "success",
    per_s: float = 3,
    queued: float = 0,
    **extra: object,
) -> fake_api.FakeBuild:
    live = None
    if clock is not None:
        live = fake_api.Live(started=clock.now, queued_s=queued, lines_per_s=per_s)
    messages = [[T0 + i, f"{name} line {i}"] for i in range(lines)]
    return state.add(
        fake_api.FakeBuild(uuid_of(index), messages, outcome=outcome, worker_tag=TAGS[name],
                           live=live, **extra)  # type: ignore[arg-type]
    )  # fmt: skip


def run(
    args: list[str], api: dict[str, str], clock: FakeClock | None = None, **kw: object
) -> tuple[int, Captured]:
    captured = make_env(api)
    if clock is not None:
        captured.env.monotonic, captured.env.sleep = clock.monotonic, clock.sleep
    for name, value in kw.items():
        setattr(captured.env, name, value)
    code = cli.run(args, captured.env)
    assert SENTINEL not in captured.out.getvalue() + captured.err.getvalue()
    return code, captured


# -- discovery ---------------------------------------------------------------------------------


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_all_finds_every_worker_named_under_the_repository_root(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    write(repo / "apps/api/wrangler.toml", 'name = "api"\n[env.staging]\nname = "api-staging"\n')
    write(repo / "apps/web/wrangler.jsonc", '{\n  // the site\n  "name": "web",\n}\n')
    write(repo / "apps/web/wrangler.toml", 'name = "web-old"\n')  # the folder's json wins
    write(repo / "tools/deep/er/wrangler.json", '{"name": "admin-panel"}')
    write(repo / "apps/copy/wrangler.toml", 'name = "api"\n')  # a name found twice
    write(repo / "apps/nameless/wrangler.toml", 'main = "src/index.ts"\n')
    write(repo / "node_modules/pkg/wrangler.toml", 'name = "decoy-module"\n')
    write(repo / ".cache/x/wrangler.toml", 'name = "decoy-hidden"\n')
    write(repo / "apps/api/node_modules/y/wrangler.json", '{"name": "decoy-nested"}')
    names = [c.name for c in find_all(repo)]
    assert names == ["api", "api", None, "web", "admin-panel"]  # in path order
    from cloudflare_buildlogs.commands.workers import named_workers

    env = make_env({}).env
    env.cwd = repo / "apps" / "web"
    assert named_workers((), True, env) == ["api", "web", "admin-panel"]
    env.cwd = tmp_path
    (tmp_path / "empty").mkdir()
    env.cwd = tmp_path / "empty"
    with pytest.raises(Exception, match="--all found no Worker"):
        named_workers((), True, env)


def test_all_that_finds_one_worker_is_latest_name(
    state: fake_api.State, api: dict[str, str], tmp_path: Path
) -> None:
    add(state, None, 1, "web")
    write(tmp_path / ".git" / "HEAD", "")
    write(tmp_path / "site/wrangler.toml", 'name = "web"\n')
    code, io = run(["latest", "--all", "--no-timestamps"], api, cwd=tmp_path / "site")
    assert code == 0 and io.out.getvalue().splitlines()[0] == "web line 0"  # no prefix
    code, io = run(["latest", "--all", "web"], api)
    assert code == 2 and "--all cannot be combined" in io.err.getvalue()


# -- following several -------------------------------------------------------------------------


def test_several_live_builds_every_line_once_each_with_its_worker(
    state: fake_api.State, api: dict[str, str], clock: FakeClock
) -> None:
    add(state, clock, 0, "api", lines=60, per_s=4)
    add(state, clock, 1, "web", lines=25, per_s=1, outcome="fail", queued=5)
    add(state, clock, 2, "admin-panel", lines=40, per_s=2)
    state.faults.append(fake_api.Fault("502", times=3, skip=7))  # faults mid-follow
    code, io = run(["latest", "api", "web", "admin-panel", "--follow", "--ndjson"], api, clock)
    assert code == 1
    records = [json.loads(line) for line in io.out.getvalue().splitlines()]
    for index, (name, count) in enumerate((("api", 60), ("web", 25), ("admin-panel", 40))):
        mine = [r for r in records if r.get("worker") == name]
        assert {r["build_uuid"] for r in mine} == {uuid_of(index)}
        lines = [r for r in mine if r["type"] == "line"]
        assert [r["message"] for r in lines] == [f"{name} line {i}" for i in range(count)]
        assert [r["type"] for r in mine][-1] == "end" and sum(r["type"] == "end" for r in mine) == 1
        assert mine[-1]["outcome"] == ("fail" if name == "web" else "success")
    assert len({r["worker"] for r in records[:40]}) > 1, "the builds' lines interleave as they come"
    err = io.err.getvalue().splitlines()
    assert err[-3].startswith("api          build 00000000 succeeded")
    assert (
        err[-2].startswith("web          build 00000001 failed")
        and "failed in initialize" in err[-2]
    )
    assert err[-1].startswith("admin-panel  build 00000002 succeeded")


def test_text_lines_are_prefixed_by_padded_names_in_a_stable_colour(
    state: fake_api.State, api: dict[str, str]
) -> None:
    add(state, None, 0, "api", lines=3)
    add(state, None, 1, "admin-panel", lines=2)
    code, io = run(["latest", "api", "admin-panel", "--timestamps", "utc"], api)
    assert code == 0
    assert io.out.getvalue().splitlines() == [
        "api          2023-11-14T22:13:20Z  api line 0",
        "api          2023-11-14T22:13:21Z  api line 1",
        "api          2023-11-14T22:13:22Z  api line 2",
        "admin-panel  2023-11-14T22:13:20Z  admin-panel line 0",
        "admin-panel  2023-11-14T22:13:21Z  admin-panel line 1",
    ]
    _, coloured = run(["latest", "api", "admin-panel", "--color", "always"], api)
    first = coloured.out.getvalue().splitlines()[0]
    assert first.startswith(f"{colour_of('api')}api        \x1b[0m  ")
    assert prefixes(["api", "web"], True) == prefixes(["api", "web"], True)  # every run
    assert colour_of("api") != colour_of("admin-panel") or colour_of("api") != colour_of("web")


def test_a_worker_without_a_build_is_exit_4_naming_it_or_waited_for(
    state: fake_api.State, api: dict[str, str], clock: FakeClock
) -> None:
    add(state, None, 0, "api")
    code, io = run(["latest", "api", "web"], api, clock)
    assert (code, io.out.getvalue()) == (4, "")
    assert "no build found: a build of web" in io.err.getvalue()
    add(state, clock, 1, "web", lines=5, appears_at=clock.now + 40)
    code, io = run(["latest", "api", "web", "--wait", "--follow", "--no-timestamps"], api, clock)
    assert code == 0 and "web  web line 4" in io.out.getvalue()
    assert clock.now >= 1040


def test_timeout_is_6_unless_a_build_failed(
    state: fake_api.State, api: dict[str, str], clock: FakeClock
) -> None:
    add(state, clock, 0, "api", lines=10, per_s=5)
    add(state, clock, 1, "web", lines=10_000, per_s=1)  # still running at the deadline
    code, io = run(["latest", "api", "web", "--follow", "--timeout", "60s"], api, clock)
    err = io.err.getvalue().splitlines()
    assert code == 6
    assert err[-4].startswith("api  build 00000000 succeeded")
    assert err[-3] == "web  build 00000001 still running after 1m00s"
    assert err[-2].startswith("cf-buildlogs: gave up after 1m00s")
    add(state, clock, 2, "admin-panel", lines=5, per_s=5, outcome="cancelled")
    code, _ = run(["latest", "web", "admin-panel", "--follow", "--timeout", "60s"], api, clock)
    assert code == 1  # a failed build beats the timeout


def test_three_twenty_minute_builds_share_one_budget(
    state: fake_api.State, api: dict[str, str], clock: FakeClock
) -> None:
    for index, name in enumerate(TAGS):
        add(state, clock, index, name, lines=1200 + 300 * index, per_s=1 + index * 0.25)
    code, io = run(["latest", *TAGS, "--follow", "--ndjson"], api, clock)
    assert code == 0
    started = 1000.0
    minutes = (clock.now - started) / 60
    assert minutes >= 19.9  # they ran their twenty minutes
    # Contract section 6 for the whole command: after a burst of 30, one a second at most
    # however many builds, plus the 4 requests that find the builds and the last round (2 a
    # build) the budget has not yet paid for.
    assert len(state.requests) <= 30 + minutes * 60 + 4 + 6, len(state.requests)
    lines = [json.loads(x) for x in io.out.getvalue().splitlines()]
    assert sum(r["type"] == "line" for r in lines) == 1200 + 1500 + 1800


def test_tail_is_per_build_and_json_takes_one_worker(
    state: fake_api.State, api: dict[str, str]
) -> None:
    add(state, None, 0, "api", lines=10)
    add(state, None, 1, "web", lines=10)
    _, io = run(["latest", "api", "web", "--tail", "2", "--no-timestamps"], api)
    assert io.out.getvalue().splitlines() == [
        "api  api line 8", "api  api line 9", "web  web line 8", "web  web line 9",
    ]  # fmt: skip
    code, io = run(["latest", "api", "web", "--json"], api)
    assert code == 2 and "--json takes one Worker" in io.err.getvalue()


def test_ctrl_c_while_following_several(
    state: fake_api.State, api: dict[str, str], clock: FakeClock
) -> None:
    add(state, clock, 0, "api", lines=500, per_s=5)
    add(state, clock, 1, "web", lines=500, per_s=5)

    class Interrupted:
        def __init__(self) -> None:
            self.writes = 0

        def write(self, text: str) -> int:
            self.writes += 1
            if self.writes > 3:
                raise KeyboardInterrupt
            return len(text)

        def flush(self) -> None:
            pass

    code, io = run(["latest", "api", "web", "--follow"], api, clock, stdout=Interrupted())
    assert (code, io.err.getvalue()) == (130, "cf-buildlogs: interrupted\n")
    deadline = time.monotonic() + 10
    while any(t.name == "cf-buildlogs-fetch" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "a fetching thread was left running"
        time.sleep(0.02)


def test_the_monorepo_workflow_with_the_installed_command(
    cli: Cli, state: fake_api.State, tmp_path: Path
) -> None:
    for name, tag in TAGS.items():
        state.scripts.append({"id": name, "tag": tag})
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    for name in TAGS:
        write(repo / name / "wrangler.toml", f'name = "{name}"\n')
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "x"],
        check=True,
    )
    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()  # fmt: skip
    now = time.monotonic()
    for index, name in enumerate(TAGS):
        messages = [[T0 + i, f"{name} line {i}"] for i in range(6)]
        live = fake_api.Live(started=now + 0.3 * index, lines_per_s=20)
        state.add(fake_api.FakeBuild(uuid_of(index), messages, worker_tag=TAGS[name], live=live,
                                     commit_hash=head, outcome="fail" if name == "web" else "success",
                                     appears_at=now + 0.3 * index))  # fmt: skip
    proc = subprocess.run(
        [str(BIN), "latest", "--all", "--commit", "HEAD", "--wait", "--follow", "--interval", "0.2",
         "--no-timestamps", "--color", "never"],
        capture_output=True, text=True, env=cli.env(), cwd=repo / "web", timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    for name in TAGS:
        mine = [line for line in proc.stdout.splitlines() if line.startswith(f"{name} ")]
        assert [line.split(None, 1)[1] for line in mine] == [f"{name} line {i}" for i in range(6)]
    summary = proc.stderr.splitlines()[-3:]
    assert [line.split()[0] for line in summary] == ["admin-panel", "api", "web"]
    assert "failed" in summary[2] and "Traceback" not in proc.stderr


def test_quiet_builds_are_polled_least_and_stopped_ones_not_again(
    state: fake_api.State, api: dict[str, str], clock: FakeClock
) -> None:
    add(state, clock, 0, "api", lines=600, per_s=1)  # lines flow for ten minutes
    add(state, clock, 1, "web", lines=5, per_s=1, queued=540)  # queued nine minutes
    add(state, clock, 2, "admin-panel", lines=5, per_s=5)  # over in a second
    code, _ = run(["latest", *TAGS, "--follow", "--ndjson"], api, clock)
    assert code == 0

    def asked(index: int) -> int:
        return sum(uuid_of(index) in path for _, path, _ in state.requests)

    assert asked(1) < asked(0) / 2, (asked(0), asked(1))
    assert asked(2) <= 4  # read once or twice, then never again


# -- one path for one build or many (issue 15) -----------------------------------------------


def test_a_second_follow_of_stopped_builds_reads_them_from_the_store(
    state: fake_api.State, api: dict[str, str], clock: FakeClock
) -> None:
    add(state, None, 0, "api", lines=120)
    add(state, None, 1, "web", lines=80)
    stored = {k: v for k, v in api.items() if k != "CF_BUILDLOGS_NO_CACHE"}
    first, io = run(["latest", "api", "web", "--follow", "--ndjson"], stored, clock)
    assert first == 0
    state.requests.clear()
    again, io2 = run(["latest", "api", "web", "--follow", "--ndjson"], stored, clock)
    assert again == 0 and io2.out.getvalue() == io.out.getvalue()
    assert not [path for _, path, _ in state.requests if path.endswith("/logs")]
    assert not [path for _, path, _ in state.requests if "/builds/builds/0" in path]


@pytest.mark.parametrize("follow", [[], ["--follow"]])
def test_a_build_found_while_waiting_is_printed_and_only_the_missing_are_named(
    state: fake_api.State, api: dict[str, str], clock: FakeClock, follow: list[str]
) -> None:
    commit = "9f8e7d6"  # every fake build's commit
    add(state, None, 0, "api", lines=5, appears_at=clock.now + 6)  # the push built only api
    args = ["latest", "api", "web", "--commit", commit, "--wait", "--timeout", "15s"]
    code, io = run([*args, "--no-timestamps", *follow], api, clock)
    assert code == 6
    assert io.out.getvalue().splitlines() == [f"api  api line {i}" for i in range(5)]
    err = io.err.getvalue()
    assert "gave up after 15s: no sign yet of a build of web" in err and "of api" not in err
    assert "web  no build found after 15s" in err


def test_several_followed_builds_end_soon_after_the_last_one(
    state: fake_api.State, api: dict[str, str], clock: FakeClock
) -> None:
    """Once the shared budget's burst is spent, each build is still polled as if alone."""
    started = clock.now
    add(state, clock, 0, "api", lines=140, per_s=10)  # stops at 14 s
    add(state, clock, 1, "web", lines=190, per_s=10)  # stops at 19 s
    add(state, clock, 2, "admin-panel", lines=190, per_s=10)
    code, _ = run(["latest", *TAGS, "--follow", "--ndjson", "--interval", "1"], api, clock)
    assert code == 0
    assert clock.now - started <= 19 + 8, clock.now - started


def test_follow_summary_waits_for_the_end_then_summarises_each_worker(
    state: fake_api.State, api: dict[str, str], clock: FakeClock
) -> None:
    """What a CI job wants: wait for the build, then its summary (issue 16)."""
    add(state, clock, 0, "api", lines=40, per_s=2, outcome="fail")
    code, io = run(["latest", "api", "--follow", "--summary", "-o", "json"], api, clock)
    summary = json.loads(io.out.getvalue())
    assert code == 1 and summary["outcome"] == "fail" and summary["lines"] == 40
    assert clock.now >= 1000 + 20  # it waited for the end
    add(state, clock, 1, "web", lines=30, per_s=3)
    add(state, clock, 2, "admin-panel", lines=20, per_s=1)
    code, io = run(["latest", "web", "admin-panel", "--follow", "--summary", "-o", "markdown"],
                   api, clock)  # fmt: skip
    headings = [line for line in io.out.getvalue().splitlines() if line.startswith("### ")]
    # These generated logs have no deploy step: successes that deployed nothing (README,
    # "What was deployed").
    assert code == 0 and headings == [
        "### ⚠️ `web`: build succeeded in 10s, deployed nothing",
        "### ⚠️ `admin-panel`: build succeeded in 20s, deployed nothing",
    ], io.out.getvalue()
