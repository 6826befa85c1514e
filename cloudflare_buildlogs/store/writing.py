"""Keeping a build's log as it is read: compressed into a private temporary file as the pages
come, made an entry of the store (atomically, verified) only once the whole log was read."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from ..models import EPOCH, MESSAGE, Build, LogLine
from .entries import FORMAT, LEVEL, MAGIC, Store, build_record, entry_name


class EntryWriter:
    """Keeps pages as they are read; `commit` makes them an entry, `discard` forgets them.
    Memory stays flat: pages are compressed into the temporary file as they come. A failure to
    write (a full disk, a folder that went away) drops the entry, with a note under -v: it
    never cuts the printed log short nor changes the exit status."""

    def __init__(self, store: Store, api_url: str, account_id: str, build_uuid: str) -> None:
        self.store = store
        self.key = (api_url, account_id, build_uuid)
        self.lines = 0
        self.written = 0
        self.digest = hashlib.sha256()
        self.deflate: zlib._Compress | None = zlib.compressobj(LEVEL)
        self.handle: IO[bytes] | None = None
        self.temporary: Path | None = None

    def _open(self) -> IO[bytes]:
        self.store._make_directory()
        fd, name = tempfile.mkstemp(prefix=".tmp-", dir=self.store.directory)  # mode 0600
        self.temporary = Path(name)
        handle = os.fdopen(fd, "wb")
        handle.write(MAGIC)
        return handle

    def add(self, lines: Sequence[LogLine]) -> None:
        if self.deflate is None or not lines:
            return
        try:
            if self.handle is None:
                self.handle = self._open()
            record = json.dumps(
                [(line[EPOCH], line[MESSAGE]) for line in lines], ensure_ascii=False
            )
            self._put(self.deflate.compress(record.encode() + b"\n"))
        except (OSError, ValueError) as exc:
            self._failed(exc)
            return
        self.lines += len(lines)

    def _failed(self, exc: Exception) -> None:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        self.store.note(f"store: build {self.key[2]} not kept ({reason})")
        self.discard()

    def _put(self, data: bytes) -> None:
        if not data or self.handle is None:
            return
        self.digest.update(data)
        self.written += len(data)
        self.handle.write(data)
        if self.written > self.store.max_bytes:  # bigger than the whole store: not kept
            self.discard()

    def commit(self, build: Build) -> None:
        """Make the kept pages an entry with the build's record, atomically, then keep the
        store within its size. Only for a stopped build whose whole log was read."""
        if self.deflate is None:
            return
        assert build.stopped and build.build_uuid == self.key[2]
        try:
            self._commit(build)
        except (OSError, ValueError) as exc:
            self._failed(exc)

    def _commit(self, build: Build) -> None:
        assert self.deflate is not None
        if self.handle is None:
            self.handle = self._open()
        self._put(self.deflate.flush())
        if self.handle is None:  # discarded as too big
            return
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
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        self.handle = None
        final = self.store.directory / entry_name(*self.key)
        assert self.temporary is not None
        os.replace(self.temporary, final)
        self.temporary, self.deflate = None, None
        self.store.evict(keep=final)

    def discard(self) -> None:
        self.deflate = None
        if self.handle is not None:
            with contextlib.suppress(OSError):  # its last buffer may not fit on a full disk
                self.handle.close()
            self.handle = None
        if self.temporary is not None:
            with contextlib.suppress(OSError):
                self.temporary.unlink(missing_ok=True)
            self.temporary = None
