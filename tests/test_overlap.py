"""Fetching overlaps writing (`follow.prefetch`): order is kept, nothing is lost or doubled,
memory stays bounded, and errors, Ctrl-C and a closed pipe end the command cleanly."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from cloudflare_buildlogs import cli, fake_api
from cloudflare_buildlogs.api.client import Client
from cloudflare_buildlogs.live import prefetch as prefetching
from cloudflare_buildlogs.live.prefetch import AHEAD, prefetch
from cloudflare_buildlogs.models import Credentials

from .conftest import BUILD, Captured, api_environ, make_env
from .test_follow import FakeClock, expected, live_build, messages


def fetch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "cf-buildlogs-fetch"]


def wait_for_no_fetch_thread(seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while fetch_threads() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert fetch_threads() == [], "a fetching thread was left running"


def test_a_fast_fetcher_and_a_slow_writer_keep_order_and_stay_bounded() -> None:
    made: list[int] = []
    used: list[int] = []

    def source() -> Iterator[int]:
        for i in range(200):
            made.append(i)
            yield i

    ahead = 0
    for item in prefetch(source()):
        used.append(item)
        ahead = max(ahead, len(made) - len(used))
        time.sleep(0.0005)  # the writer is the slow side
    assert used == list(range(200))
    assert ahead <= AHEAD + 1, "the fetcher ran ahead of its bound"
    wait_for_no_fetch_thread()


def test_an_error_in_the_fetcher_comes_after_the_items_before_it() -> None:
    def source() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("page 3 failed")

    got: list[int] = []
    with pytest.raises(ValueError, match="page 3"):
        for item in prefetch(source()):
            got.append(item)
    assert got == [1, 2]
    wait_for_no_fetch_thread()


def test_a_consumer_that_stops_early_stops_the_fetcher() -> None:
    def endless() -> Iterator[int]:
        i = 0
        while True:
            yield i
            i += 1

    for item in prefetch(endless()):
        if item == 5:
            break
    wait_for_no_fetch_thread()


def test_a_page_is_handed_over_once_the_next_request_is_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Writing a page competes for the GIL with asking for the next one: while the fetcher is
    behind, the writer gets page N only after request N+1 is on the wire. (The source is
    slow from its first item, so the items after the first SLOW_IN_A_ROW are fetched ahead.)"""
    monkeypatch.setattr(prefetching, "SLOW_IN_A_ROW", 1)
    monkeypatch.setattr(prefetching, "HANDOFF", 10.0)  # a missed hand-over would stall the test
    sent = threading.Event()
    events: list[str] = []

    def source() -> Iterator[int]:
        for i in range(4):
            time.sleep(0.01)  # the request's own work, before it is sent
            events.append(f"sent {i}")
            sent.set()
            time.sleep(0.01)  # waiting for the answer
            yield i

    started = time.monotonic()
    for item in prefetch(source(), sent=sent):
        events.append(f"write {item}")
    assert events == [
        "sent 0", "write 0", "sent 1", "sent 2", "write 1", "sent 3", "write 2", "write 3",
    ]  # fmt: skip
    assert time.monotonic() - started < 5, "the last page waited for a request never sent"
    wait_for_no_fetch_thread()


def test_a_quick_source_is_read_in_the_callers_thread_until_an_item_is_slow() -> None:
    """Against a server that answers at once, two threads cost more than they overlap: the
    items come in the caller's thread until SLOW_IN_A_ROW in a row take longer than QUICK
    (one slow item alone is a pause), then from the fetching thread, still in order."""
    readers: list[tuple[int, bool]] = []

    def source() -> Iterator[int]:
        for i in range(12):
            if i == 2 or i >= 5:
                time.sleep(prefetching.QUICK * 2)  # a pause at 2; the server slows from 5
            readers.append((i, threading.current_thread() is threading.main_thread()))
            yield i

    assert prefetching.SLOW_IN_A_ROW == 3
    assert list(prefetch(source())) == list(range(12))
    assert readers == [(i, i <= 7) for i in range(12)]
    wait_for_no_fetch_thread()


def test_the_api_client_says_when_its_request_is_sent(
    state: fake_api.State, server: fake_api.FakeServer
) -> None:
    """The hand-over rests on httpcore's trace of a real request: a renamed event would cost
    every page HANDOFF of waiting, unseen but for this test."""
    state.add(fake_api.FakeBuild(BUILD, [[1, "one"]]))
    with httpx.Client() as http:
        client = Client(http, server.url, Credentials("test", token=fake_api.DEMO_TOKEN))
        assert not client.sent.is_set()
        page = client.get_log_page(fake_api.DEMO_ACCOUNT, BUILD, None)
    assert [line[3] for line in page.lines.parsed] == ["one"]
    assert client.sent.is_set()


@pytest.fixture
def api(state: fake_api.State, server: fake_api.FakeServer) -> dict[str, str]:
    state.page_size = 100
    return api_environ(server, CF_BUILDLOGS_NO_CACHE="1")


def run(args: list[str], environ: dict[str, str], stdout: object = None) -> tuple[int, Captured]:
    captured = make_env(environ)
    if stdout is not None:
        captured.env.stdout = stdout  # type: ignore[assignment]
    return cli.run(args, captured.env), captured


class SlowStream:
    """A writer slower than the network: each page takes a while to write."""

    def __init__(self, delay: float = 0.01, interrupt_at: int | None = None) -> None:
        self.parts: list[str] = []
        self.delay, self.interrupt_at = delay, interrupt_at

    def write(self, text: str) -> int:
        if self.interrupt_at is not None and len(self.parts) >= self.interrupt_at:
            raise KeyboardInterrupt
        time.sleep(self.delay)
        self.parts.append(text)
        return len(text)

    def flush(self) -> None:
        pass


@pytest.mark.parametrize("args", [[], ["--ndjson"], ["--tail", "250"], ["--errors", "-C", "0"]])
def test_every_line_once_in_order_through_a_slow_writer(
    args: list[str], state: fake_api.State, api: dict[str, str]
) -> None:
    lines = [
        [1_700_000_000 + i // 20, f"Error: x {i}" if i % 97 == 0 else f"line {i}"]
        for i in range(2_000)
    ]
    state.add(fake_api.FakeBuild(BUILD, lines))
    stream = SlowStream()
    code, _ = run(["get", BUILD, "--no-timestamps", *args], api, stream)
    out = "".join(stream.parts)
    if "--ndjson" in args:
        assert [json.loads(x)["line"] for x in out.splitlines()] == list(range(1, 2_001))
    elif "--tail" in args:
        assert out.splitlines() == [m for _, m in lines[-250:]]
    elif "--errors" in args:
        assert out.splitlines() == [m for _, m in lines if "Error" in m][:1] + [
            x for m in [m for _, m in lines if "Error" in m][1:] for x in ("--", m)
        ]
    else:
        assert out.splitlines() == [m for _, m in lines]
    assert code == 0
    wait_for_no_fetch_thread()


def test_a_fetch_error_on_page_k_prints_the_pages_before_and_exits_5(
    state: fake_api.State, api: dict[str, str]
) -> None:
    state.add(fake_api.FakeBuild(BUILD, [[1_700_000_000, f"line {i}"] for i in range(1_000)]))
    state.faults.append(fake_api.Fault("500", times=20, skip=4))  # pages 1-4, then never again
    stream = SlowStream(delay=0.002)
    code, io = run(["get", BUILD, "--no-timestamps"], api, stream)
    assert code == 5
    assert "".join(stream.parts).splitlines() == [f"line {i}" for i in range(400)]
    assert io.err.getvalue().startswith("cf-buildlogs: ") and "Traceback" not in io.err.getvalue()
    wait_for_no_fetch_thread()


def test_ctrl_c_while_a_fetch_is_in_flight(state: fake_api.State, api: dict[str, str]) -> None:
    state.add(fake_api.FakeBuild(BUILD, [[1_700_000_000, f"line {i}"] for i in range(1_000)]))
    state.faults.append(fake_api.Fault("slow", times=5, skip=1, delay=1.0))  # page 2 on the wire
    stream = SlowStream(delay=0.05, interrupt_at=1)  # Ctrl-C while writing page 2
    code, io = run(["get", BUILD, "--no-timestamps"], api, stream)
    assert code == 130
    assert "".join(stream.parts).splitlines() == [f"line {i}" for i in range(100)]
    assert io.err.getvalue() == "cf-buildlogs: interrupted\n"
    wait_for_no_fetch_thread()


def test_a_closed_pipe_ends_quietly_with_no_thread_left(
    state: fake_api.State, api: dict[str, str]
) -> None:
    state.add(fake_api.FakeBuild(BUILD, [[1_700_000_000, f"line {i}"] for i in range(1_000)]))

    class Closed(SlowStream):
        def write(self, text: str) -> int:
            if self.parts:
                raise BrokenPipeError
            return super().write(text)

    stream = Closed()
    code, io = run(["get", BUILD, "--no-timestamps"], {**api}, stream)
    assert (code, io.err.getvalue()) == (0, "")
    wait_for_no_fetch_thread()


def test_follow_goes_through_the_overlapped_path_and_keeps_its_budget(
    state: fake_api.State, server: fake_api.FakeServer, api: dict[str, str]
) -> None:
    clock = FakeClock()
    state.clock = clock.monotonic
    live_build(state, clock, lines=3_000, per_s=2.5, caught_up="none")  # a 20-minute build
    captured = make_env(api)
    captured.env.monotonic, captured.env.sleep = clock.monotonic, clock.sleep
    code = cli.run(["get", BUILD, "--follow", "--ndjson", "--tail", "5"], captured.env)
    assert code == 0
    assert (
        messages(captured.out.getvalue())
        == expected(3_000)[-len(messages(captured.out.getvalue())) :]
    )
    assert len(state.requests) < 250
    wait_for_no_fetch_thread()
