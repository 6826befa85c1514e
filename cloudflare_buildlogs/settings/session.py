"""A session with the API: settings resolved, the HTTP client opened, the account settled.

Shared by every command that talks to the API (`commands.py`, `auth.py`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, NamedTuple

from ..analysis.untrusted import field
from ..env import Env
from ..errors import PERMISSION_HINT, AuthError, ConfigError, UsageError
from ..models import Account, Credentials
from . import config
from .accounts import remember_account
from .config import Settings

if TYPE_CHECKING:  # httpx costs ~100 ms to import: a build read from the store needs none
    from ..api import Client
    from ..store.entries import Store


HTTP_TIMEOUT = 30.0


class ApiOptions(NamedTuple):
    profile: str | None = None
    account_id: str | None = None
    api_url: str | None = None
    verbose: bool = False
    no_cache: bool = False  # --no-cache: the local store is neither read nor written


class Session:
    """The settings of one command, with the HTTP client and the account settled on first use:
    a build read from the local store costs no request, and not even a client."""

    def __init__(self, opts: ApiOptions, env: Env, settings: Settings, stack: ExitStack) -> None:
        self.opts, self.env, self.settings, self._stack = opts, env, settings, stack
        self._deadline: float | None = None

    @functools.cached_property
    def client(self) -> Client:
        settings = self.settings
        if settings.credentials is None:
            raise AuthError(f"no credentials: {settings.why_no_credentials}", PERMISSION_HINT)
        return self._stack.enter_context(
            make_client(self.env, settings, settings.credentials, self.opts.verbose)
        )

    @functools.cached_property
    def account_id(self) -> str:
        account_id = config.check_account(self.settings.account_id)
        if account_id is None:
            account_id = choose_account(self.client, self.env, interactive=False).id
            _remember_account(self.env, self.settings, account_id, self.opts.verbose)
        return account_id

    @property
    def api_url(self) -> str:
        return self.settings.api_url.value or config.DEFAULT_API_URL

    @functools.cached_property
    def store(self) -> Store | None:
        """The local store of finished logs, unless an off switch says no."""
        cache = self.settings.cache
        if self.opts.no_cache or not cache.enabled:
            return None
        from ..store.entries import Store

        note = self.env.error_line if self.opts.verbose else None
        store = Store(cache.directory, cache.max_bytes, note)
        problem = store.unusable()
        if problem is not None:  # one warning; the log is still printed, from the API
            self.env.error_line(f"warning: {problem}: the store is not used")
            return None
        return store

    def deadline(self, timeout: float) -> float:
        """When a command that waits must end: `timeout` from the first time it is asked."""
        if self._deadline is None:
            self._deadline = self.env.monotonic() + timeout
        return self._deadline

    @property
    def used_network(self) -> bool:
        return "client" in self.__dict__


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
    from ..api import Client

    url = settings.api_url.value or config.DEFAULT_API_URL
    with env.http_client(HTTP_TIMEOUT, url.startswith("https://")) as http:
        client = Client(
            http,
            url,
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
    """Resolve the settings; the HTTP client and the account come when first needed."""
    settings = resolve(opts, env)
    with ExitStack() as stack:
        session = Session(opts, env, settings, stack)
        yield session
        if opts.verbose and not session.used_network:
            env.error_line("0 requests")


def _remember_account(env: Env, settings: Settings, account_id: str, verbose: bool) -> None:
    """An account found by lookup is kept so later runs make no extra request: in the tool's
    own `accounts.json` beside the config, under a digest of the credential. A read never
    rewrites config.toml, which is the user's file (comments and all); `auth login` writes
    it. A failure to write changes nothing of the command (a note under -v names it)."""
    if settings.credentials is None:
        return
    path = settings.accounts_file
    try:
        remember_account(path, settings.api_url.value, settings.credentials, account_id)
    except (OSError, ConfigError) as exc:
        if verbose:
            env.error_line(f"note: account {account_id} not remembered ({_why(exc)})")
        return
    env.error_line(f"note: account {account_id} remembered in {path}")


def _why(exc: Exception) -> str:
    if isinstance(exc, ConfigError):
        return exc.message
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


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
        listed = ", ".join(f"{field(a.id)} ({field(a.name)})" for a in accounts)
        raise UsageError(
            f"the token can read several accounts: {listed}",
            "choose one with --account-id or CLOUDFLARE_ACCOUNT_ID",
        )
    for number, account in enumerate(accounts, 1):
        env.error_line(f"  {number}. {field(account.name)}  {field(account.id)}")
    for _ in range(3):
        answer = env.ask(f"Account [1-{len(accounts)}]: ").strip()
        if answer.isdigit() and 1 <= int(answer) <= len(accounts):
            return accounts[int(answer) - 1]
    raise UsageError("no account chosen", "choose one with --account-id")
