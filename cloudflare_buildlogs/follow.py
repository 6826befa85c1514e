"""Paging through a build's log and following a running build, as plain generators.

The cursor is opaque: request without one, then with `result.cursor` while `truncated` is
true. Once a reader has caught up with a running build, the API may hand back a cursor to
resume from, or none at all; a `Position` covers both, by remembering the cursor a read began
at and how many of the lines after it were already shown. So no line is shown twice or lost,
whichever the API does. Time is injected: tests follow a twenty-minute build in milliseconds.
"""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import NamedTuple, Protocol, TypeVar, cast

from .errors import ApiError, WaitTimeout
from .models import Build, BuildStatus, LogLine, LogPage

MAX_PAGES = 100_000  # 100 million lines at the API's 1,000-line pages
MAX_EMPTY_PAGES = 50  # truncated pages in a row that bring no line
MAX_INTERVAL = 10.0  # the slowest poll of one build while nothing happens
WAITING = frozenset({BuildStatus.QUEUED, BuildStatus.INITIALIZING})


class LogSource(Protocol):
    def get_log_page(self, account_id: str, build_uuid: str, cursor: str | None) -> LogPage: ...


class BuildSource(LogSource, Protocol):
    def get_build(self, account_id: str, build_uuid: str) -> Build: ...


class Position:
    """Where the next read starts: at `cursor` (None: the beginning), skipping the first
    `skip` lines found there, which were already shown."""

    __slots__ = ("cursor", "shown", "skip")

    def __init__(self, cursor: str | None = None, skip: int = 0, shown: int = 0) -> None:
        self.cursor, self.skip, self.shown = cursor, skip, shown


def read_pass(
    source: LogSource,
    account_id: str,
    build_uuid: str,
    position: Position,
    *,
    max_pages: int = MAX_PAGES,
) -> Iterator[list[LogLine]]:
    """The lines after `position`, up to the end of what exists now; moves `position` on."""
    cursor, skip = position.cursor, position.skip
    seen: set[str] = set()
    empty = 0
    for _ in range(max_pages):
        page = source.get_log_page(account_id, build_uuid, cursor)
        fresh = page.lines[skip:] if skip else page.lines
        if fresh:
            position.shown += len(fresh)
            yield fresh
        if not (page.truncated and page.cursor):
            if page.cursor and page.cursor != cursor:  # caught up, with a cursor to resume at
                position.cursor, position.skip = page.cursor, 0
            else:  # caught up without one: next time, read here again and skip what was shown
                position.cursor, position.skip = cursor, max(skip, len(page.lines))
            return
        if page.cursor == cursor or page.cursor in seen:
            raise ApiError(
                "the API sent the same log cursor twice; stopping rather than "
                "looping (a fault on Cloudflare's side: try again later)"
            )
        empty = 0 if page.lines else empty + 1
        if empty >= MAX_EMPTY_PAGES:
            raise ApiError(f"the API sent {empty} empty log pages in a row; stopping")
        seen.add(page.cursor)
        cursor, skip = page.cursor, max(0, skip - len(page.lines))
        position.cursor, position.skip = cursor, skip
    raise ApiError(f"the log went on past {max_pages} pages; stopping rather than looping")


def read_log(
    source: LogSource, account_id: str, build_uuid: str, *, max_pages: int = MAX_PAGES
) -> Iterator[list[LogLine]]:
    """Every page's lines, first to last: one pass from the beginning."""
    return read_pass(source, account_id, build_uuid, Position(), max_pages=max_pages)


RATE = 1 / 6  # requests a second for one build, once its burst is spent
MAX_RATE = 1.0  # for the whole command, however many builds it follows (contract section 6)


class Budget:
    """A token bucket for polling: bursts of `capacity` requests, then `rate` a second.

    Cloudflare allows 1,200 requests per 5 minutes per user, shared with the dashboard and
    the user's other tools; the defaults keep a 20-minute follow under 250 requests.
    """

    def __init__(
        self, monotonic: Callable[[], float], capacity: float = 30, rate: float = RATE
    ) -> None:
        self.monotonic, self.capacity, self.rate = monotonic, capacity, rate
        self.tokens, self.stamp = capacity, monotonic()

    def _refill(self) -> None:
        now = self.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def delay(self) -> float:
        """Seconds to wait before a request may be made."""
        self._refill()
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def spend(self, requests: int) -> None:
        self._refill()
        self.tokens -= requests


class Clock(NamedTuple):
    monotonic: Callable[[], float]
    sleep: Callable[[float], None]


class Polled(NamedTuple):
    """A poll has read the log to its current end. `build` is the state the poll saw, when
    it asked (only while the log is quiet); `quiet` when the poll brought no line."""

    build: Build | None
    quiet: bool


class Finished(NamedTuple):
    """The build stopped, and its whole log has been read."""

    build: Build


FollowEvent = list[LogLine] | Polled | Finished


class Schedule:
    """How long until a build is polled again: `interval` while its lines flow, stretching
    x1.5 up to `ceiling` (MAX_INTERVAL) while it is quiet."""

    __slots__ = ("ceiling", "delay", "interval")

    def __init__(self, interval: float, ceiling: float = MAX_INTERVAL) -> None:
        self.interval = self.delay = interval
        self.ceiling = max(ceiling, interval)

    def pause(self, active: bool) -> float:
        """The pause after a poll; `active` when it brought something new."""
        if active:
            self.delay = self.interval
        pause = self.delay
        if not active:  # the next quiet poll waits longer
            self.delay = min(self.ceiling, max(self.delay * 1.5, self.interval))
        return pause


class Poller:
    """Polls politely for a whole command, however many builds it follows: each build by its
    own `Schedule`, all of them within one request budget, and never past the deadline
    (then WaitTimeout)."""

    def __init__(
        self,
        clock: Clock,
        interval: float,
        timeout: float | None,
        requests: Callable[[], int],
        what: str,
        deadline: float | None = None,
    ) -> None:
        """`deadline` (on `clock`) when the command's time is already counting; else the
        timeout counts from now."""
        self.clock, self.interval, self.what = clock, interval, what
        if deadline is None and timeout is not None:
            deadline = clock.monotonic() + timeout
        self.deadline = deadline
        self.timeout = timeout
        self.schedule = Schedule(interval)
        self.requests = requests
        self.spent = requests()
        self.budget = Budget(clock.monotonic)

    def expired(self) -> WaitTimeout:
        """What the command says when its time is up: what it was waiting for."""
        return WaitTimeout(
            f"gave up after {format_duration(self.timeout or 0)}: {self.what}",
            "raise --timeout to wait longer",
        )

    def share(self, builds: int) -> None:
        """Several builds followed at once may use the command's whole rate (contract section
        6: one a second, however many builds), so that none waits long behind the others and
        each one's end is seen within a few polls; one build alone keeps the gentler RATE."""
        self.budget.rate = RATE if builds <= 1 else MAX_RATE

    def wait(self, active: bool) -> None:
        """Sleep before the next poll of the one thing polled; `active` when the last poll
        brought something new."""
        self.wait_until(self.clock.monotonic() + self.schedule.pause(active))

    def wait_until(self, due: float) -> None:
        """Sleep until `due`, or longer while the request budget is spent; never past the
        deadline."""
        used = self.requests() - self.spent
        self.budget.spend(used)
        pause = max(due - self.clock.monotonic(), self.budget.delay(), 0.0)
        if self.deadline is not None:
            left = self.deadline - self.clock.monotonic()
            if left <= 0:
                raise self.expired()
            pause = min(pause, left)
        self.clock.sleep(pause)
        self.spent = self.requests()


class _Followed:
    """One build being followed: where its log was read to, and when it is polled next; `uuid`
    None while the build is still to be found."""

    __slots__ = ("done", "due", "index", "position", "quiet", "schedule", "uuid")

    def __init__(self, index: int, uuid: str | None, interval: float, ceiling: float) -> None:
        self.index, self.uuid = index, uuid
        self.position, self.schedule = Position(), Schedule(interval, ceiling)
        self.quiet, self.done, self.due = True, False, float("-inf")


# Looks for the build of entry `index` that is still to be found: (False, None) while it is
# not there; (True, uuid) to follow it; (True, None) when there is nothing to follow (the
# caller has printed it already, from the local store).
Finder = Callable[[int], tuple[bool, str | None]]


def follow(
    source: BuildSource,
    account_id: str,
    build_uuids: Sequence[str | None],
    poller: Poller,
    find: Finder | None = None,
) -> Iterator[tuple[int, FollowEvent]]:
    """(index of the build, event): lines as they arrive, Polled after each poll, then
    Finished; for one build or several at once, in the same loop (a single build is the case
    of one). A None in `build_uuids` is a build still to be found: `find` is asked on that
    entry's own schedule until it answers, and the build then joins the others.

    A build's status is asked for only when its log has gone quiet (while lines flow the build
    is plainly running), which halves the requests of a busy build. The log is read after the
    status: a build seen stopped had written all its lines before that read began, so the
    read reaches the true end; a build still queued or initializing has no log to read. Each
    build is polled when its schedule says (quiet builds least), all within the poller's one
    budget; a build that stopped is not polled again.
    """
    # The more builds share the budget, the longer a quiet one may wait: those whose lines
    # flow get the requests (one build: MAX_INTERVAL, as ever).
    ceiling = MAX_INTERVAL * len(build_uuids)
    builds = [_Followed(i, u, poller.interval, ceiling) for i, u in enumerate(build_uuids)]
    poller.share(len(builds))
    while builds:
        for each in builds:
            if each.due > poller.clock.monotonic():
                continue
            if each.uuid is None:
                assert find is not None, "a build to find needs a finder"
                found, each.uuid = find(each.index)
                each.done = found and each.uuid is None
                now = poller.clock.monotonic()
                each.due = now if found else now + each.schedule.pause(False)
                continue
            yield from _poll(source, account_id, each)
            each.due = poller.clock.monotonic() + each.schedule.pause(not each.quiet)
        builds = [each for each in builds if not each.done]
        if builds:
            poller.wait_until(min(each.due for each in builds))


def _poll(
    source: BuildSource, account_id: str, each: _Followed
) -> Iterator[tuple[int, FollowEvent]]:
    assert each.uuid is not None
    build = source.get_build(account_id, each.uuid) if each.quiet else None
    before = each.position.shown
    if build is None or build.status not in WAITING:  # a waiting build has no log yet
        for lines in read_pass(source, account_id, each.uuid, each.position):
            yield each.index, lines
    if build is not None and build.stopped:
        each.done = True
        yield each.index, Finished(build)
        return
    each.quiet = each.position.shown == before
    yield each.index, Polled(build, each.quiet)


T = TypeVar("T")
AHEAD = 2  # pages fetched ahead of the one being written: memory stays flat
# While a page is written, the fetching thread waits for the GIL whenever it has work (an
# answer has arrived, a page to decode); the default 5 ms switch interval would hold it up for
# that long each time (measured with the hand-over below: 1.025x the fetching floor at 20 ms a
# page and 1.06x the bare loop on loopback, against 1.01x and 1.00x at 1 ms).
SWITCH_INTERVAL = 0.001
# The longest a page waits for the next request to be sent (it takes ~0.3 ms): past it, the
# thread is doing something else (a retry's pause, a poll's wait, the end of the log).
HANDOFF = 0.005


def prefetch(
    source: Iterator[T], ahead: int = AHEAD, sent: threading.Event | None = None
) -> Generator[T, None, None]:
    """`source`'s items, produced in a background thread while the caller uses the last one:
    the next page is on the wire while this one is written. Order is kept; an error in the
    thread is raised here, after the items before it. When the caller stops (an error,
    Ctrl-C, a closed pipe), the thread stops at its next item and is waited for briefly:
    callers close the generator (`contextlib.closing`) so that happens at once, before the
    HTTP client the thread uses is closed, not whenever the generator is collected.

    `sent` (the API client's) is set once the source's next request is on the wire. While the
    thread is behind (nothing queued), an item is handed over only then, or after HANDOFF
    seconds: writing a page needs the GIL as much as asking for the next one does, and every
    page's request would otherwise wait on the writing of the page before it."""
    items: queue.Queue[tuple[bool, object]] = queue.Queue(maxsize=ahead)
    stop = threading.Event()

    def put(entry: tuple[bool, object]) -> bool:
        while not stop.is_set():
            try:
                items.put(entry, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for item in source:
                if sent is not None:
                    sent.clear()
                if not put((True, item)):
                    return
            put((True, _DONE))
        except BaseException as exc:  # handed to the caller, who reports it
            put((False, exc))
        finally:
            if sent is not None:
                sent.set()

    thread = threading.Thread(target=run, name="cf-buildlogs-fetch", daemon=True)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, SWITCH_INTERVAL))
    thread.start()
    try:
        while True:
            ok, item = items.get()
            if not ok:
                assert isinstance(item, BaseException)
                raise item
            if item is _DONE:
                return
            if sent is not None and items.empty():
                sent.wait(HANDOFF)
            yield cast(T, item)
    finally:
        stop.set()
        thread.join(timeout=0.5)
        sys.setswitchinterval(interval)


_DONE = object()


def format_duration(seconds: float) -> str:
    """`42s`, `3m05s`, `1h02m03s`."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"
