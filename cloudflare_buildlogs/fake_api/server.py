"""The fake API over real HTTP on 127.0.0.1: routes, credentials checked as Cloudflare checks
them, and the faults it plays on request.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .state import (
    BASE_PATH,
    FakeBuild,
    Fault,
    State,
    Token,
    decode_cursor,
    encode_cursor,
    envelope,
    log_page,
    paged,
)
from .writes import Refused, serve_write


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
    (
        re.compile(r"/accounts/(?P<acct>[^/]+)/builds/workers/(?P<tag>[^/]+)/triggers"),
        "triggers",
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
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def _serve(self, method: str) -> None:
        state = self.server.state
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with state.lock:
            state.requests.append((method, parts.path, dict(self.headers.items())))
        if state.latency:
            time.sleep(state.latency)
        fault = state.take_fault(parts.path)
        if fault is not None and not fault.after and self._misbehave(fault):
            return
        try:
            if method == "GET":
                status, answer = self._route(parts.path, query, fault)
            else:
                status, answer = 200, self._write(method, parts.path, body)
        except Reply as reply:
            status, answer = reply.status, reply.body
        if fault is not None and fault.after and self._misbehave(fault):
            return  # the write was done; its answer is lost
        data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        self._send(status, data)

    def _write(self, method: str, path: str, body: bytes) -> dict[str, Any]:
        prefix = re.match(r"/client/v4/accounts/(?P<acct>[^/]+)/builds(?P<rest>/.*)", path)
        if prefix is None:
            raise Reply(404, 7000, "No route for that URI")
        token = self._token(builds=True)
        self._check_account(prefix["acct"])
        try:
            answer = serve_write(self.server.state, token, method, prefix["rest"], body)
        except Refused as refused:
            raise Reply(refused.status, refused.code, refused.message) from None
        if answer is None:
            raise Reply(405 if method != "GET" else 404, 7001, "Method not allowed")
        return answer

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
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting
            self.close_connection = True

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
            return False  # endless, repeat-cursor, cursor-to-start shape a served page instead
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
    ) -> tuple[int, dict[str, Any] | bytes]:
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
        result = self.server.state.json_of(build, self.server.state.clock())
        if build.preview_url is not None and result["status"] == "stopped":
            result["preview_url"] = build.preview_url
        return envelope(result)

    def route_logs(
        self, token: Token, uuid: str, query: dict[str, str], fault: Fault | None, **_: Any
    ) -> dict[str, Any] | bytes:
        build = self._build(uuid, token)
        state = self.server.state
        start = 0
        if "cursor" in query:
            decoded = decode_cursor(query["cursor"])
            if decoded is None:
                raise Reply(400, 12002, "Invalid cursor")
            start = decoded
        if state.from_memory and build.live is None and fault is None:
            key = (build.uuid, start, state.page_size)
            served = state.served.get(key)
            if served is None:  # a finished build's page is the same every time
                page = envelope(log_page(build, start, state.page_size, 0.0))
                served = state.served[key] = json.dumps(page).encode()
            return served
        if fault is not None and fault.kind == "endless":
            return envelope({"lines": [], "cursor": encode_cursor(start + 1), "truncated": True})
        page = log_page(build, start, state.page_size, state.clock())
        if fault is not None and fault.kind == "cursor-to-start":  # a cursor back to line 1
            page.update(cursor=encode_cursor(0), truncated=True)
        if fault is not None and fault.kind == "repeat-cursor":  # hand back the same cursor
            page.update(cursor=query.get("cursor") or encode_cursor(0), truncated=True)
        return envelope(page)

    def route_latest(self, token: Token, query: dict[str, str], **_: Any) -> dict[str, Any]:
        tags = [t for t in query.get("external_script_ids", "").split(",") if t]
        state = self.server.state
        now = state.clock()
        latest: dict[str, Any] = {}
        for tag in tags:
            mine = [b for b in state.visible() if b.worker_tag == tag]
            if mine:
                latest[tag] = state.json_of(mine[-1], now)
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
        mine = [state.json_of(b, now) for b in reversed(state.visible()) if b.worker_tag == tag]
        return paged(mine, page, per_page)

    def route_triggers(self, token: Token, tag: str, **_: Any) -> dict[str, Any]:
        if not token.can_read_builds:
            raise Reply(403, 10000, "Authentication error")
        state = self.server.state
        return envelope(state.triggers_of(tag))

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
