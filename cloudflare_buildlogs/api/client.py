"""The Cloudflare API client: an injected httpx.Client in, models out.

Owns the envelope (parsed here and nowhere else), the mapping from HTTP and Cloudflare errors
to the typed errors of `errors.py`, and the retry policy of README, "Reliability". Knows nothing
of typer or rich.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Iterator
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
    ApiError,
    AuthError,
    CliError,
    NetworkError,
    NotFoundError,
    WaitTimeout,
)
from ..models import (
    Account,
    Build,
    Credentials,
    LogPage,
    Script,
    TokenInfo,
    Trigger,
    Unusable,
    is_hex32,
    is_uuid,
)
from .answers import Envelope, check_shape, checked, codes, parse_retry_after, segment, texts
from .watchdog import Watchdog

USER_AGENT = f"cf-buildlogs/{__version__}"
MAX_ATTEMPTS = 5
BACKOFF_BASE = 0.5  # seconds before the first retry, doubled each time, jittered
BACKOFF_CAP = 8.0
MAX_RETRY_AFTER = 60.0  # a longer retry-after is reported, not waited out
# Bounds on what an answer may cost (README, "Security"): a request not answered in full this
# long after it was sent is a timeout however slowly its bytes trickle; a body larger than
# this once decoded (whatever its compression) is unusable; so is a longer log cursor.
REQUEST_DEADLINE = 60.0
MAX_BODY = 64 << 20
MAX_CURSOR = 4096

_AUTH_CODES = frozenset({10000, 9109, 12005, 6003, 6102, 6103, 6111})
_ROUTE_CODES = frozenset({7000, 7003})


class Client:
    """One Cloudflare account's view of the API, with retries."""

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

    # -- the endpoints -------------------------------------------------------------------

    def get_build(self, account_id: str, build_uuid: str) -> Build:
        path = f"/accounts/{segment(account_id)}/builds/builds/{segment(build_uuid)}"
        env = self.get(path, what=f"build {build_uuid}")
        build = checked(Build.from_api(env.result), f"build {build_uuid}")
        if build.build_uuid != build_uuid.lower():
            raise ApiError(f"the API answered for build {build_uuid} with another build")
        return build

    def get_log_page(self, account_id: str, build_uuid: str, cursor: str | None) -> LogPage:
        path = f"/accounts/{segment(account_id)}/builds/builds/{segment(build_uuid)}/logs"
        params = {"cursor": cursor} if cursor else None
        result = self.get(path, params, what=f"build {build_uuid}").result
        try:
            page = LogPage.from_api(result)
        except Unusable as exc:
            raise ApiError(
                f"the API sent an unusable log page of build {build_uuid}: {exc}"
            ) from None
        if page.cursor is not None and len(page.cursor) > MAX_CURSOR:
            raise ApiError(
                f"the API sent a log cursor of {len(page.cursor):,} characters for build "
                f"{build_uuid} (at most {MAX_CURSOR:,} are taken)"
            )
        return page

    def latest_build(self, account_id: str, worker_tag: str) -> Build | None:
        """The newest build of a Worker, or None when it has none."""
        path = f"/accounts/{segment(account_id)}/builds/builds/latest"
        env = self.get(path, {"external_script_ids": worker_tag}, what=f"Worker {worker_tag}")
        builds = env.result.get("builds") if isinstance(env.result, dict) else None
        found = builds.get(worker_tag) if isinstance(builds, dict) else None
        if not isinstance(found, dict):
            return None
        return checked(Build.from_api(found), f"the newest build of Worker {worker_tag}")

    def worker_builds(
        self, account_id: str, worker_tag: str, *, per_page: int = 50, max_pages: int = 100
    ) -> Iterator[Build]:
        """A Worker's builds, newest first, fetched a page at a time as they are consumed."""
        path = f"/accounts/{segment(account_id)}/builds/workers/{segment(worker_tag)}/builds"
        what = f"Worker {worker_tag}"
        for items in self._pages(path, {}, per_page=per_page, what=what, max_pages=max_pages):
            for item in items:
                if isinstance(item, dict):
                    yield checked(Build.from_api(item), f"a build of {what}")

    def worker_triggers(self, account_id: str, worker_tag: str) -> list[Trigger]:
        """What makes a Worker build (needs "Workers CI Read")."""
        path = f"/accounts/{segment(account_id)}/builds/workers/{segment(worker_tag)}/triggers"
        env = self.get(path, what=f"Worker {worker_tag}")
        items = env.result if isinstance(env.result, list) else []
        triggers = [Trigger.from_api(item) for item in items if isinstance(item, dict)]
        for trigger in triggers:
            check_shape(is_uuid(trigger.trigger_uuid), "a trigger UUID", trigger.trigger_uuid)
        return triggers

    def list_scripts(self, account_id: str) -> list[Script]:
        """The account's Workers (needs the "Workers Scripts Read" permission)."""
        env = self.get(f"/accounts/{segment(account_id)}/workers/scripts", what="Workers")
        items = env.result if isinstance(env.result, list) else []
        scripts = [s for s in (Script.from_api(item) for item in items) if s.name and s.tag]
        for script in scripts:
            check_shape(is_hex32(script.tag), "a Worker tag", script.tag)
        return scripts

    def verify_token(self) -> TokenInfo:
        return TokenInfo.from_api(self.get("/user/tokens/verify", what="the token").result)

    def check_builds_access(self, account_id: str) -> None:
        """One cheap Builds API call, to prove the token may read builds in the account."""
        self.get(
            f"/accounts/{segment(account_id)}/builds/account/limits",
            what=f"builds of account {account_id}",
        )

    def list_accounts(self) -> list[Account]:
        accounts: list[Account] = []
        for result in self._pages("/accounts", {}, per_page=50, what="accounts"):
            accounts.extend(Account.from_api(item) for item in result)
        accounts = [a for a in accounts if a.id]
        for account in accounts:
            check_shape(is_hex32(account.id), "an account id", account.id)
        return accounts

    def _pages(
        self, path: str, params: dict[str, Any], *, per_page: int, what: str, max_pages: int = 100
    ) -> Iterator[list[Any]]:
        """Page-number paging: every page's `result` list until `total_pages` is reached."""
        for page in range(1, max_pages + 1):
            env = self.get(path, {**params, "page": page, "per_page": per_page}, what=what)
            items = env.result if isinstance(env.result, list) else []
            yield items
            total = env.result_info.get("total_pages")
            done = page >= total if isinstance(total, int) else len(items) < per_page
            if done or not items:
                return
        raise ApiError(f"the API kept paging {what} past {max_pages} pages")

    # -- the transport --------------------------------------------------------------------

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
            self.sent.set()
        elif event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            self.watchdog.connected(info.get("return_value"))

    def get(self, path: str, params: dict[str, Any] | None = None, *, what: str) -> Envelope:
        """GET with the retry policy; the unwrapped envelope, or a typed error."""
        headers = self._headers()
        url = self.base_url + path
        for attempt in range(1, self.max_attempts + 1):
            problem, wait = self._attempt(url, params, headers, what)
            if isinstance(problem, Envelope):
                return problem
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

    def _attempt(
        self, url: str, params: dict[str, Any] | None, headers: dict[str, str], what: str
    ) -> tuple[Envelope | str, float | None]:
        """One request: an envelope, or a retryable problem and how long to wait."""
        allowed = self._allowed()
        self.requests += 1
        started = self.monotonic()
        self.watchdog.arm(allowed)
        try:
            with self.http.stream(
                "GET", url, params=params, headers=headers, extensions=self._extensions
            ) as response:
                body = self._body(response, allowed, started, what)
        except httpx.TimeoutException as exc:
            self._note(f"GET {url} timed out ({type(exc).__name__}) [request {self.requests}]")
            return self._late(allowed), None
        except httpx.TransportError as exc:
            if self.watchdog.fired:
                self._note(
                    f"GET {url} had no full answer in {allowed:.0f}s [request {self.requests}]"
                )
                return self._late(allowed), None
            self._note(f"GET {url} failed: {exc} [request {self.requests}]")
            return f"connection failed ({type(exc).__name__}: {field(exc)})", None
        finally:
            self.watchdog.disarm()
        if self.log is not None:
            elapsed = (self.monotonic() - started) * 1000
            self.log(
                f"GET {response.request.url} -> {response.status_code} in {elapsed:.0f} ms"
                f" [request {self.requests}]"
            )
        status = response.status_code
        if status == 429:
            return "rate limited (HTTP 429)", self._retry_after(response)
        if status >= 500:
            return f"the API answered HTTP {status}", None
        return self._decode(status, body, what), None

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

    def _decode(self, status: int, data: bytes, what: str) -> Envelope:
        try:
            body = json.loads(data)
        except RecursionError:
            raise ApiError(f"the API's answer for {what} is JSON nested too deeply") from None
        except ValueError:
            body = None
        if not isinstance(body, dict):
            if status >= 400:
                raise self._error(status, [], set(), what)
            raise ApiError(f"the API answered HTTP {status} with a body that is not a JSON object")
        errors, found = texts(body.get("errors")), codes(body.get("errors"))
        if status >= 400 or body.get("success") is not True:
            raise self._error(status, errors, found, what)
        info = body.get("result_info")
        return Envelope(
            body.get("result"),
            info if isinstance(info, dict) else {},
            tuple(texts(body.get("messages"))),
        )

    def _error(self, status: int, errors: list[str], codes: set[int], what: str) -> CliError:
        detail = "; ".join(errors) or f"HTTP {status}"
        if status in (401, 403) or codes & _AUTH_CODES:
            if any("invalid token" in e.lower() for e in errors):
                return AuthError(
                    f"the token was rejected: {detail}",
                    "account-owned tokens are rejected by the Builds API: "
                    'create a user API token with "Workers CI Read"',
                )
            if 9109 in codes:
                return AuthError(f"the token was refused: {detail}", EXPIRED_HINT)
            return AuthError(f"not authorised to read {what}: {detail}", REJECTED_HINT)
        if 7000 in codes:
            return NotFoundError(f"{what}: the API has no such route: {detail}", ROUTE_HINT)
        if status == 404 or codes & _ROUTE_CODES:
            hint = WORKER_NOT_FOUND_HINT if what.startswith("Worker") else NOT_FOUND_HINT
            return NotFoundError(f"{what} not found: {detail}", hint)
        return ApiError(f"the API refused the request for {what}: {detail}")
