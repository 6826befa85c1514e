"""The API's data as typed values, each parsed from the wire in exactly one place.

Lenient about what the schema leaves open (every field of a build is optional, a log line may
be any pair of numbers and strings), precise about what the tool needs. Imports nothing of
the package.
"""

from __future__ import annotations

import enum
import json
import math
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any, Final, NamedTuple, TypeGuard

# Above this magnitude an epoch number is taken as milliseconds (1e11 s is the year 5138).
MILLIS_THRESHOLD = 1e11
# The range of instants a timestamp can be shown as (years 1 to 9999).
_MIN_SECONDS = -62_135_596_800
_MAX_SECONDS = 253_402_300_799
# JSON nested deeper than this in a field the tool reads is an unusable answer.
MAX_DEPTH = 64

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_HEX32 = re.compile(r"[0-9a-f]{32}")


class Unusable(ValueError):
    """A value from outside that cannot be used as it is (too deep, of the wrong shape)."""


def is_uuid(value: object) -> bool:
    """A build or trigger UUID as the API writes them: canonical, lower case."""
    return isinstance(value, str) and _UUID.fullmatch(value) is not None


def is_hex32(value: object) -> bool:
    """An account id or a Worker tag: 32 lower-case hex digits."""
    return isinstance(value, str) and _HEX32.fullmatch(value) is not None


def _depth(value: Any) -> int:
    """How deeply `value` nests, counted without recursion, up to MAX_DEPTH + 1."""
    depth, level = 0, [value]
    while level and depth <= MAX_DEPTH:
        depth += 1
        level = [
            item
            for each in level
            if isinstance(each, (list, dict))
            for item in (each.values() if isinstance(each, dict) else each)
            if isinstance(item, (list, dict))
        ]
    return depth + (1 if level else 0)


# One log line: (epoch, seconds, subsecond, message), read by unpacking.
# `epoch` is the timestamp number exactly as sent (None when it was not a number), `seconds` the
# instant it names (None when unusable), `subsecond` whether the API gave more precision than a
# second, and `message` the text (a number becomes its decimal string).
# A plain tuple, not a class: one is made for every line of every log, and a tuple display is
# the cheapest object Python builds (a NamedTuple or dataclass costs 3-5x more per line, which
# a 200,000-line log feels).
LogLine = tuple[int | float | None, float | None, bool, str]
# A line once its place is known: LogLine's four fields, then its 1-based number in the log and
# the name of its phase (README, "When a build fails").
Tracked = tuple[int | float | None, float | None, bool, str, int, str]
# What a writer takes: lines as read, or tracked (numbered, with their phase).
Line = LogLine | Tracked
# A line's fields by name: `line[MESSAGE]`; NUMBER and PHASE are a tracked line's only.
EPOCH: Final = 0
SECONDS: Final = 1
SUBSECOND: Final = 2
MESSAGE: Final = 3
NUMBER: Final = 4
PHASE: Final = 5


def _message(value: Any) -> str:
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if _depth(value) > MAX_DEPTH:
        raise Unusable(f"a log line nested deeper than {MAX_DEPTH} levels")
    return json.dumps(value, ensure_ascii=False)


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def parse_line(raw: Any) -> LogLine:
    """Turn one element of `result.lines` into a LogLine, whatever its shape."""
    if type(raw) is list:
        if len(raw) == 1 and not _is_number(raw[0]):
            stamp, text = None, raw[0]
        else:
            stamp = raw[0] if raw else None
            text = raw[1] if len(raw) == 2 else (raw[1:] if len(raw) > 2 else "")
    else:
        stamp, text = None, raw
    if not _is_number(stamp):
        return (None, None, False, _message(text))
    number: float = stamp
    try:
        seconds = number / 1000 if abs(number) > MILLIS_THRESHOLD else number
    except OverflowError:  # an integer of hundreds of digits: no instant at all
        return (stamp, None, False, _message(text))
    subsecond = type(number) is float or seconds != number
    usable = math.isfinite(seconds) and _MIN_SECONDS <= seconds <= _MAX_SECONDS
    return (stamp, seconds if usable else None, subsecond, _message(text))


def parse_lines(raw_lines: Any) -> list[LogLine]:
    """Parse a page's `lines`; anything but a list is an empty page.

    The usual line, `[whole seconds, "text"]`, takes a short path: this runs once for every
    line of every log, and the general `parse_line` is several times slower.
    """
    if type(raw_lines) is not list:
        return []
    lines: list[LogLine] = []
    append = lines.append
    for raw in raw_lines:
        try:
            stamp, text = raw
        except (TypeError, ValueError):
            append(parse_line(raw))
            continue
        if type(stamp) is int and type(text) is str and 0 <= stamp <= MILLIS_THRESHOLD:
            append((stamp, stamp, False, text))
        else:
            append(parse_line(raw))
    return lines


Failed = Callable[[Unusable], Exception] | None  # an unusable line as its source's error


class PageLines:
    """A page's `lines` as the API sent them (`raw`: a list, else none), parsed into LogLines
    on first use (`parsed`). The text writer formats the usual page from `raw` directly, so a
    plain read makes no tuple for a line it only prints (README, "Performance"). A line that
    cannot be used is found when the page is parsed: `unusable` makes it its source's error."""

    __slots__ = ("_parsed", "raw", "unusable")

    def __init__(self, raw: Any, unusable: Failed = None) -> None:
        self.raw: list[Any] = raw if type(raw) is list else []
        self.unusable = unusable
        self._parsed: list[LogLine] | None = None

    @property
    def parsed(self) -> list[LogLine]:
        if self._parsed is None:
            try:
                self._parsed = parse_lines(self.raw)
            except Unusable as exc:
                if self.unusable is None:
                    raise
                raise self.unusable(exc) from None
        return self._parsed

    def __len__(self) -> int:  # a raw line is one LogLine
        return len(self.raw)

    def __iter__(self) -> Iterator[LogLine]:
        return iter(self.parsed)

    def __getitem__(self, lines: slice) -> PageLines:  # some of the lines, from one source
        return PageLines(self.raw[lines], self.unusable)

    def __eq__(self, other: object) -> bool:  # the same lines sent: the same page
        return isinstance(other, PageLines) and self.raw == other.raw


class BuildStatus(str, enum.Enum):
    QUEUED = "queued"
    INITIALIZING = "initializing"
    RUNNING = "running"
    STOPPED = "stopped"
    UNKNOWN = "unknown"


SUCCESSFUL_OUTCOMES = frozenset({"success", "skipped"})


def parse_time(value: str | None) -> float | None:
    """An RFC 3339 time as epoch seconds, or None when absent or unreadable."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return when.timestamp()
    except (ValueError, OverflowError):
        return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _texts(result: Any, *keys: str) -> list[str]:
    """The text fields `keys` of an object, "" where absent or not text."""
    data = _mapping(result)
    return [_text(data.get(key)) or "" for key in keys]


class Build(NamedTuple):
    """The fields of a build the tool shows or decides on; all optional but the uuid."""

    build_uuid: str
    status: BuildStatus
    outcome: str | None
    created_on: str | None
    running_on: str | None
    stopped_on: str | None
    worker_tag: str | None
    trigger_name: str | None
    branch: str | None
    commit_hash: str | None
    commit_message: str | None
    trigger_source: str | None
    # "Get build by UUID" gives it once the build made a preview; added after the store's
    # first entries, which lack it (so it has a default).
    preview_url: str | None = None
    # The trigger that made it, which `rerun` starts again; also added after the first entries.
    trigger_uuid: str | None = None

    @property
    def stopped(self) -> bool:
        return self.status is BuildStatus.STOPPED

    @property
    def succeeded(self) -> bool:
        return self.outcome in SUCCESSFUL_OUTCOMES

    @property
    def duration(self) -> float | None:
        """Seconds from start (or creation) to stop, when both are known."""
        start = parse_time(self.running_on or self.created_on)
        stop = parse_time(self.stopped_on)
        return None if start is None or stop is None else max(0.0, stop - start)

    @classmethod
    def from_api(cls, result: Any) -> Build:
        data = _mapping(result)
        trigger = _mapping(data.get("trigger"))
        meta = _mapping(data.get("build_trigger_metadata"))
        try:
            status = BuildStatus(data.get("status"))
        except ValueError:
            status = BuildStatus.UNKNOWN
        return cls(
            build_uuid=_text(data.get("build_uuid")) or "",
            status=status,
            outcome=_text(data.get("build_outcome")),
            created_on=_text(data.get("created_on")),
            running_on=_text(data.get("running_on")),
            stopped_on=_text(data.get("stopped_on")),
            worker_tag=_text(trigger.get("external_script_id")),
            trigger_name=_text(trigger.get("trigger_name")),
            branch=_text(meta.get("branch")),
            commit_hash=_text(meta.get("commit_hash")),
            commit_message=_text(meta.get("commit_message")),
            trigger_source=_text(meta.get("build_trigger_source")),
            preview_url=_text(data.get("preview_url")),
            trigger_uuid=_text(trigger.get("trigger_uuid")),
        )


class LogPage(NamedTuple):
    """One page of the log endpoint."""

    lines: PageLines
    cursor: str | None
    truncated: bool
    body: bytes = b""  # the whole answer as the API sent it, when known (the store keeps it)

    @classmethod
    def from_api(cls, result: Any, body: bytes = b"", unusable: Failed = None) -> LogPage:
        """The page `result` describes (`unusable`: see PageLines)."""
        data = _mapping(result)
        return cls(
            lines=PageLines(data.get("lines"), unusable),
            cursor=_text(data.get("cursor")),
            truncated=data.get("truncated") is True,
            body=body,
        )


def _words(value: Any) -> tuple[str, ...]:
    """A list of text fields (branch or path patterns); anything else is none."""
    items = value if isinstance(value, list) else []
    return tuple(item for item in items if isinstance(item, str) and item)


class Trigger(NamedTuple):
    """What makes a Worker build: a trigger's branch and path rules, folder and commands.
    Its build token and variables are never read, so they can never be shown."""

    trigger_uuid: str
    trigger_name: str
    branch_includes: tuple[str, ...]
    branch_excludes: tuple[str, ...]
    path_includes: tuple[str, ...]
    path_excludes: tuple[str, ...]
    root_directory: str | None
    build_command: str | None
    deploy_command: str | None
    build_caching_enabled: bool | None

    def takes(self, branch: str) -> bool:
        """Whether a push to `branch` builds: it matches a pattern of `branch_includes`
        (none, or `*`, is any) and none of `branch_excludes`."""
        from fnmatch import fnmatchcase

        includes = self.branch_includes or ("*",)
        if not any(fnmatchcase(branch, pattern) for pattern in includes):
            return False
        return not any(fnmatchcase(branch, pattern) for pattern in self.branch_excludes)

    @classmethod
    def from_api(cls, result: Any) -> Trigger:
        data = _mapping(result)
        uuid, name = _texts(data, "trigger_uuid", "trigger_name")
        caching = data.get("build_caching_enabled")
        return cls(
            trigger_uuid=uuid,
            trigger_name=name,
            branch_includes=_words(data.get("branch_includes")),
            branch_excludes=_words(data.get("branch_excludes")),
            path_includes=_words(data.get("path_includes")),
            path_excludes=_words(data.get("path_excludes")),
            root_directory=_text(data.get("root_directory")),
            build_command=_text(data.get("build_command")),
            deploy_command=_text(data.get("deploy_command")),
            build_caching_enabled=caching if isinstance(caching, bool) else None,
        )


class Script(NamedTuple):
    """A Worker: `name` is what people call it, `tag` the immutable id the Builds API wants."""

    name: str
    tag: str

    @classmethod
    def from_api(cls, result: Any) -> Script:
        name, tag = _texts(result, "id", "tag")
        return cls(name=name, tag=tag)


class TokenInfo(NamedTuple):
    """What `/user/tokens/verify` says of a token (nothing of its permissions)."""

    status: str
    expires_on: str | None

    @classmethod
    def from_api(cls, result: Any) -> TokenInfo:
        data = _mapping(result)
        return cls(
            status=_text(data.get("status")) or "unknown",
            expires_on=_text(data.get("expires_on")),
        )


class Account(NamedTuple):
    id: str
    name: str

    @classmethod
    def from_api(cls, result: Any) -> Account:
        account_id, name = _texts(result, "id", "name")
        return cls(id=account_id, name=name)


class Credentials(NamedTuple):
    """A token, or the legacy email + global API key; `source` says where it came from."""

    source: str
    token: str | None = None
    email: str | None = None
    api_key: str | None = None

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.token, self.api_key) if s)
