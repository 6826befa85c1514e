"""The fake API's writes (README, "Acting on builds"): start a build on a trigger, purge a
trigger's build cache, cancel a build; each needs "Workers CI Write", as Cloudflare's do.

A started build is played live from the queue, with the demo's log (the failed one when the
state's `next_outcome` is a failure), its timestamps those of the moment.
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from .demo import _DEMO_FAILED_LOG, _DEMO_LOG
from .state import FakeBuild, Live, State, Token, build_status, envelope

# Which write a request is: its method and path (after /accounts/ACCOUNT/builds).
ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(r"/triggers/(?P<trigger>[^/]+)/builds"), "start_build"),
    ("POST", re.compile(r"/triggers/(?P<trigger>[^/]+)/purge_build_cache"), "purge"),
    ("PUT", re.compile(r"/builds/(?P<uuid>[^/]+)/cancel"), "cancel"),
]


class Refused(Exception):
    """A write refused: its HTTP status, error code and message."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def serve_write(
    state: State, token: Token, method: str, path: str, body: bytes
) -> dict[str, Any] | None:
    """The envelope of a write's success; None when no write route is `path`; or Refused."""
    for verb, pattern, name in ROUTES:
        match = pattern.fullmatch(path)
        if match and verb == method:
            if not token.can_write_builds:
                raise Refused(403, 10000, "Authentication error")
            with state.lock:
                if name == "cancel":
                    return cancel(state, match["uuid"])
                if name == "purge":
                    return purge(state, match["trigger"])
                return start_build(state, body, match["trigger"])
    return None


def _now_text() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def start_build(state: State, body: bytes, trigger: str) -> dict[str, Any]:
    found = state.find_trigger(trigger)
    if found is None:
        raise Refused(404, 12000, "Trigger not found")
    try:
        asked = json_object(body)
    except ValueError:
        raise Refused(400, 12002, "Invalid request body") from None
    branch, commit = asked.get("branch"), asked.get("commit_hash")
    if not (isinstance(branch, str) and branch) and not (isinstance(commit, str) and commit):
        raise Refused(400, 12002, "branch or commit_hash is required")
    failed = state.next_outcome != "success"
    start = int(time.time())
    text = _DEMO_FAILED_LOG if failed else _DEMO_LOG
    lines = [[start + number // 2, line] for number, line in enumerate(text.splitlines())]
    build = FakeBuild(
        str(uuid.uuid4()),
        lines,
        worker_tag=found["external_script_id"],
        branch=branch if isinstance(branch, str) and branch else "main",
        commit_hash=commit if isinstance(commit, str) and commit else "0" * 40,
        commit_message="Started from the API",
        trigger_source="api",
        created_on=_now_text(),
        live=Live(started=state.clock(), queued_s=0.5, lines_per_s=40),
        trigger_uuid=trigger,
        outcome=state.next_outcome,
    )
    state.add(build)
    state.writes.append(("start_build", trigger, asked))
    return envelope(state.json_of(build, state.clock()))


def purge(state: State, trigger: str) -> dict[str, Any]:
    if state.find_trigger(trigger) is None:
        raise Refused(404, 12000, "Trigger not found")
    state.writes.append(("purge", trigger, {}))
    return envelope(None)


def cancel(state: State, uuid: str) -> dict[str, Any]:
    build = state.builds.get(uuid.lower())
    if build is None or build not in state.visible():
        raise Refused(404, 12000, "Not found")
    now = state.clock()
    status, shown = build_status(build, now)
    if status == "stopped":
        raise Refused(400, 12006, "Build is not in a cancellable state")
    build.lines = list(build.lines[:shown])
    build.outcome, build.live, build.stopped_on = "cancelled", None, _now_text()
    state.writes.append(("cancel", build.uuid, {}))
    result = {
        "build_uuid": build.uuid,
        "build_outcome": "cancelled",
        "stopped_on": build.stopped_on,
    }
    return envelope(result)


def json_object(body: bytes) -> dict[str, Any]:
    import json

    value = json.loads(body or b"{}")
    if not isinstance(value, dict):
        raise ValueError("not an object")
    return value
