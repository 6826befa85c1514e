"""The transport under the API client: one request with the retry policy of README,
"Reliability", the envelope unwrapped, and HTTP and Cloudflare errors mapped to the typed errors
of `errors.py`. A request that starts a build is never repeated once it may have reached the
API (README, "rerun"). Knows nothing of typer or rich.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from .. import __version__
from ..analysis.untrusted import field
from ..errors import (
    EXPIRED_HINT,
    NOT_FOUND_HINT,
    PERMISSION_HINT,
    REJECTED_HINT,
    ROUTE_HINT,
    WORKER_NOT_FOUND_HINT,
    WRITE_HINT,
    ApiError,
    AuthError,
    CliError,
    NetworkError,
    NotFoundError,
    Unanswered,
    WaitTimeout,
)
from ..models import Credentials
from .answers import Envelope, codes, parse_retry_after, texts
from .watchdog import Watchdog

USER_AGENT = f"cf-buildlogs/{__version__}"
MAX_ATTEMPTS = 5
BACKOFF_BASE = 0.5  # seconds before the first retry, doubled each time, jittered
BACKOFF_CAP = 8.0
MAX_RETRY_AFTER = 60.0  # a longer retry-after is reported, not waited out
# Bounds on what an answer may cost (README, "Security"): a request not answered in full this
# long after it was sent is a timeout however slowly its bytes trickle; a body larger than
# this once decoded (whatever its compression) is unusable.
REQUEST_DEADLINE = 60.0
MAX_BODY = 64 << 20

_AUTH_CODES = frozenset({10000, 9109, 12005, 6003, 6102, 6103, 6111})
_ROUTE_CODES = frozenset({7000, 7003})


class Transport:
    """Requests to one API base URL with one credential, retried as the policy says."""

    def __init__(
        self,
        http: httpx.Client,
        base_url: str,
        credentials: Credentials | None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        log: Callable[[str], None] | None = None,
        jitter: Callable[[], float] = random.random,
        max_attempts: int = MAX_ATTEMPTS,
        request_deadline: float = REQUEST_DEADLINE,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.sleep = sleep
        self.now = now
        self.monotonic = monotonic
        self.log = log
        self.jitter = jitter
        self.max_attempts = max_attempts
        self.requests = 0
        self.request_deadline = request_deadline
        # When the whole command must end (`--timeout`), on `monotonic`'s clock; retry pauses
        # and requests in flight stop there too.
        self.deadline: float | None = None
        self.expired: Callable[[], CliError] | None = None  # the error then: the poller's
        self.watchdog = Watchdog()
        # Set each time a request is on the wire and its answer awaited: `follow.prefetch`
        # writes a page only once the next one is asked for, so writing doesn't delay asking.
        self.sent = threading.Event()
        self._extensions = {"trace": self._trace}
        self._call = _Call("GET", "", None, None, {}, "", "read")  # the request in flight

    def _headers(self) -> dict[str, str]:
        creds = self.credentials
        if creds is None:
            raise AuthError(
                "no credentials: set CLOUDFLARE_API_TOKEN, or run `cf-buildlogs auth login`",
                PERMISSION_HINT,
            )
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if creds.token:
            headers["Authorization"] = f"Bearer {creds.token}"
        else:
            headers["X-Auth-Email"] = creds.email or ""
            headers["X-Auth-Key"] = creds.api_key or ""
        return headers

    def _note(self, text: str) -> None:
        if self.log is not None:
            self.log(text)

    def _trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's trace of a request (httpx's `trace` request extension)."""
        if event == "http11.send_request_headers.complete":
            self._call.reached = True
            self.sent.set()
        elif event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            self.watchdog.connected(info.get("return_value"))

    def get(self, path: str, params: dict[str, Any] | None = None, *, what: str) -> Envelope:
        """GET with the retry policy; the unwrapped envelope, or a typed error."""
        return self._request("GET", path, params, what=what)

    def _request(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        *,
        what: str,
        action: str = "read",
        once: bool = False,
    ) -> Envelope:
        """One call with the retry policy. `once`: the request must not be repeated after it
        may have reached the API (it starts a build): then `Unanswered`, not a retry."""
        headers = self._headers()
        url = self.base_url + path
        content = None if body is None else json.dumps(body).encode()
        if content is not None:
            headers["Content-Type"] = "application/json"
        for attempt in range(1, self.max_attempts + 1):
            call = _Call(method, url, params, content, headers, what, action)
            problem, wait = self._attempt(call)
            if isinstance(problem, Envelope):
                return problem
            if once and call.reached:
                raise Unanswered(f"{problem} after the request was sent")
            if attempt == self.max_attempts:
                raise NetworkError(
                    f"{problem}; gave up after {attempt} attempts",
                    "Cloudflare or the network may be down; try again later "
                    "(https://www.cloudflarestatus.com)",
                )
            delay = wait if wait is not None else self._backoff(attempt)
            if self.deadline is not None and self.monotonic() + delay >= self.deadline:
                raise self._timed_out(problem)
            self._note(f"retry {attempt}/{self.max_attempts - 1} in {delay:.1f}s: {problem}")
            self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _timed_out(self, problem: str) -> CliError:
        if self.expired is not None:
            return self.expired()
        return WaitTimeout(f"--timeout ran out: {problem}", "raise --timeout to wait longer")

    def _allowed(self) -> float:
        """How long the next request may take: its own deadline, or what is left of the
        command's when that is sooner; WaitTimeout when nothing is."""
        allowed = self.request_deadline
        if self.deadline is not None:
            left = self.deadline - self.monotonic()
            if left <= 0:
                raise self._timed_out("the time was up")
            allowed = min(allowed, left)
        return allowed

    def _backoff(self, attempt: int) -> float:
        ceiling: float = min(BACKOFF_CAP, BACKOFF_BASE * 2.0 ** (attempt - 1))
        return ceiling * (0.5 + self.jitter() / 2)

    def _attempt(self, call: _Call) -> tuple[Envelope | str, float | None]:
        """One request: an envelope, or a retryable problem and how long to wait."""
        allowed = self._allowed()
        self.requests += 1
        started = self.monotonic()
        self.watchdog.arm(allowed)
        self._call = call
        name, number = f"{call.method} {call.url}", f"[request {self.requests}]"
        try:
            with self.http.stream(
                call.method,
                call.url,
                params=call.params,
                content=call.content,
                headers=call.headers,
                extensions=self._extensions,
            ) as response:
                body = self._body(response, allowed, started, call.what)
        except httpx.TimeoutException as exc:
            self._note(f"{name} timed out ({type(exc).__name__}) {number}")
            return self._late(allowed), None
        except httpx.TransportError as exc:
            if self.watchdog.fired:
                self._note(f"{name} had no full answer in {allowed:.0f}s {number}")
                return self._late(allowed), None
            self._note(f"{name} failed: {exc} {number}")
            return f"connection failed ({type(exc).__name__}: {field(exc)})", None
        finally:
            self.watchdog.disarm()
        if self.log is not None:
            elapsed = (self.monotonic() - started) * 1000
            self.log(
                f"{call.method} {response.request.url} -> {response.status_code} in "
                f"{elapsed:.0f} ms {number}"
            )
        status = response.status_code
        if status == 429:  # refused before anything was done: safe to send again
            call.reached = False
            return "rate limited (HTTP 429)", self._retry_after(response)
        if status >= 500:
            return f"the API answered HTTP {status}", None
        return self._decode(status, body, call), None

    def _late(self, allowed: float) -> str:
        if self.deadline is not None and self.monotonic() >= self.deadline:
            raise self._timed_out("a request was still unanswered")
        return f"the request timed out (no full answer in {allowed:.0f}s)"

    def _body(self, response: httpx.Response, allowed: float, started: float, what: str) -> bytes:
        """The decoded body, at most MAX_BODY bytes, read by the deadline (also checked as
        each piece arrives, for transports the watchdog cannot reach)."""
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > MAX_BODY:
                raise ApiError(
                    f"the API's answer for {what} is larger than {MAX_BODY >> 20} MiB once "
                    "decoded; stopping"
                )
            if self.monotonic() - started > allowed:
                raise httpx.ReadTimeout("no full answer by the deadline", request=response.request)
            chunks.append(chunk)
        return b"".join(chunks)

    def _retry_after(self, response: httpx.Response) -> float | None:
        wait = parse_retry_after(response.headers.get("retry-after"), self.now())
        if wait is not None and wait > MAX_RETRY_AFTER:
            try:
                at = time.strftime("%H:%M:%S", time.localtime(self.now() + wait))
                later = f"for {wait:.0f}s more; retry after {at}"
            except (OverflowError, OSError, ValueError):  # `inf`, or past year 9999
                later = "for longer than the tool waits"
            raise ApiError(
                f"rate limited by Cloudflare {later}",
                "the limit is 1,200 requests per 5 minutes per user, shared with the "
                "dashboard and your other tools",
            )
        return wait

    def _decode(self, status: int, data: bytes, call: _Call) -> Envelope:
        try:
            body = json.loads(data)
        except RecursionError:
            raise ApiError(f"the API's answer for {call.what} is JSON nested too deeply") from None
        except ValueError:
            body = None
        if not isinstance(body, dict):
            if status >= 400:
                raise self._error(status, [], set(), call)
            raise ApiError(f"the API answered HTTP {status} with a body that is not a JSON object")
        errors, found = texts(body.get("errors")), codes(body.get("errors"))
        if status >= 400 or body.get("success") is not True:
            raise self._error(status, errors, found, call)
        info = body.get("result_info")
        return Envelope(
            body.get("result"),
            info if isinstance(info, dict) else {},
            tuple(texts(body.get("messages"))),
            data,
        )

    def _error(self, status: int, errors: list[str], codes: set[int], call: _Call) -> CliError:
        detail, what = "; ".join(errors) or f"HTTP {status}", call.what
        if status in (401, 403) or codes & _AUTH_CODES:
            if any("invalid token" in e.lower() for e in errors):
                return AuthError(
                    f"the token was rejected: {detail}",
                    "account-owned tokens are rejected by the Builds API: "
                    'create a user API token with "Workers CI Read"',
                )
            if 9109 in codes:
                return AuthError(f"the token was refused: {detail}", EXPIRED_HINT)
            hint = REJECTED_HINT if call.action == "read" else WRITE_HINT
            return AuthError(f"not authorised to {call.action} {what}: {detail}", hint)
        if 7000 in codes:
            return NotFoundError(f"{what}: the API has no such route: {detail}", ROUTE_HINT)
        if status == 404 or codes & _ROUTE_CODES:
            hint = WORKER_NOT_FOUND_HINT if what.startswith("Worker") else NOT_FOUND_HINT
            return NotFoundError(f"{what} not found: {detail}", hint)
        return ApiError(f"the API refused to {call.action} {what}: {detail}")


class _Call:
    """One request as the retry loop makes it; `reached` once its headers were sent in full,
    after which the API may have acted on it."""

    __slots__ = ("action", "content", "headers", "method", "params", "reached", "url", "what")

    def __init__(
        self,
        method: str,
        url: str,
        params: dict[str, Any] | None,
        content: bytes | None,
        headers: dict[str, str],
        what: str,
        action: str,
    ) -> None:
        self.method, self.url, self.params, self.content = method, url, params, content
        self.headers, self.what, self.action = headers, what, action
        self.reached = False
