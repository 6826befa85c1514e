"""Fetching the next page in a background thread while this one is written."""

from __future__ import annotations

import queue
import sys
import threading
import time
from collections.abc import Generator, Iterator
from typing import TypeVar, cast

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


# Below this, an item came from a server that answers at once (on this machine, say): its
# wait is shorter than what two threads lose handing the GIL back and forth (measured against
# the fake serving from memory: a 200,000-line first read took 1.18x the bare loop in one
# thread, 1.37x with the fetching thread; at 20 ms a page the thread saves its writing time).
QUICK = 0.005
# Slower items in a row before the rest are fetched in the background: one alone may be a
# pause of a busy machine, and reading it in this thread loses only its overlap.
SLOW_IN_A_ROW = 3


def prefetch(
    source: Iterator[T], ahead: int = AHEAD, sent: threading.Event | None = None
) -> Generator[T, None, None]:
    """`source`'s items, produced in a background thread while the caller uses the last one:
    the next page is on the wire while this one is written. While the items come within
    QUICK seconds, they are read in the caller's own thread instead, as a bare loop would;
    once SLOW_IN_A_ROW of them in a row take longer, the rest come from the thread.

    Order is kept; an error in the thread is raised here, after the items before it. When the
    caller stops (an error, Ctrl-C, a closed pipe), the thread stops at its next item and is
    waited for briefly: callers close the generator (`contextlib.closing`) so that happens at
    once, before the HTTP client the thread uses is closed, not whenever it is collected.

    `sent` (the API client's) is set once the source's next request is on the wire. While the
    thread is behind (nothing queued), an item is handed over only then, or after HANDOFF
    seconds: writing a page needs the GIL as much as asking for the next one does, and every
    page's request would otherwise wait on the writing of the page before it."""
    slow = 0
    while slow < SLOW_IN_A_ROW:
        started = time.monotonic()
        try:
            item = next(source)
        except StopIteration:
            return
        slow = 0 if time.monotonic() - started < QUICK else slow + 1
        yield item
    yield from _background(source, ahead, sent)


def _background(
    source: Iterator[T], ahead: int, sent: threading.Event | None
) -> Generator[T, None, None]:
    """`prefetch` once the source is slow: the rest of its items, from the fetching thread."""
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
