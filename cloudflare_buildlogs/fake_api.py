"""A fake Cloudflare API: a real HTTP server on 127.0.0.1, faithful to the official schema.

Serves the endpoints cf-buildlogs uses, checks credentials like Cloudflare does, pages logs
with an opaque cursor, plays builds that are still running, and misbehaves on request (429,
5xx, an HTML error page, dropped connections, slow or malformed answers, `success: false`,
endless or looping cursors). The test suite, the benchmark and `cf-buildlogs demo` run on it.
Standard library only.

    python -m cloudflare_buildlogs.fake_api --lines 200000   # serve a big build by hand
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, overload
from urllib.parse import parse_qs, urlsplit

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
    expires_on: str | None = None


class GeneratedLines(Sequence[list[Any]]):
    """A long log made on demand, so a million-line build costs no memory up front."""

    def __init__(self, count: int, start: int = START_EPOCH, per_second: int = 20) -> None:
        self.total, self.start, self.per_second = count, start, per_second

    def __len__(self) -> int:
        return self.total

    @overload
    def __getitem__(self, index: int) -> list[Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[list[Any]]: ...
    def __getitem__(self, index: int | slice) -> list[Any] | list[list[Any]]:
        if isinstance(index, slice):
            return [self._line(i) for i in range(*index.indices(self.total))]
        if not -self.total <= index < self.total:
            raise IndexError(index)
        return self._line(index % self.total)

    def _line(self, i: int) -> list[Any]:
        return [self.start + i // self.per_second, f"step {i}: compiled module {i % 97} [ok]"]


class RealisticLines(GeneratedLines):
    """A long log shaped like a real Workers build's, for benchmarks: plain npm, esbuild and
    wrangler lines mostly; ANSI colour on one line in ten (so every page has some);
    `[brackets]`, emoji and other non-ASCII text; a long line of 2-10 KB every thousand; a
    carriage return inside a line (a progress bar) every two hundred; runs of a repeated line;
    and words like `errorHandler` that an error filter must not be fooled by."""

    def _line(self, i: int) -> list[Any]:
        stamp = self.start + i // self.per_second
        return [stamp, self._text(i)]

    @staticmethod
    def _text(i: int) -> str:
        module = i % 97
        if i % 10 == 3:
            if i % 30 == 3:
                return (
                    "\x1b[33m▲ \x1b[43;33m[\x1b[43;30mWARNING\x1b[43;33m]\x1b[0m "
                    f'\x1b[1mDuplicate key "k{module}" in object literal\x1b[0m'
                )
            return f"\x1b[32m✓\x1b[39m \x1b[2m{i} modules transformed.\x1b[22m"
        if i % 1000 == 500:
            return "var a=" + "function(e){return e&&e.__esModule?e:{default:e}};" * (40 + i % 160)
        if i % 200 == 50:
            return "[=====          ] 25%\r[==========     ] 50%\r[===============] 100%"
        if i % 100 >= 90:
            return (
                "npm warn deprecated glob@7.2.3: Glob versions prior to v9 are no longer supported"
            )
        if i % 97 == 13:
            return f"  dist/errorHandler-{module}.js  2.1 kB │ gzip: 0.9 kB"
        if i % 25 == 11:
            return f"⛅️ wrangler 4.20.0 — bündle für {module} Ziele erstellt ✨ (¥{i % 1000})"
        if i % 7 == 5:
            return f"[webpack] asset chunk-{module}.js {module * 1.7:.1f} KiB [emitted] [minimized]"
        size = f"{i % 50 + 1}.{i % 10} kB │ gzip: {i % 9 + 1}.2 kB"
        return f"  src/components/Module{module}.tsx  {size}"


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


@dataclass
class Fault:
    """Misbehave `times` times on requests whose path contains `path`, after `skip` of them.

    kinds: 429, 500, 502, 503, html502, drop, slow, malformed, unsuccessful (with `message`),
    endless, repeat-cursor; and for hostile answers: raw (`status`, `headers` and `body` as
    given), trickle (the whole answer a byte every `delay` seconds, headers too) and
    trickle-body (the headers at once, then the body a byte every `delay` seconds).
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
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, build: FakeBuild) -> FakeBuild:
        self.builds[build.uuid] = build
        return build

    def visible(self) -> list[FakeBuild]:
        """The builds the API knows of now, oldest first."""
        now = self.clock()
        return [b for b in self.builds.values() if b.appears_at is None or b.appears_at <= now]

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


# -- what a build looks like at a moment -------------------------------------------------


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


def build_json(build: FakeBuild, now: float) -> dict[str, Any]:
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
            "external_script_id": build.worker_tag,
            "trigger_name": "Deploy default",
            "trigger_uuid": "c9d8e7f6-a5b4-4c3d-9e2f-1a0b9c8d7e6f",
            "build_command": "npm run build",
            "deploy_command": "npx wrangler deploy",
            "root_directory": "/",
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


# -- HTTP --------------------------------------------------------------------------------


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


class Reply(Exception):
    """An answer other than success, raised from deep in a route."""

    def __init__(self, status: int, code: int | None, message: str) -> None:
        super().__init__(message)
        error: dict[str, Any] = {"message": message}
        if code is not None:
            error["code"] = code
        self.status, self.body = status, envelope(errors=[error])


_ROUTES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"/accounts"), "accounts"),
    (re.compile(r"/user/tokens/verify"), "verify"),
    (re.compile(r"/accounts/(?P<acct>[^/]+)/builds/builds/latest"), "latest"),
    (re.compile(r"/accounts/(?P<acct>[^/]+)/builds/builds/(?P<uuid>[^/]+)"), "build"),
    (re.compile(r"/accounts/(?P<acct>[^/]+)/builds/builds/(?P<uuid>[^/]+)/logs"), "logs"),
    (
        re.compile(r"/accounts/(?P<acct>[^/]+)/builds/workers/(?P<tag>[^/]+)/builds"),
        "worker_builds",
    ),
    (re.compile(r"/accounts/(?P<acct>[^/]+)/workers/scripts"), "scripts"),
    (re.compile(r"/accounts/(?P<acct>[^/]+)/builds/account/limits"), "limits"),
]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else ~44 ms a response on keep-alive (Nagle vs ACKs)
    server: FakeServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        state = self.server.state
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        with state.lock:
            state.requests.append(("GET", parts.path, dict(self.headers.items())))
        if state.latency:
            time.sleep(state.latency)
        fault = state.take_fault(parts.path)
        if fault is not None and self._misbehave(fault):
            return
        try:
            status, body = self._route(parts.path, query, fault)
        except Reply as reply:
            status, body = reply.status, reply.body
        self._send(status, json.dumps(body).encode())

    def _send(
        self,
        status: int,
        data: bytes,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _misbehave(self, fault: Fault) -> bool:
        """Answer as the fault says; False when the request should then be served as usual."""
        kind = fault.kind
        if kind == "slow":
            time.sleep(fault.delay)
            return False
        if kind == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return True
        if kind == "html502":
            page = b"<html><body><h1>502 Bad Gateway</h1>cloudflare</body></html>"
            self._send(502, page, "text/html")
        elif kind == "malformed":
            self._send(200, b'{"success": true, "errors": [], "result": {"lines": [[17')
        elif kind == "unsuccessful":
            body = envelope(errors=[{"code": 10001, "message": fault.message}])
            self._send(200, json.dumps(body).encode())
        elif kind == "raw":
            self._send(fault.status, fault.body, headers=fault.headers)
        elif kind in ("trickle", "trickle-body"):
            self._trickle(fault)
        elif kind in ("429", "500", "502", "503"):
            headers = (
                {"Retry-After": fault.retry_after} if kind == "429" and fault.retry_after else {}
            )
            message = "Rate limited" if kind == "429" else "Service temporarily unavailable"
            body = envelope(
                errors=[{"code": 10429 if kind == "429" else 10500, "message": message}]
            )
            self._send(int(kind), json.dumps(body).encode(), headers=headers)
        else:
            return False  # endless / repeat-cursor shape a served page instead
        return True

    def _trickle(self, fault: Fault) -> None:
        body = fault.body or json.dumps(envelope({"lines": []})).encode()
        head = (
            f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        slow = head + body if fault.kind == "trickle" else body
        if fault.kind == "trickle-body":
            self.wfile.write(head)
        self.close_connection = True
        try:
            for index in range(len(slow)):
                self.wfile.write(slow[index : index + 1])
                self.wfile.flush()
                time.sleep(fault.delay)
        except OSError:  # the client gave up: as it should
            pass

    def _route(
        self, path: str, query: dict[str, str], fault: Fault | None
    ) -> tuple[int, dict[str, Any]]:
        if not path.startswith(BASE_PATH):
            raise Reply(404, 7000, "No route for that URI")
        path = path[len(BASE_PATH) :]
        for pattern, name in _ROUTES:
            match = pattern.fullmatch(path)
            if match:
                args = match.groupdict()
                token = self._token(builds=name not in ("accounts", "verify"))
                if "acct" in args:
                    self._check_account(args.pop("acct"))
                handler = getattr(self, f"route_{name}")
                return 200, handler(token=token, query=query, fault=fault, **args)
        raise Reply(404, 7000, "No route for that URI")

    def _token(self, builds: bool) -> Token:
        state = self.server.state
        auth = self.headers.get("Authorization", "")
        email, key = self.headers.get("X-Auth-Email"), self.headers.get("X-Auth-Key")
        if auth.startswith("Bearer "):
            token = state.tokens.get(auth[len("Bearer ") :])
        elif email and key:
            token = state.legacy_keys.get((email, key))
        elif auth or email or key:
            raise Reply(400, 6003, "Invalid request headers")
        else:
            raise Reply(401, 12005, "Missing token from authorization header")
        if token is None:
            raise Reply(401, 10000, "Authentication error")
        if builds and token.account_owned:
            raise Reply(401, None, "Invalid token")
        if builds and token.status != "active":
            raise Reply(401, 9109, "Invalid access token")
        return token

    def _check_account(self, account: str) -> None:
        if not any(a["id"] == account for a in self.server.state.accounts):
            raise Reply(
                404,
                7003,
                "Could not route to /accounts/..., perhaps your object identifier is invalid?",
            )

    def _build(self, uuid: str, token: Token) -> FakeBuild:
        if not token.can_read_builds:
            raise Reply(403, 10000, "Authentication error")
        build = self.server.state.builds.get(uuid.lower())
        if build is None or build not in self.server.state.visible():
            raise Reply(404, 12000, "Not found")
        return build

    # The routes: each returns the envelope of a success, or raises Reply.

    def route_accounts(self, token: Token, query: dict[str, str], **_: Any) -> dict[str, Any]:
        accounts = self.server.state.accounts
        page, per_page = int(query.get("page", 1)), int(query.get("per_page", 20))
        return paged(accounts, page, per_page)

    def route_verify(self, token: Token, **_: Any) -> dict[str, Any]:
        result: dict[str, Any] = {"id": "ed17574386854bf78a67040be0a770b0", "status": token.status}
        if token.expires_on:
            result["expires_on"] = token.expires_on
        return envelope(result)

    def route_build(self, token: Token, uuid: str, **_: Any) -> dict[str, Any]:
        build = self._build(uuid, token)
        return envelope(build_json(build, self.server.state.clock()))

    def route_logs(
        self, token: Token, uuid: str, query: dict[str, str], fault: Fault | None, **_: Any
    ) -> dict[str, Any]:
        build = self._build(uuid, token)
        state = self.server.state
        start = 0
        if "cursor" in query:
            decoded = decode_cursor(query["cursor"])
            if decoded is None:
                raise Reply(400, 12002, "Invalid cursor")
            start = decoded
        if fault is not None and fault.kind == "endless":
            return envelope({"lines": [], "cursor": encode_cursor(start + 1), "truncated": True})
        page = log_page(build, start, state.page_size, state.clock())
        if fault is not None and fault.kind == "repeat-cursor":  # hand back the same cursor
            page.update(cursor=query.get("cursor") or encode_cursor(0), truncated=True)
        return envelope(page)

    def route_latest(self, token: Token, query: dict[str, str], **_: Any) -> dict[str, Any]:
        tags = [t for t in query.get("external_script_ids", "").split(",") if t]
        now = self.server.state.clock()
        latest: dict[str, Any] = {}
        for tag in tags:
            mine = [b for b in self.server.state.visible() if b.worker_tag == tag]
            if mine:
                latest[tag] = build_json(mine[-1], now)
        return envelope({"builds": latest})

    def route_worker_builds(
        self, token: Token, tag: str, query: dict[str, str], **_: Any
    ) -> dict[str, Any]:
        if not token.can_read_builds:
            raise Reply(403, 10000, "Authentication error")
        state = self.server.state
        page, per_page = int(query.get("page", 1)), int(query.get("per_page", 50))
        if not 1 <= per_page <= 200 or page < 1:
            raise Reply(400, 12002, "Invalid pagination parameters")
        now = state.clock()
        mine = [build_json(b, now) for b in reversed(state.visible()) if b.worker_tag == tag]
        return paged(mine, page, per_page)

    def route_limits(self, token: Token, **_: Any) -> dict[str, Any]:
        if not token.can_read_builds:
            raise Reply(403, 10000, "Authentication error")
        return envelope(
            {"has_reached_build_minutes_limit": False, "build_minutes_refresh_on": None}
        )

    def route_scripts(self, token: Token, **_: Any) -> dict[str, Any]:
        if not token.can_read_scripts:
            raise Reply(403, 10000, "Authentication error")
        return envelope(self.server.state.scripts)


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, state: State, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.state = state
        self.url = f"http://127.0.0.1:{self.server_address[1]}{BASE_PATH}"
        self.scratch_dir = Path(tempfile.mkdtemp(prefix="cf-buildlogs-fake-"))


@contextmanager
def serve(state: State, port: int = 0) -> Iterator[FakeServer]:
    """Serve `state` on 127.0.0.1 in a background thread for the duration of the block."""
    server = FakeServer(state, port)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        shutil.rmtree(server.scratch_dir, ignore_errors=True)


# -- the demo build ----------------------------------------------------------------------

_DEMO_LOG = """\
Initializing build environment...
Success: Finished initializing build environment
Cloning repository...
\x1b[32mSuccess:\x1b[0m Finished cloning repository files
Checking for configuration in a Wrangler configuration file (BETA)
Found wrangler.toml file. Reading build configuration...
Detected the following tools from environment: npm@10.8.2, nodejs@22.16.0
Installing project dependencies: npm clean-install --progress=false
npm warn deprecated inflight@1.0.6: This module is not supported, and leaks memory.
added 187 packages, and audited 188 packages in 6s
found \x1b[32m\x1b[1m0\x1b[22m\x1b[39m vulnerabilities
Executing user build command: npm run build
> my-worker@1.0.0 build
> tsc --noEmit && esbuild src/index.ts --bundle --outdir=dist
  dist/index.js  \x1b[36m41.2kb\x1b[39m
\x1b[32m⚡ Done in 38ms\x1b[39m
Success: Build command completed
Executing user deploy command: npx wrangler deploy
 ⛅️ wrangler 4.20.0
\x1b[2m───────────────────\x1b[22m
Total Upload: 41.23 KiB / gzip: 9.87 KiB
Worker Startup Time: 12 ms
Your Worker has access to the following bindings:
- KV Namespaces:
  - CACHE: 0f2ac74b498b48028cb68387c421e279
Uploaded my-worker (2.41 sec)
Deployed my-worker triggers (0.84 sec)
  https://my-worker.example.workers.dev
Current Version ID: 8c2f1a4e-55b7-4f1e-9d3a-0e6c7b2a9f11
\x1b[32mSuccess:\x1b[0m Build completed
"""


# The same build up to its deploy, whose wrangler finds no entry point.
_DEMO_FAILED_DEPLOY = """\
Executing user deploy command: npx wrangler deploy
 ⛅️ wrangler 4.20.0
\x1b[2m───────────────────\x1b[22m
\x1b[33m▲ \x1b[43;33m[\x1b[43;30mWARNING\x1b[43;33m]\x1b[0m \x1b[1mThe \"main\" field points to src/worker.ts, which does not exist\x1b[0m

\x1b[31m✘ \x1b[41;31m[\x1b[41;97mERROR\x1b[41;31m]\x1b[0m \x1b[1mMissing entry-point to Worker script or to assets directory\x1b[0m

  If there is code to deploy, you can either:
  - Specify an entry-point to your Worker script via the command line (ex: `npx wrangler deploy src/index.ts`)
  - Or create a "wrangler.jsonc" file containing:
  {
    "name": "worker-name",
    "compatibility_date": "2025-06-01",
    "main": "src/index.ts"
  }

🪵  Logs were written to "/opt/buildhome/.config/.wrangler/logs/wrangler-2025-06-12_09-14-03_101.log"
Failed: error occurred while running deploy command
"""  # noqa: E501 - lines as wrangler prints them
_DEMO_FAILED_LOG = (
    _DEMO_LOG[: _DEMO_LOG.index("Executing user deploy command")] + _DEMO_FAILED_DEPLOY
)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat().replace("+00:00", "Z")


def demo_state(
    live: bool = False, clock: Callable[[], float] = time.monotonic, failed: bool = False
) -> State:
    """The demo's account: one Worker with two realistic builds, one that deploys and one
    whose deploy fails; `live` plays the chosen one (`failed`) from the queue to its end over
    about ten seconds, its timestamps those of the moment."""
    state = State(page_size=10, clock=clock)
    playing = Live(started=state.clock(), queued_s=1.5, initializing_s=1.5, lines_per_s=4)
    start = int(time.time()) + 3 if live else START_EPOCH
    # Seconds from the start at which each line of _DEMO_LOG was printed.
    offsets = [
        0, 2, 3, 5, 5, 5, 6, 6, 12, 13, 13, 13, 14, 14, 15, 15, 15, 16, 18, 18,
        20, 20, 21, 21, 21, 23, 24, 24, 24, 25,
    ]  # fmt: skip
    good = [[start + offsets[i], text] for i, text in enumerate(_DEMO_LOG.splitlines())]
    bad_lines = _DEMO_FAILED_LOG.splitlines()
    bad_offsets = [min(i, 17) + max(0, i - 17) // 6 for i in range(len(bad_lines))]
    bad = [[start + bad_offsets[i], text] for i, text in enumerate(bad_lines)]
    builds = (  # newest last
        (DEMO_FAILED_BUILD, bad, "fail", bad_offsets[-1]),
        (DEMO_BUILD, good, "success", offsets[-1]),
    )
    for uuid, lines, outcome, took in builds:
        state.add(
            FakeBuild(
                uuid,
                lines,
                outcome=outcome,
                live=playing if live and (uuid == DEMO_FAILED_BUILD) == failed else None,
                commit_message="Move the entry point"
                if outcome == "fail"
                else "Update dependencies",
                stopped_on=_iso(START_EPOCH + took + 2),
            )
        )
    state.scripts.append({"id": "my-worker", "tag": DEMO_WORKER_TAG})
    return state


def generated_uuid(count: int, realistic: bool = False) -> str:
    """The UUID under which `main` serves a generated build of `count` lines."""
    return f"00000000-0000-4000-{9000 if realistic else 8000}-{count:012d}"


ADVERSARIAL_BUILD = "00000000-0000-4000-a000-000000000001"


def adversarial_lines(size: int) -> list[list[Any]]:
    """A failed build's log of lines of `size` characters each, shaped to make patterns that
    backtrack take quadratic time: a secret's name that never assigns, JWT-like runs, hint
    phrases repeated, escape sequences that never end."""

    def repeat(unit: str) -> str:
        return (unit * (size // len(unit) + 1))[:size]

    texts = [
        "Error: token " + repeat("a."),
        "Error: " + repeat("eyJ-"),
        "Error: " + repeat("token-"),
        "Error: " + repeat("build token exceeded Pages project npm ci yarn.lock "),
        "Error: " + repeat("https://u:"),
        "\x1b[" + repeat("0"),
    ]
    return [[START_EPOCH + index, text] for index, text in enumerate(texts)]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the fake Cloudflare API on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--lines", type=int, action="append", default=[],
        help="add a build of N lines, served as build 00000000-0000-4000-8000-<N>",
    )  # fmt: skip
    parser.add_argument(
        "--realistic", type=int, action="append", default=[],
        help="add a build of N realistic lines, served as 00000000-0000-4000-9000-<N>",
    )  # fmt: skip
    parser.add_argument(
        "--adversarial", type=int, default=0,
        help=f"add a failed build of lines of N hostile characters each, as {ADVERSARIAL_BUILD}",
    )  # fmt: skip
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="add this to every answer (a network)"
    )
    args = parser.parse_args(argv)
    state = demo_state()
    state.page_size = args.page_size
    state.latency = args.latency_ms / 1000
    for count in args.lines:
        state.add(FakeBuild(generated_uuid(count), GeneratedLines(count)))
    for count in args.realistic:
        state.add(FakeBuild(generated_uuid(count, realistic=True), RealisticLines(count)))
    if args.adversarial:
        lines = adversarial_lines(args.adversarial)
        state.add(FakeBuild(ADVERSARIAL_BUILD, lines, outcome="fail"))
    with serve(state, args.port) as server:
        print(server.url, flush=True)  # noqa: T201 - the one line a caller reads
        threading.Event().wait()


if __name__ == "__main__":
    main()
