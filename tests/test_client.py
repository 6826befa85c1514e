"""The API client over httpx.MockTransport: requests, envelope, errors, and the retry policy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cloudflare_buildlogs import __version__
from cloudflare_buildlogs.api import Client
from cloudflare_buildlogs.api.answers import parse_retry_after
from cloudflare_buildlogs.errors import (
    ApiError,
    AuthError,
    ExitCode,
    NetworkError,
    NotFoundError,
    translate,
)
from cloudflare_buildlogs.models import Credentials

BASE = "https://api.test/client/v4"
TOKEN = Credentials("test", token="tok-123")
BUILD = "0f0e0d0c-0b0a-4908-8706-050403020100"
LOGS = f"/client/v4/accounts/acct/builds/builds/{BUILD}/logs"

Step = tuple[dict[str, Any], Callable[[httpx.Request], httpx.Response] | httpx.Response]


class Script:
    """Answers each request in turn, checking it is the one expected; fails on anything else."""

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert self.steps, f"unexpected request {request.method} {request.url}"
        expect, answer = self.steps.pop(0)
        self.seen.append(request)
        assert request.method == expect.get("method", "GET")
        assert request.url.path == expect["path"]
        assert dict(request.url.params) == expect.get("params", {})
        for name, value in expect.get("headers", {}).items():
            assert request.headers.get(name) == value, name
        return answer(request) if callable(answer) else answer


def ok(result: Any, **extra: Any) -> httpx.Response:
    return httpx.Response(
        200, json={"success": True, "errors": [], "messages": [], "result": result, **extra}
    )


def fail(status: int, code: int | None, message: str, **headers: str) -> httpx.Response:
    error: dict[str, Any] = {"message": message} | ({"code": code} if code is not None else {})
    body = {"success": False, "errors": [error], "messages": [], "result": None}
    return httpx.Response(status, json=body, headers=headers)


def make_client(
    script: Script, creds: Credentials | None = TOKEN, **kw: Any
) -> tuple[Client, list[float], list[str]]:
    sleeps: list[float] = []
    log: list[str] = []
    http = httpx.Client(transport=httpx.MockTransport(script))
    client = Client(
        http,
        BASE,
        creds,
        sleep=sleeps.append,
        now=lambda: 1000.0,
        log=log.append,
        jitter=lambda: 1.0,
        **kw,
    )
    return client, sleeps, log


def test_log_page_request_carries_auth_user_agent_and_cursor() -> None:
    headers = {"authorization": "Bearer tok-123", "user-agent": f"cf-buildlogs/{__version__}"}
    script = Script(
        (
            {"path": LOGS, "headers": headers},
            ok({"lines": [[1, "a"]], "cursor": "c1", "truncated": True}),
        ),
        ({"path": LOGS, "params": {"cursor": "c1"}}, ok({"lines": [[2, "b"]], "truncated": False})),
    )
    client, _, _ = make_client(script)
    first = client.get_log_page("acct", BUILD, None)
    second = client.get_log_page("acct", BUILD, first.cursor)
    assert [line[3] for line in first.lines.parsed + second.lines.parsed] == ["a", "b"]
    assert first.truncated and not second.truncated and not script.steps


def test_a_log_line_nested_too_deep_is_the_apis_error_when_the_page_is_read() -> None:
    deep: list[object] = []
    for _ in range(80):
        deep = [deep]
    script = Script(({"path": LOGS}, ok({"lines": [[1, "a"], [2, deep]], "truncated": False})))
    client, _, _ = make_client(script)
    page = client.get_log_page("acct", BUILD, None)
    assert len(page.lines) == 2  # the page is whole; its lines are parsed when read
    for lines in (page.lines, page.lines[1:]):  # a part is of the same kind
        with pytest.raises(ApiError, match=f"unusable log page of build {BUILD}: .*deeper"):
            list(lines)


def test_legacy_key_is_sent_as_email_and_key_headers() -> None:
    creds = Credentials("env", email="me@x", api_key="k-1")
    script = Script(
        (
            {"path": LOGS, "headers": {"x-auth-email": "me@x", "x-auth-key": "k-1"}},
            ok({"lines": []}),
        )
    )
    client, _, _ = make_client(script, creds)
    client.get_log_page("acct", BUILD, None)
    assert "authorization" not in script.seen[0].headers


def test_no_credentials_fails_before_any_request() -> None:
    client, _, _ = make_client(Script(), creds=None)
    with pytest.raises(AuthError):
        client.get_log_page("acct", BUILD, None)


def test_messages_of_both_shapes_are_accepted() -> None:
    body = {
        "success": True,
        "errors": [],
        "messages": ["text", {"code": 1, "message": "obj"}],
        "result": {},
    }
    client, _, _ = make_client(Script(({"path": LOGS}, httpx.Response(200, json=body))))
    client.get_log_page("acct", BUILD, None)


def test_success_false_on_http_200_is_an_error() -> None:
    client, sleeps, _ = make_client(
        Script(({"path": LOGS}, fail(200, 10001, "Internal processing error")))
    )
    with pytest.raises(ApiError, match="Internal processing error"):
        client.get_log_page("acct", BUILD, None)
    assert sleeps == []


@pytest.mark.parametrize(
    ("response", "error", "code", "hint_words"),
    [
        (fail(401, 10000, "Authentication error"), AuthError, ExitCode.AUTH, "Workers CI Read"),
        (fail(403, 9109, "Invalid access token"), AuthError, ExitCode.AUTH, "Workers CI Read"),
        (fail(401, None, "Invalid token"), AuthError, ExitCode.AUTH, "user API token"),
        (
            fail(401, 12005, "Missing token from authorization header"),
            AuthError,
            ExitCode.AUTH,
            "Workers CI Read",
        ),
        (fail(400, 6003, "Invalid request headers"), AuthError, ExitCode.AUTH, "Workers CI Read"),
        (fail(404, 12000, "Not found"), NotFoundError, ExitCode.NOT_FOUND, "account id"),
        (fail(400, 7003, "No route for that URI"), NotFoundError, ExitCode.NOT_FOUND, "account id"),
        (fail(400, 12002, "Invalid request"), ApiError, ExitCode.API, None),
        (httpx.Response(200, text="{not json"), ApiError, ExitCode.API, None),
        (httpx.Response(200, json=[1, 2]), ApiError, ExitCode.API, None),
        (
            httpx.Response(404, text="<html>gone</html>"),
            NotFoundError,
            ExitCode.NOT_FOUND,
            "account id",
        ),
    ],
)
def test_errors_are_typed_and_not_retried(
    response: httpx.Response, error: type[Exception], code: ExitCode, hint_words: str | None
) -> None:
    client, sleeps, _ = make_client(Script(({"path": LOGS}, response)))
    with pytest.raises(error) as info:
        client.get_log_page("acct", BUILD, None)
    outcome = translate(info.value)
    assert outcome.code == code
    if hint_words:
        assert outcome.hint is not None and hint_words in outcome.hint
    assert sleeps == []


def test_retryable_failures_are_retried_with_backoff_then_succeed() -> None:
    def drop(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    script = Script(
        ({"path": LOGS}, drop),
        ({"path": LOGS}, slow),
        ({"path": LOGS}, httpx.Response(502, text="<html>Bad gateway</html>")),
        ({"path": LOGS}, fail(503, None, "unavailable")),
        ({"path": LOGS}, ok({"lines": [[1, "finally"]]})),
    )
    client, sleeps, log = make_client(script)
    page = client.get_log_page("acct", BUILD, None)
    assert page.lines.parsed[0][3] == "finally"
    assert sleeps == [0.5, 1.0, 2.0, 4.0]  # jitter pinned to its top
    assert sum("retry" in entry for entry in log) == 4
    assert client.requests == 5


def test_backoff_is_jittered_and_capped() -> None:
    client, _, _ = make_client(Script())
    client.jitter = lambda: 0.0
    assert client._backoff(1) == 0.25
    client.jitter = lambda: 1.0
    assert client._backoff(30) == 8.0


def test_retries_are_bounded_then_exit_5_says_what_happened() -> None:
    script = Script(*[({"path": LOGS}, fail(500, None, "boom")) for _ in range(5)])
    client, sleeps, _ = make_client(script)
    with pytest.raises(NetworkError, match="HTTP 500; gave up after 5 attempts") as info:
        client.get_log_page("acct", BUILD, None)
    assert translate(info.value).code == ExitCode.API
    assert len(sleeps) == 4 and not script.steps


def test_429_honours_retry_after() -> None:
    script = Script(
        ({"path": LOGS}, fail(429, None, "Rate limited", **{"retry-after": "7"})),
        ({"path": LOGS}, ok({"lines": []})),
    )
    client, sleeps, _ = make_client(script)
    client.get_log_page("acct", BUILD, None)
    assert sleeps == [7.0]


def test_429_without_retry_after_backs_off() -> None:
    script = Script(
        ({"path": LOGS}, fail(429, None, "Rate limited")), ({"path": LOGS}, ok({"lines": []}))
    )
    client, sleeps, _ = make_client(script)
    client.get_log_page("acct", BUILD, None)
    assert sleeps == [0.5]


def test_a_retry_after_over_a_minute_is_not_waited_out() -> None:
    script = Script(({"path": LOGS}, fail(429, None, "Rate limited", **{"retry-after": "300"})))
    client, sleeps, _ = make_client(script)
    with pytest.raises(ApiError, match="retry after") as info:
        client.get_log_page("acct", BUILD, None)
    assert translate(info.value).code == ExitCode.API and sleeps == []


def test_retry_after_as_an_http_date() -> None:
    assert parse_retry_after("Thu, 01 Jan 1970 00:20:00 GMT", now=1000.0) == 200.0
    assert parse_retry_after("garbage", now=0) is None
    assert parse_retry_after(None, now=0) is None
    assert parse_retry_after("-3", now=0) == 0.0


def test_accounts_are_paged_until_total_pages() -> None:
    def page(n: int, ids: list[str]) -> httpx.Response:
        return ok(
            [{"id": i, "name": i.upper()} for i in ids], result_info={"page": n, "total_pages": 2}
        )

    script = Script(
        (
            {"path": "/client/v4/accounts", "params": {"page": "1", "per_page": "50"}},
            page(1, ["a" * 32, "b" * 32]),
        ),
        (
            {"path": "/client/v4/accounts", "params": {"page": "2", "per_page": "50"}},
            page(2, ["c" * 32]),
        ),
    )
    client, _, _ = make_client(script)
    assert [a.id for a in client.list_accounts()] == ["a" * 32, "b" * 32, "c" * 32]


def test_build_is_parsed() -> None:
    path = f"/client/v4/accounts/acct/builds/builds/{BUILD}"
    client, _, _ = make_client(
        Script(({"path": path}, ok({"build_uuid": BUILD, "status": "running"})))
    )
    build = client.get_build("acct", BUILD)
    assert build.build_uuid == BUILD and not build.stopped


def test_verbose_log_never_holds_the_secret() -> None:
    script = Script(({"path": LOGS}, fail(500, None, "x")), ({"path": LOGS}, ok({"lines": []})))
    client, _, log = make_client(script)
    client.get_log_page("acct", BUILD, None)
    assert log and not any("tok-123" in entry for entry in log)
    assert any("-> 500" in entry for entry in log)
