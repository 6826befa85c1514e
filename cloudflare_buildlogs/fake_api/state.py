"""What the fake API knows: tokens, builds (finished or still running), faults to play,
and the shapes of its answers, faithful to the official schema.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from ..models import Trigger

BASE_PATH = "/client/v4"


DEMO_TOKEN = "demo-token-not-a-secret-0000"


DEMO_ACCOUNT = "0123456789abcdef0123456789abcdef"


DEMO_BUILD = "5b1d8f2e-7c3a-4e9b-a6d0-1f2e3d4c5b6a"


DEMO_FAILED_BUILD = "7e4a9c1d-2b3f-4a5e-8c6d-9f0a1b2c3d4e"


DEMO_WORKER_TAG = "a1b2c3d4e5f60718293a4b5c6d7e8f90"


START_EPOCH = 1_700_000_000


@dataclass
class Token:
    status: str = "active"  # active | disabled | expired
    account_owned: bool = False  # the Builds API rejects these with "Invalid token"
    can_read_builds: bool = True  # "Workers CI Read"
    can_read_scripts: bool = True  # "Workers Scripts Read"
    can_write_builds: bool = True  # "Workers CI Write": start, cancel, purge
    expires_on: str | None = None


@dataclass
class Live:
    """A build still going: after `queued_s` and `initializing_s` seconds it runs, showing
    `lines_per_s` of its lines a second, then stops with the build's outcome."""

    started: float
    queued_s: float = 0.0
    initializing_s: float = 0.0
    lines_per_s: float = 10.0
    # What the log endpoint answers once a reader has caught up: "cursor" hands back a cursor
    # to resume from, "none" hands back no cursor at all (both are undocumented possibilities).
    caught_up: str = "cursor"


@dataclass
class FakeBuild:
    uuid: str
    lines: Sequence[list[Any]] = field(default_factory=list)
    outcome: str = "success"
    worker_tag: str = DEMO_WORKER_TAG
    branch: str = "main"
    commit_hash: str = "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432"
    commit_message: str = "Update dependencies"
    trigger_source: str = "push"
    created_on: str = "2023-11-14T22:13:20Z"
    millis: bool = False  # send timestamps in milliseconds
    live: Live | None = None
    appears_at: float | None = None  # on the state's clock: unknown to the API before then
    stopped_on: str = "2023-11-14T22:15:03Z"  # when a build that is not live stopped
    preview_url: str | None = None  # given by "get build by UUID" only, once it stopped
    trigger_uuid: str | None = None  # None: the Worker's first trigger that takes the branch


@dataclass
class Fault:
    """Misbehave `times` times on requests whose path contains `path`, after `skip` of them.

    kinds: 429, 500, 502, 503, html502, drop, slow, malformed, unsuccessful (with `message`),
    endless, repeat-cursor, cursor-to-start (a page's cursor leads back to line 1); and for
    hostile answers: raw (`status`, `headers` and `body` as given), trickle (the whole answer
    a byte every `delay` seconds, headers too) and trickle-body (the headers at once, then the
    body a byte every `delay` seconds).
    """

    kind: str
    times: int = 1
    path: str = "/logs"
    skip: int = 0
    retry_after: str | None = "1"
    delay: float = 0.3
    message: str = "Internal processing error"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    # On a request that starts a build: play the fault after the build was started (an
    # answer lost on its way back: `drop`, `slow`, a 5xx), not instead of starting it.
    after: bool = False


@dataclass
class State:
    tokens: dict[str, Token] = field(default_factory=lambda: {DEMO_TOKEN: Token()})
    legacy_keys: dict[tuple[str, str], Token] = field(default_factory=dict)
    accounts: list[dict[str, str]] = field(
        default_factory=lambda: [{"id": DEMO_ACCOUNT, "name": "Demo account"}]
    )
    builds: dict[str, FakeBuild] = field(default_factory=dict)
    scripts: list[dict[str, str]] = field(default_factory=list)
    page_size: int = 1000
    latency: float = 0.0  # seconds added to every answer: a network's round trip
    faults: list[Fault] = field(default_factory=list)
    clock: Callable[[], float] = time.monotonic
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    # A Worker's triggers by its tag, as the API gives them; one not here has the default.
    triggers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # What the writes did, in order: (kind, trigger or build UUID, the request's body).
    writes: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    next_outcome: str = "success"  # how the next build started through the API ends
    # Serve a finished build's log pages from memory, encoded once (benchmarks: so that the
    # server's own time does not dilute what a client costs).
    from_memory: bool = False
    served: dict[tuple[str, int, int], bytes] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, build: FakeBuild) -> FakeBuild:
        self.builds[build.uuid] = build
        return build

    def visible(self) -> list[FakeBuild]:
        """The builds the API knows of now, oldest first."""
        now = self.clock()
        return [b for b in self.builds.values() if b.appears_at is None or b.appears_at <= now]

    def triggers_of(self, tag: str) -> list[dict[str, Any]]:
        return self.triggers.get(tag, default_triggers(tag))

    def trigger_of(self, build: FakeBuild) -> dict[str, Any]:
        """The trigger a build names: its own, or its Worker's first that takes its branch."""
        triggers = self.triggers_of(build.worker_tag) or default_triggers(build.worker_tag)
        for trigger in triggers:
            if trigger["trigger_uuid"] == build.trigger_uuid:
                return trigger
        taking = [t for t in triggers if Trigger.from_api(t).takes(build.branch)]
        return (taking or triggers)[0]

    def find_trigger(self, trigger_uuid: str) -> dict[str, Any] | None:
        """A trigger by its UUID, among the triggers of every Worker the API knows."""
        tags = {b.worker_tag for b in self.builds.values()}
        tags.update(s["tag"] for s in self.scripts)
        tags.update(self.triggers)
        for tag in sorted(tags):
            for trigger in self.triggers_of(tag):
                if trigger["trigger_uuid"] == trigger_uuid:
                    return trigger
        return None

    def json_of(self, build: FakeBuild, now: float) -> dict[str, Any]:
        return build_json(build, now, self.trigger_of(build))

    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.path in path and fault.times > 0:
                    if fault.skip > 0:
                        fault.skip -= 1
                        continue
                    fault.times -= 1
                    return fault
        return None


def build_status(build: FakeBuild, now: float) -> tuple[str, int]:
    """(status, number of lines visible) of a build at `now`."""
    live = build.live
    if live is None:
        return "stopped", len(build.lines)
    elapsed = now - live.started
    if elapsed < live.queued_s:
        return "queued", 0
    if elapsed < live.queued_s + live.initializing_s:
        return "initializing", 0
    shown = int((elapsed - live.queued_s - live.initializing_s) * live.lines_per_s)
    if shown >= len(build.lines):
        return "stopped", len(build.lines)
    return "running", shown


def _times(build: FakeBuild, now: float) -> tuple[str, str]:
    """(running_on, stopped_on): fixed for a finished build; for a live one, the wall-clock
    moments its phases end, so a followed build's duration is the one it was played for."""
    live = build.live
    if live is None:
        return build.created_on, build.stopped_on
    running = live.started + live.queued_s + live.initializing_s
    stopped = running + len(build.lines) / live.lines_per_s

    def wall(moment: float) -> str:
        instant = datetime.now(timezone.utc) - timedelta(seconds=now - moment)
        return instant.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    return wall(running), wall(stopped)


def build_json(
    build: FakeBuild, now: float, trigger: dict[str, Any] | None = None
) -> dict[str, Any]:
    trigger = trigger or default_triggers(build.worker_tag)[0]
    status, _ = build_status(build, now)
    stopped = status == "stopped"
    running_on, stopped_on = _times(build, now)
    return {
        "build_uuid": build.uuid,
        "status": status,
        "build_outcome": build.outcome if stopped else None,
        "created_on": build.created_on,
        "initializing_on": build.created_on,
        "running_on": running_on if status in ("running", "stopped") else None,
        "stopped_on": stopped_on if stopped else None,
        "modified_on": build.created_on,
        "pull_request": None,
        "trigger": {
            key: trigger.get(key)
            for key in (
                "external_script_id",
                "trigger_name",
                "trigger_uuid",
                "build_command",
                "deploy_command",
                "root_directory",
            )
        },
        "build_trigger_metadata": {
            "build_trigger_source": build.trigger_source,
            "branch": build.branch,
            "commit_hash": build.commit_hash,
            "commit_message": build.commit_message,
            "author": "dev@example.com",
            "repo_name": "my-worker",
            "provider_type": "github",
        },
    }


DEFAULT_TRIGGER = "c9d8e7f6-a5b4-4c3d-9e2f-1a0b9c8d7e6f"  # the demo Worker's production one
PREVIEW_TRIGGER = "d0e1f2a3-b4c5-4d6e-8f70-8192a3b4c5d6"


def default_triggers(tag: str) -> list[dict[str, Any]]:
    """A Worker's triggers as the dashboard makes them: production builds main and deploys;
    preview builds every other branch and uploads a version. The demo Worker's have fixed
    UUIDs; any other Worker's are its own, derived from its tag."""
    if tag == DEMO_WORKER_TAG:
        production, preview = DEFAULT_TRIGGER, PREVIEW_TRIGGER
    else:
        production, preview = _uuid_of(f"production {tag}"), _uuid_of(f"preview {tag}")
    common = {
        "external_script_id": tag,
        "root_directory": "/",
        "build_command": "npm run build",
        "build_caching_enabled": True,
        "path_includes": ["*"],
        "path_excludes": [],
        "build_token_name": "my-worker build token",
        "build_token_uuid": "0a1b2c3d-4e5f-4061-8293-a4b5c6d7e8f9",
        "created_on": "2023-11-01T10:00:00Z",
        "modified_on": "2023-11-01T10:00:00Z",
    }
    return [
        {
            **common,
            "trigger_uuid": production,
            "trigger_name": "Deploy default",
            "branch_includes": ["main"],
            "branch_excludes": [],
            "deploy_command": "npx wrangler deploy",
        },
        {
            **common,
            "trigger_uuid": preview,
            "trigger_name": "Preview builds",
            "branch_includes": ["*"],
            "branch_excludes": ["main"],
            "deploy_command": "npx wrangler versions upload",
        },
    ]


def _uuid_of(text: str) -> str:
    digest = hashlib.sha256(text.encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-8{digest[17:20]}-{digest[20:32]}"


def encode_cursor(line: int) -> str:
    raw = json.dumps({"line": line, "timestamp": START_EPOCH}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> int | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return int(data["line"])
    except (ValueError, KeyError, TypeError):
        return None


def log_page(build: FakeBuild, start: int, page_size: int, now: float) -> dict[str, Any]:
    status, visible = build_status(build, now)
    end = min(start + page_size, visible)
    lines = build.lines[start:end] if end > start else []
    if build.millis:
        lines = [[ts * 1000 if isinstance(ts, (int, float)) else ts, *rest] for ts, *rest in lines]
    result: dict[str, Any] = {"lines": lines}
    if end < visible:
        result.update(cursor=encode_cursor(end), truncated=True)
    elif status != "stopped" and build.live is not None and build.live.caught_up == "cursor":
        result.update(cursor=encode_cursor(end), truncated=False)
    else:
        result["truncated"] = False
    return result


def envelope(
    result: Any = None,
    *,
    errors: Sequence[dict[str, Any]] = (),
    result_info: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "success": not errors,
        "errors": list(errors),
        "messages": [],
        "result": result,
    }
    if result_info is not None:
        body["result_info"] = result_info
    return body


def paged(items: Sequence[Any], page: int, per_page: int) -> dict[str, Any]:
    """One page of a page-numbered list, with the `result_info` Cloudflare gives it."""
    chunk = list(items[(page - 1) * per_page : page * per_page])
    pages = max(1, -(-len(items) // per_page))
    info = {"page": page, "per_page": per_page, "count": len(chunk), "total_count": len(items)}
    return envelope(chunk, result_info={**info, "total_pages": pages})
