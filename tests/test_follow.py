"""Following a running build: every line exactly once, the right exit, polite polling.

The fake API is served over real HTTP, but its clock and the client's are one injected clock:
a twenty-minute build is followed in well under a second, with no real waiting.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import pytest

from cloudflare_buildlogs import cli, fake_api
from cloudflare_buildlogs.errors import ExitCode
from cloudflare_buildlogs.live.paging import Position, read_pass
from cloudflare_buildlogs.models import LogPage, PageLines

from .conftest import ACCOUNT, BUILD, SENTINEL, Captured, make_env


@dataclass
class FakeClock:
    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(state: fake_api.State) -> FakeClock:
    clock = FakeClock()
    state.clock = clock.monotonic
    return clock


def live_build(
    state: fake_api.State,
    clock: FakeClock,
    *,
    lines: int = 50,
    outcome: str = "success",
    caught_up: str = "cursor",
    per_s: float = 5,
    queued: float = 10,
    init: float = 5,
) -> fake_api.FakeBuild:
    live = fake_api.Live(
        started=clock.now,
        queued_s=queued,
        initializing_s=init,
        lines_per_s=per_s,
        caught_up=caught_up,
    )
    return state.add(
        fake_api.FakeBuild(BUILD, fake_api.GeneratedLines(lines), outcome=outcome, live=live)
    )


def run(
    server: fake_api.FakeServer, clock: FakeClock, *args: str, tty: bool = False
) -> tuple[int, Captured]:
    captured = make_env(
        {
            "CLOUDFLARE_API_TOKEN": SENTINEL,
            "CLOUDFLARE_ACCOUNT_ID": ACCOUNT,
            "CLOUDFLARE_API_BASE_URL": server.url,
            "CF_BUILDLOGS_CONFIG_DIR": str(server.scratch_dir),
        },
        tty=tty,
    )
    captured.env.monotonic = clock.monotonic
    captured.env.sleep = clock.sleep
    code = cli.run(list(args), captured.env)
    return code, captured


def messages(out: str) -> list[str]:
    return [json.loads(line)["message"] for line in out.splitlines() if '"line"' in line]


def expected(count: int) -> list[str]:
    return [f"step {i}: compiled module {i % 97} [ok]" for i in range(count)]


OUTCOMES = [("success", 0), ("skipped", 0), ("fail", 1), ("cancelled", 1), ("terminated", 1)]


@pytest.mark.parametrize("caught_up", ["cursor", "none"])
@pytest.mark.parametrize(("outcome", "code"), OUTCOMES)
def test_every_line_once_and_the_outcome_as_exit_status(
    state: fake_api.State,
    server: fake_api.FakeServer,
    clock: FakeClock,
    caught_up: str,
    outcome: str,
    code: int,
) -> None:
    state.page_size = 7
    live_build(state, clock, lines=60, outcome=outcome, caught_up=caught_up)
    status, io = run(server, clock, "get", BUILD, "--follow", "--ndjson")
    assert status == code
    assert messages(io.out.getvalue()) == expected(60)
    end = json.loads(io.out.getvalue().splitlines()[-1])
    assert end == {
        "type": "end",
        "build_uuid": BUILD,
        "status": "stopped",
        "outcome": outcome,
        "lines": 60,
    }
    assert f"build {BUILD[:8]}" in io.err.getvalue() and "60 lines" in io.err.getvalue()


@pytest.mark.parametrize("caught_up", ["cursor", "none"])
def test_faults_mid_build_lose_and_repeat_nothing(
    state: fake_api.State, server: fake_api.FakeServer, clock: FakeClock, caught_up: str
) -> None:
    state.page_size = 4
    live_build(state, clock, lines=40, caught_up=caught_up)
    state.faults += [
        # A queued build's log is not read, so the log's faults come once it runs.
        fake_api.Fault("429", skip=4, retry_after="2"),
        fake_api.Fault("500", skip=7),
        fake_api.Fault("drop", skip=10),
        fake_api.Fault("html502", skip=16, path="/builds/"),
        fake_api.Fault("503", skip=3, times=2, path="/builds/"),
    ]
    status, io = run(server, clock, "get", BUILD, "-f", "--ndjson", "--interval", "1")
    assert status == 0, io.err.getvalue()
    assert messages(io.out.getvalue()) == expected(40)
    assert all(f.times == 0 for f in state.faults), "every fault happened"


def test_text_follow_with_tail_prints_the_last_lines_then_everything_new(
    state: fake_api.State, server: fake_api.FakeServer, clock: FakeClock
) -> None:
    live = live_build(state, clock, lines=30, per_s=1, queued=0, init=0)
    clock.now += 20  # 20 lines exist when following starts
    status, io = run(server, clock, "get", BUILD, "-f", "--tail", "3", "--no-timestamps")
    assert status == 0
    assert io.out.getvalue().splitlines() == expected(30)[17:]
    assert live.live is not None


def test_a_build_already_stopped_is_read_once_and_exits_by_outcome(
    state: fake_api.State, server: fake_api.FakeServer, clock: FakeClock
) -> None:
    state.add(fake_api.FakeBuild(BUILD, fake_api.GeneratedLines(5), outcome="fail"))
    status, io = run(server, clock, "get", BUILD, "--follow", "--no-timestamps")
    assert status == 1 and io.out.getvalue().splitlines() == expected(5)
    assert clock.sleeps == []
    assert "failed" in io.err.getvalue()


def test_a_twenty_minute_build_stays_well_under_300_requests(
    state: fake_api.State, server: fake_api.FakeServer, clock: FakeClock
) -> None:
    state.page_size = 1000
    live_build(state, clock, lines=12_000, per_s=10, queued=30, init=20)  # 50 s + 20 min of lines
    status, io = run(server, clock, "get", BUILD, "-f", "--ndjson", "-v")
    assert status == 0
    assert messages(io.out.getvalue()) == expected(12_000)
    assert len(state.requests) < 250
    assert f"{len(state.requests)} requests" in io.err.getvalue()


def test_polls_stretch_while_quiet_and_return_to_the_interval_when_lines_flow(
    state: fake_api.State, server: fake_api.FakeServer, clock: FakeClock
) -> None:
    live_build(state, clock, lines=20, per_s=2, queued=60, init=0)
    run(server, clock, "get", BUILD, "-f", "--ndjson", "--interval", "2")
    queued = clock.sleeps[:8]
    assert queued[0] == 2 and max(queued) == 10  # stretched while queued, up to 10 s
    assert 2 in clock.sleeps[8:]  # back to the interval once lines flowed


def test_timeout_while_still_running_is_exit_6_with_the_lines_so_far(
    state: fake_api.State, server: fake_api.FakeServer, clock: FakeClock
) -> None:
    live_build(state, clock, lines=1000, per_s=1, queued=0, init=0)
    status, io = run(server, clock, "get", BUILD, "-f", "--timeout", "30s", "--ndjson")
    assert status == ExitCode.TIMEOUT
    got = messages(io.out.getvalue())
    assert 25 <= len(got) <= 31 and got == expected(len(got))
    assert "gave up after 30s" in io.err.getvalue() and "still running" in io.err.getvalue()
    assert '"end"' not in io.out.getvalue()


def test_a_queued_build_shows_a_spinner_only_on_a_terminal(
    state: fake_api.State, server: fake_api.FakeServer, clock: FakeClock
) -> None:
    live_build(state, clock, lines=3, queued=5, init=0)
    status, io = run(server, clock, "get", BUILD, "-f", tty=True)
    assert status == 0
    assert re.search(r"build 0f0e0d0c is (queued|initializing|running), waiting", io.err.getvalue())
    assert "\x1b[32m✓\x1b[0m build" in io.err.getvalue()
    status, io = run(server, clock, "get", BUILD, "-f")
    assert "waiting" not in io.err.getvalue()
    assert io.err.getvalue().startswith(f"build {BUILD[:8]} succeeded")


def test_exit_status_without_follow(
    state: fake_api.State, server: fake_api.FakeServer, clock: FakeClock
) -> None:
    live_build(state, clock, lines=10, outcome="fail", queued=0, init=0, per_s=1)
    clock.now += 3
    status, io = run(server, clock, "get", BUILD, "--exit-status", "--ndjson")
    assert status == 0 and "still running" in io.err.getvalue()
    assert '"end"' not in io.out.getvalue()
    clock.now += 30
    status, io = run(server, clock, "get", BUILD, "--exit-status", "--ndjson")
    assert status == 1
    assert json.loads(io.out.getvalue().splitlines()[-1])["outcome"] == "fail"
    status, io = run(server, clock, "get", BUILD, "--exit-status", "--json")
    assert status == 1 and len(json.loads(io.out.getvalue())["lines"]) == 10


class Pages:
    """A log source that answers from a script of pages, recording the cursors asked for."""

    def __init__(self, pages: dict[str | None, list[LogPage]]) -> None:
        self.pages = pages
        self.asked: list[str | None] = []

    def get_log_page(self, account_id: str, build_uuid: str, cursor: str | None) -> LogPage:
        self.asked.append(cursor)
        return self.pages[cursor].pop(0)


def page(first: int, last: int, cursor: str | None = None, truncated: bool = False) -> LogPage:
    return LogPage(PageLines([[1, str(i)] for i in range(first, last)]), cursor, truncated)


def collect(source: Pages, position: Position) -> list[str]:
    return [line[3] for lines in read_pass(source, "a", "b", position) for line in lines]


def test_without_a_resume_cursor_the_log_is_reread_and_what_was_shown_skipped() -> None:
    source = Pages(
        {
            None: [page(0, 3, "c1", True), page(0, 3, "c1", True), page(0, 3, "c1", True)],
            "c1": [page(3, 4), page(3, 6), page(3, 6, "c2", True)],
            "c2": [page(6, 7)],
        }
    )
    position = Position()
    assert collect(source, position) == ["0", "1", "2", "3"]
    assert (position.cursor, position.skip) == ("c1", 1)
    assert collect(source, position) == ["4", "5"]
    assert collect(source, position) == ["6"]
    assert source.asked == [None, "c1", "c1", "c1", "c2"]


def test_a_resume_cursor_is_used_when_the_api_gives_one() -> None:
    source = Pages({None: [page(0, 2, "r1")], "r1": [page(2, 2, "r1"), page(2, 4, "r2")]})
    position = Position()
    assert collect(source, position) == ["0", "1"]
    assert collect(source, position) == []  # nothing new: same cursor back, nothing skipped
    assert collect(source, position) == ["2", "3"]
    assert position.shown == 4 and position.cursor == "r2"


def test_skip_carries_across_pages_when_rereading_from_the_start() -> None:
    source = Pages(
        {None: [page(0, 2, "c1", True)], "c1": [page(2, 4, "c2", True)], "c2": [page(4, 6)]}
    )
    position = Position(cursor=None, skip=5)
    assert collect(source, position) == ["5"]


def test_demo_follow_plays_a_build_from_the_queue(clock: FakeClock) -> None:
    captured = make_env({}, tty=False)
    captured.env.monotonic, captured.env.sleep = clock.monotonic, clock.sleep
    assert cli.run(["demo", "--follow"], captured.env) == 0
    assert len(captured.out.getvalue().splitlines()) == 30
    assert "succeeded" in captured.err.getvalue() and clock.now - 1000 > 8
