"""The local store of finished builds' logs (README, "Offline and repeated reads").

A stopped build's log never changes: the first complete read of it is kept, and later reads
print it with no request at all. One file an entry, named by the build and a digest of its API
URL and account (so a test API, the demo and the real one never mix):

    CFBL 2\\n                                 magic and format version
    the pages, a line each: its answer as the API sent it (line breaks made spaces), or a
    JSON array of [epoch, message] pairs
    metadata JSON\\n  its length in 10 digits\\n    build record, line count, payload length
                                             and SHA-256, when it was kept

Written to a private temporary file in the same folder, then renamed: a reader sees a whole
entry or none, and two writers of one entry leave one whole entry. An entry is verified (length
and checksum) before a line of it is printed; one that fails is deleted and the log is fetched
again. So it is not fsynced: an entry a crash left torn is fetched again, and a flush to disk
would buy nothing but cost every first read its time. The size is bounded; the least recently
read entries go first.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple

from ..errors import CliError
from ..models import Build, BuildStatus, LogPage, PageLines, Unusable, is_uuid

if TYPE_CHECKING:
    from .writing import EntryWriter

FORMAT = 2
MAGIC = b"CFBL 2\n"
SUFFIX = ".cfbl"


# The pages are kept as they came, not compressed: zlib at its fastest took ~60 ms of a
# 200,000-line first read of ~0.45 s here (most of the store's cost once the answers were no
# longer encoded again), and reading back inflated as much again. A log's size is bounded by
# the store's (`cache_max_mb`); a usual build's log is well under a megabyte.
CHUNK = 1 << 20


STALE_TEMPORARY = 24 * 3600.0  # a temporary file older than this was left by a crash


def entry_name(api_url: str, account_id: str, build_uuid: str) -> str:
    """The entry's file name; ValueError for a build UUID that could not be one."""
    if not is_uuid(build_uuid):
        raise ValueError(f"not a build UUID: {build_uuid!r}")
    digest = hashlib.sha256(f"{api_url}\n{account_id}".encode()).hexdigest()[:16]
    return f"{build_uuid}-{digest}{SUFFIX}"


def build_record(build: Build) -> dict[str, Any]:
    record = build._asdict()
    record["status"] = build.status.value
    return record


# Fields added to the build record after entries were first kept: an entry without them is read.
OPTIONAL = frozenset(Build._field_defaults)


def _build_from(record: Any) -> Build:
    if not isinstance(record, dict):
        raise ValueError("not a build record")
    fields = set(Build._fields)
    if set(record) - fields or fields - set(record) - OPTIONAL:
        raise ValueError("not a build record")
    return Build(**{**record, "status": BuildStatus(record["status"])})


class EntryInfo(NamedTuple):
    path: Path
    build_uuid: str
    account_id: str
    api_url: str
    worker_tag: str | None
    lines: int
    bytes: int
    kept_at: str


class Entry(NamedTuple):
    """A verified entry: its build record, and its pages, read back as they were kept."""

    build: Build
    lines: int
    path: Path
    payload: tuple[int, int]  # offset and length of the pages

    def pages(self) -> Iterator[PageLines]:
        pieces: list[bytes] = []  # of a record not yet whole: a page may span many chunks
        with self.path.open("rb") as handle:
            for chunk in _chunks(handle, *self.payload):
                if b"\n" not in chunk:
                    pieces.append(chunk)
                    continue
                first, *whole, last = chunk.split(b"\n")
                yield self._lines(b"".join([*pieces, first]))
                for record in whole:
                    yield self._lines(record)
                pieces = [last]
        rest = b"".join(pieces)
        if rest:
            yield self._lines(rest)

    def _lines(self, record: bytes) -> PageLines:
        """A record's lines, read as the network path reads them (an answer) or as encoded.
        Only a file written by something else holds one that cannot be read (its checksum
        says it is whole): that is an error naming the file, not a traceback."""
        try:
            value = json.loads(record)
        except ValueError as exc:
            raise _unusable(self.path, f"a page that is not JSON ({exc})") from None
        if type(value) is dict:  # an answer
            return LogPage.from_api(value.get("result"), unusable=self._unusable).lines
        return PageLines(value, self._unusable)

    def _unusable(self, exc: Unusable) -> CliError:
        return _unusable(self.path, f"an unusable line ({exc})")


def _unusable(path: Path, why: str) -> CliError:
    return CliError(
        f"the store's entry {path} holds {why}",
        "it was not written by cf-buildlogs; `cf-buildlogs cache clear` removes it",
    )


class Corrupt(Exception):
    """An entry that cannot be trusted: it is deleted and the log fetched again."""


def _chunks(handle: IO[bytes], start: int, length: int) -> Iterator[bytes]:
    """The `length` bytes from `start`, a megabyte at a time; Corrupt when the file ends first."""
    handle.seek(start)
    while length:
        chunk = handle.read(min(CHUNK, length))
        if not chunk:
            raise Corrupt("truncated")
        length -= len(chunk)
        yield chunk


def _metadata(handle: IO[bytes], size: int) -> tuple[dict[str, Any], int]:
    """The entry's metadata and where it starts; Corrupt when the frame is not whole."""
    if size < len(MAGIC) + 11:
        raise Corrupt("too short")
    handle.seek(0)
    if handle.read(len(MAGIC)) != MAGIC:
        raise Corrupt("not an entry of this format")
    handle.seek(size - 11)
    tail = handle.read(11)
    if not (tail[:10].isdigit() and tail[10:] == b"\n"):
        raise Corrupt("truncated")
    length = int(tail[:10])
    start = size - 11 - length
    if start < len(MAGIC):
        raise Corrupt("truncated")
    handle.seek(start)
    try:
        meta = json.loads(handle.read(length))
    except ValueError as exc:
        raise Corrupt("unreadable metadata") from exc
    if not isinstance(meta, dict):
        raise Corrupt("unreadable metadata")
    return meta, start


class Store:
    def __init__(
        self, directory: Path, max_bytes: int, note: Callable[[str], None] | None = None
    ) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.note = note or (lambda _text: None)

    # -- reading ---------------------------------------------------------------------------

    def unusable(self) -> str | None:
        """Why the store's folder must not be used, or None: it is not a folder, or it is
        another user's, or others may write in it (README, "Security"). A folder that does not
        exist yet is fine: it is made private when first written. Its mode is never changed."""
        try:
            info = os.stat(self.directory)
        except FileNotFoundError:
            return None
        except OSError as exc:
            return f"the store folder {self.directory} cannot be read ({exc.strerror})"
        if not stat.S_ISDIR(info.st_mode):
            return f"the store folder {self.directory} is not a folder"
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            return f"the store folder {self.directory} belongs to another user"
        if info.st_mode & 0o022:
            mode = stat.S_IMODE(info.st_mode)
            return f"others may write in the store folder {self.directory} (mode {mode:04o})"
        return None

    def read(self, api_url: str, account_id: str, build_uuid: str) -> Entry | None:
        """The kept build, verified; None when not kept, or kept in another format. An entry
        that fails its checks is deleted (a note under -v) and None returned."""
        try:
            path = self.directory / entry_name(api_url, account_id, build_uuid)
        except ValueError:
            return None
        try:
            kept = self._verified(path, (api_url, account_id, build_uuid))
        except FileNotFoundError:
            return None
        except (Corrupt, OSError, ValueError, KeyError, TypeError) as exc:
            self.note(f"store: {path.name} is unusable ({exc}); deleted, reading from the API")
            with contextlib.suppress(OSError):  # a folder that is no folder holds nothing
                path.unlink(missing_ok=True)
            return None
        if kept is not None:
            with contextlib.suppress(OSError):
                os.utime(path)  # the entry's mtime is when it was last read: evictions go by it
        return kept

    def _verified(self, path: Path, key: tuple[str, str, str]) -> Entry | None:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            meta, end = _metadata(handle, size)
            if meta.get("format") != FORMAT:
                return None  # another version's entry: not ours to read, nor to delete
            if (meta["api_url"], meta["account_id"], meta["build_uuid"]) != key:
                raise Corrupt("it belongs to another build")
            start, length = len(MAGIC), int(meta["payload_bytes"])
            if start + length != end:
                raise Corrupt("truncated")
            digest = hashlib.sha256()
            for chunk in _chunks(handle, start, length):
                digest.update(chunk)
            if digest.hexdigest() != meta["payload_sha256"]:
                raise Corrupt("checksum mismatch")
        build = _build_from(meta["build"])
        return Entry(build, int(meta["lines"]), path, (start, length))

    # -- writing ---------------------------------------------------------------------------

    def writer(self, api_url: str, account_id: str, build_uuid: str) -> EntryWriter:
        from .writing import EntryWriter

        return EntryWriter(self, api_url, account_id, build_uuid)

    def _make_directory(self) -> None:
        """The folder, made private if it is new; OSError when it may not be used (one that
        appeared since the command began is checked again)."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        problem = self.unusable()
        if problem is not None:
            raise OSError(problem)

    # -- the whole store -------------------------------------------------------------------

    def files(self) -> list[Path]:
        try:
            return [p for p in self.directory.iterdir() if p.suffix == SUFFIX]
        except FileNotFoundError:
            return []

    def entries(self) -> list[EntryInfo]:
        """Every entry of this format, newest kept first; unreadable ones are passed over."""
        found = []
        for path in self.files():
            try:
                with path.open("rb") as handle:
                    meta, _ = _metadata(handle, os.fstat(handle.fileno()).st_size)
                if meta.get("format") != FORMAT:
                    continue
                found.append(
                    EntryInfo(
                        path,
                        meta["build_uuid"],
                        meta["account_id"],
                        meta["api_url"],
                        meta["build"].get("worker_tag"),
                        int(meta["lines"]),
                        path.stat().st_size,
                        meta["kept_at"],
                    )
                )
            except (Corrupt, OSError, ValueError, KeyError, TypeError, AttributeError):
                continue
        return sorted(found, key=lambda e: e.kept_at, reverse=True)

    def remove(self, build_uuids: Sequence[str]) -> int:
        """Delete the entries of these builds (of any account), or all; how many went."""
        removed = 0
        for path in self.files():
            if not build_uuids or any(path.name.startswith(u + "-") for u in build_uuids):
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def evict(self, keep: Path | None = None) -> None:
        """Least recently read entries go until the store fits; crashed writers' leftovers too."""
        now = time.time()
        sized = []
        with contextlib.suppress(FileNotFoundError):
            for path in self.directory.iterdir():
                try:
                    info = path.stat()
                except FileNotFoundError:
                    continue
                if path.name.startswith(".tmp-"):
                    if now - info.st_mtime > STALE_TEMPORARY:
                        path.unlink(missing_ok=True)
                    continue
                if path.suffix == SUFFIX:
                    sized.append((info.st_mtime, path, info.st_size))
        total = sum(size for _, _, size in sized)
        for _, path, size in sorted(sized, key=lambda item: item[0]):
            if total <= self.max_bytes:
                break
            if path != keep:
                path.unlink(missing_ok=True)
                total -= size
