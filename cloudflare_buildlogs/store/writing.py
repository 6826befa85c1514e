"""Keeping a build's log as it is read: written to a private temporary file as the pages come,
made an entry of the store (atomically, verified) only once the whole log was read."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from ..models import EPOCH, MESSAGE, Build, LogLine, PageLines
from .entries import FORMAT, MAGIC, Store, build_record, entry_name


class EntryWriter:
    """Keeps pages as they are read; `commit` makes them an entry, `discard` forgets them.
    Memory stays flat: pages go to the temporary file as they come. A failure to write (a full
    disk, a folder that went away) drops the entry, with a note under -v: it never cuts the
    printed log short nor changes the exit status.

    Pages may be added from the thread that fetches them while the command's own thread
    discards or commits: a lock keeps the two apart, and a discarded entry takes no more."""

    def __init__(self, store: Store, api_url: str, account_id: str, build_uuid: str) -> None:
        self.store = store
        self.key = (api_url, account_id, build_uuid)
        self.lines = 0
        self.written = 0
        self.digest = hashlib.sha256()
        self.open = True  # until committed or discarded
        self.handle: IO[bytes] | None = None
        self.temporary: Path | None = None
        self.lock = threading.Lock()

    def _open(self) -> IO[bytes]:
        self.store._make_directory()
        fd, name = tempfile.mkstemp(prefix=".tmp-", dir=self.store.directory)  # mode 0600
        self.temporary = Path(name)
        handle = os.fdopen(fd, "wb")
        handle.write(MAGIC)
        return handle

    def add(self, lines: Sequence[LogLine]) -> None:
        """A page's lines, encoded as a record of [epoch, message] pairs."""
        if lines and self.open:
            pairs = [(line[EPOCH], line[MESSAGE]) for line in lines]
            self._record(json.dumps(pairs, ensure_ascii=False).encode(), len(lines))

    def add_answer(self, body: bytes, lines: PageLines) -> None:
        """A page as the API sent it, `body` its whole answer (`lines`, what was read from
        it): kept as it came rather than encoded again, the costliest step of keeping a log.
        An answer in UTF-8 (every API's) is JSON that was read with control characters
        refused inside its strings, so its line breaks are only spaces between tokens and can
        become spaces; any other is encoded as `add` does."""
        if not lines or not self.open:
            return
        if body[:1] == b"{" and body[1:2] not in (b"", b"\x00"):
            self._record(body.replace(b"\n", b" ") if b"\n" in body else body, len(lines))
        else:
            self.add(lines.parsed)

    def _record(self, record: bytes, count: int) -> None:
        """One record, a line of the payload."""
        with self.lock:
            if not self.open:
                return
            try:
                if self.handle is None:
                    self.handle = self._open()
                self._put(record)
                self._put(b"\n")
            except (OSError, ValueError) as exc:
                self._failed(exc)
                return
            self.lines += count

    def _failed(self, exc: Exception) -> None:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        self.store.note(f"store: build {self.key[2]} not kept ({reason})")
        self._discard()

    def _put(self, data: bytes) -> None:
        if not data or self.handle is None:
            return
        self.digest.update(data)
        self.written += len(data)
        self.handle.write(data)
        if self.written > self.store.max_bytes:  # bigger than the whole store: not kept
            self._discard()

    def commit(self, build: Build) -> None:
        """Make the kept pages an entry with the build's record, atomically, then keep the
        store within its size. Only for a stopped build whose whole log was read."""
        assert build.stopped and build.build_uuid == self.key[2]
        with self.lock:
            if not self.open:
                return
            try:
                self._commit(build)
            except (OSError, ValueError) as exc:
                self._failed(exc)

    def _commit(self, build: Build) -> None:
        if self.handle is None:
            self.handle = self._open()
        api_url, account_id, build_uuid = self.key
        meta = {
            "format": FORMAT,
            "api_url": api_url,
            "account_id": account_id,
            "build_uuid": build_uuid,
            "build": build_record(build),
            "lines": self.lines,
            "payload_bytes": self.written,
            "payload_sha256": self.digest.hexdigest(),
            "kept_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        data = json.dumps(meta).encode() + b"\n"
        self.handle.write(data + f"{len(data):010d}\n".encode())
        self.handle.close()
        self.handle = None
        final = self.store.directory / entry_name(*self.key)
        assert self.temporary is not None
        os.replace(self.temporary, final)
        self.temporary, self.open = None, False
        self.store.evict(keep=final)

    def discard(self) -> None:
        with self.lock:
            self._discard()

    def _discard(self) -> None:
        self.open = False
        if self.handle is not None:
            with contextlib.suppress(OSError):  # its last buffer may not fit on a full disk
                self.handle.close()
            self.handle = None
        if self.temporary is not None:
            with contextlib.suppress(OSError):
                self.temporary.unlink(missing_ok=True)
            self.temporary = None
