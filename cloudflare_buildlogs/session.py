"""A session with the API: settings resolved, the HTTP client opened, the account settled.

Shared by every command that talks to the API (`commands.py`, `auth.py`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from . import config
from .api import Client
from .config import Credentials, Settings
from .env import Env
from .errors import AuthError, UsageError
from .models import Account

HTTP_TIMEOUT = 30.0


@dataclass(frozen=True)
class ApiOptions:
    profile: str | None = None
    account_id: str | None = None
    api_url: str | None = None
    verbose: bool = False


@dataclass(frozen=True)
class Session:
    client: Client
    account_id: str


def resolve(opts: ApiOptions, env: Env) -> Settings:
    """The settings, with their secrets registered for masking and file warnings shown."""
    settings = config.resolve(
        env.environ, profile=opts.profile, account_id=opts.account_id, api_url=opts.api_url
    )
    env.secrets.update(settings.secrets)
    for warning in settings.warnings:
        env.error_line(warning)
    return settings


@contextmanager
def make_client(
    env: Env, settings: Settings, creds: Credentials | None, verbose: bool
) -> Iterator[Client]:
    with env.http_client(HTTP_TIMEOUT) as http:
        client = Client(
            http,
            settings.api_url.value or config.DEFAULT_API_URL,
            creds,
            sleep=env.sleep,
            now=env.now,
            monotonic=env.monotonic,
            log=env.error_line if verbose else None,
        )
        try:
            yield client
        finally:
            if verbose:
                env.error_line(f"{client.requests} requests")


@contextmanager
def open_session(opts: ApiOptions, env: Env) -> Iterator[Session]:
    """Resolve the settings, open the HTTP client, and settle which account to read."""
    settings = resolve(opts, env)
    with make_client(env, settings, settings.credentials, opts.verbose) as client:
        account_id = settings.account_id.value
        if account_id is None:
            account_id = choose_account(client, env, interactive=False).id
            _remember_account(env, settings, account_id)
        yield Session(client, account_id)


def _remember_account(env: Env, settings: Settings, account_id: str) -> None:
    """An account found by lookup is saved to the active profile, when there is one, so
    later runs make no extra request."""
    if not settings.profile_exists:
        return
    config.update_profile(settings.config_file, settings.profile, {"account_id": account_id})
    env.error_line(f"note: account {account_id} remembered in profile {settings.profile!r}")


def choose_account(client: Client, env: Env, interactive: bool) -> Account:
    """The token's only account; with several, the user's choice on a terminal."""
    accounts = client.list_accounts()
    if not accounts:
        raise AuthError(
            "the token has access to no account",
            "check the token's account resources in the Cloudflare dashboard",
        )
    if len(accounts) == 1:
        return accounts[0]
    if not interactive:
        listed = ", ".join(f"{a.id} ({a.name})" for a in accounts)
        raise UsageError(
            f"the token can read several accounts: {listed}",
            "choose one with --account-id or CLOUDFLARE_ACCOUNT_ID",
        )
    for number, account in enumerate(accounts, 1):
        env.error_line(f"  {number}. {account.name}  {account.id}")
    for _ in range(3):
        answer = env.ask(f"Account [1-{len(accounts)}]: ").strip()
        if answer.isdigit() and 1 <= int(answer) <= len(accounts):
            return accounts[int(answer) - 1]
    raise UsageError("no account chosen", "choose one with --account-id")
