"""Ends a request that has not answered in full by its deadline, however slowly it trickles.

httpx's timeouts bound each read, not a whole answer: a server that sends a byte every 29 s
would hold a request forever under a 30 s read timeout, in its headers as well as its body. The
watchdog is one thread per client, asleep until a request's deadline passes; then it shuts the
request's socket down, so the read blocked on it returns at once and httpx raises a transport
error that the client reports as a timeout. The socket is learnt from httpcore's trace of the
connection (`connection.connect_tcp` / `connection.start_tls`): requests are made one at a time,
so the connection last opened, or reused since, is the one in use.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any


class Watchdog:
    def __init__(self) -> None:
        self._wake = threading.Condition()
        self._deadline: float | None = None
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._idle = False  # asleep with no deadline: a new one must wake it
        self.fired = False

    def connected(self, stream: Any) -> None:
        """httpcore's network stream of a new connection (from the trace)."""
        get = getattr(stream, "get_extra_info", None)
        sock = get("socket") if get is not None else None
        if isinstance(sock, socket.socket):
            self._socket = sock

    def arm(self, seconds: float) -> None:
        """The request about to be sent must have answered in full within `seconds`."""
        with self._wake:
            self.fired = False
            self._deadline = time.monotonic() + seconds
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="cf-buildlogs-watchdog")
                self._thread.daemon = True
                self._thread.start()
            elif self._idle:  # else it wakes at an earlier deadline, and sees this one then
                self._wake.notify()

    def disarm(self) -> None:
        with self._wake:
            self._deadline = None

    def _run(self) -> None:
        with self._wake:
            while True:
                deadline = self._deadline
                if deadline is None:
                    self._idle = True
                    self._wake.wait()
                    self._idle = False
                    continue
                left = deadline - time.monotonic()
                if left > 0:
                    self._wake.wait(left)
                    continue
                self._deadline, self.fired = None, True
                if self._socket is not None:
                    with contextlib.suppress(OSError):
                        self._socket.shutdown(socket.SHUT_RDWR)
