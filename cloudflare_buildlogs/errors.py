"""Exit codes, the typed errors every layer raises, and the one translator to message and code.

Layers raise the subclass that says what went wrong; only `translate` decides what the user
reads and which exit status a script sees (README, "Exit status").
"""

from __future__ import annotations

import enum
from typing import NamedTuple, NoReturn


class ExitCode(enum.IntEnum):
    OK = 0
    BUILD_FAILED = 1
    USAGE = 2
    AUTH = 3
    NOT_FOUND = 4
    API = 5
    TIMEOUT = 6
    NOT_DEPLOYED = 7  # --require-deploy: the build succeeded but deployed nothing
    INTERRUPTED = 130


PERMISSION_HINT = (
    'the token needs the "Workers CI Read" permission (dashboard: "Workers Builds '
    'Configuration: Read") and must be a user API token: account-owned tokens are rejected'
)
NOT_FOUND_HINT = (
    "check the account id (--account-id or CLOUDFLARE_ACCOUNT_ID) and that the build belongs to it"
)
WORKER_NOT_FOUND_HINT = (
    "check the account id (--account-id or CLOUDFLARE_ACCOUNT_ID); Workers are named by their "
    "32-hex tag, not their name"
)
ROUTE_HINT = (
    "the API URL has no such route: Cloudflare's ends in /client/v4 "
    "(--api-url, CLOUDFLARE_API_BASE_URL)"
)
WRITE_HINT = (
    'rerun, build and cancel need a user API token with "Workers CI Write" (dashboard: '
    '"Workers Builds Configuration: Edit")'
)
REJECTED_HINT = (
    "the token is wrong, or lacks the permission: `cf-buildlogs auth status` tells which; "
    + PERMISSION_HINT
)
EXPIRED_HINT = (
    "the token may have expired or been rolled: `cf-buildlogs auth status` checks it; create "
    'a new user API token with "Workers CI Read"'
)


class CliError(Exception):
    """Base of every error the tool expects; `hint` is an optional second line."""

    code = ExitCode.API

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(CliError):
    code = ExitCode.USAGE


class ConfigError(UsageError):
    """The config file or the settings resolved from it are unusable."""


class AuthError(CliError):
    code = ExitCode.AUTH


class NotFoundError(CliError):
    code = ExitCode.NOT_FOUND


class ApiError(CliError):
    """The API answered something unusable, or kept failing after retries."""

    code = ExitCode.API


class NetworkError(ApiError):
    """No usable answer reached us: connection refused, reset, timed out."""


class Unanswered(NetworkError):
    """A request that must not be repeated (one that starts a build) may have reached the API,
    but no usable answer came back: whether it acted is unknown (README, "rerun")."""


class WaitTimeout(CliError):
    code = ExitCode.TIMEOUT


class Irregular(Exception):
    """Not an error the user sees: a fast path met something of another shape than it takes
    (a log line that is not the usual pair, a record that is not a line), raised from inside a
    comprehension (`irregular()`); its caller catches it and takes the general path."""


def irregular() -> NoReturn:
    raise Irregular


class Outcome(NamedTuple):
    """What the user sees for an error: one message, maybe a hint, and the exit status."""

    message: str
    hint: str | None
    code: ExitCode


def translate(exc: BaseException) -> Outcome:
    """The only place an exception becomes a message and an exit status."""
    if isinstance(exc, CliError):
        return Outcome(exc.message, exc.hint, exc.code)
    if isinstance(exc, KeyboardInterrupt):
        return Outcome("interrupted", None, ExitCode.INTERRUPTED)
    name = type(exc).__name__
    return Outcome(
        f"internal error: {name}: {exc}",
        "run again with --verbose, and report it if it repeats",
        ExitCode.API,
    )
