"""Following running builds, one or several at once, politely, as a plain generator.

Time is injected: tests follow a twenty-minute build in milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

from ..errors import WaitTimeout
from ..models import Build, BuildStatus, LogLine
from ..output.timestamps import format_duration
from .paging import BuildSource, Position, read_pass

MAX_INTERVAL = 10.0  # the slowest poll of one build while nothing happens
WAITING = frozenset({BuildStatus.QUEUED, BuildStatus.INITIALIZING})


RATE = 1 / 6  # requests a second for one build, once its burst is spent
MAX_RATE = 1.0  # for the whole command, however many builds (README, "Following a build")


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
        what: Callable[[], str],
        deadline: float | None = None,
    ) -> None:
        """`what` says what the command is waiting for when its time is up; `deadline` (on
        `clock`) when the command's time is already counting, else the timeout counts from
        now."""
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
            f"gave up after {format_duration(self.timeout or 0)}: {self.what()}",
            "raise --timeout to wait longer",
        )

    def share(self, builds: int) -> None:
        """Several builds followed at once may use the command's whole rate (README,
        "Following a build": one a second, however many builds), so that none waits long
        behind the others and each one's end is seen within a few polls; one build alone
        keeps the gentler RATE."""
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
            yield each.index, lines.parsed
    if build is not None and build.stopped:
        each.done = True
        yield each.index, Finished(build)
        return
    each.quiet = each.position.shown == before
    yield each.index, Polled(build, each.quiet)
