"""One `run_*(options, env) -> ExitCode` per command: orchestration only.

No parsing (that is `cli.py`), no HTTP details (that is `api/`), no formatting (`render.py`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from . import config
from .api import Client
from .env import Env
from .errors import AuthError, ExitCode, UsageError
from .follow import read_log
from .render import OutputFormat, TailBuffer, TimestampMode, Writer, make_writer

HTTP_TIMEOUT = 30.0


@dataclass(frozen=True)
class ApiOptions:
    profile: str | None = None
    account_id: str | None = None
    api_url: str | None = None
    verbose: bool = False


@dataclass(frozen=True)
class LogOptions:
    output: OutputFormat = OutputFormat.TEXT
    timestamps: TimestampMode = TimestampMode.LOCAL
    color: str = "auto"
    tail: int | None = None


@dataclass(frozen=True)
class GetOptions:
    build_uuid: str
    api: ApiOptions = ApiOptions()
    log: LogOptions = LogOptions()


@dataclass(frozen=True)
class Session:
    client: Client
    account_id: str


@contextmanager
def open_session(opts: ApiOptions, env: Env) -> Iterator[Session]:
    """Resolve the settings, open the HTTP client, and settle which account to read."""
    settings = config.resolve(
        env.environ, profile=opts.profile, account_id=opts.account_id, api_url=opts.api_url
    )
    env.secrets.update(settings.secrets)
    for warning in settings.warnings:
        env.error_line(warning)
    with env.http_client(HTTP_TIMEOUT) as http:
        client = Client(
            http,
            settings.api_url.value or config.DEFAULT_API_URL,
            settings.credentials,
            sleep=env.sleep,
            now=env.now,
            monotonic=env.monotonic,
            log=env.error_line if opts.verbose else None,
        )
        account_id = settings.account_id.value or _only_account(client)
        yield Session(client, account_id)
        if opts.verbose:
            env.error_line(f"{client.requests} requests")


def _only_account(client: Client) -> str:
    accounts = client.list_accounts()
    if not accounts:
        raise AuthError(
            "the token has access to no account",
            "check the token's account resources in the Cloudflare dashboard",
        )
    if len(accounts) > 1:
        listed = ", ".join(f"{a.id} ({a.name})" for a in accounts)
        raise UsageError(
            f"the token can read several accounts: {listed}",
            "choose one with --account-id or CLOUDFLARE_ACCOUNT_ID",
        )
    return accounts[0].id


def _writer(opts: LogOptions, env: Env, build_uuid: str) -> Writer:
    return make_writer(
        opts.output,
        env.stdout,
        build_uuid=build_uuid,
        mode=opts.timestamps,
        color=env.color(opts.color),
        flush=False,
    )


def run_get(opts: GetOptions, env: Env) -> ExitCode:
    """Print one build's whole log."""
    with open_session(opts.api, env) as session:
        writer = _writer(opts.log, env, opts.build_uuid)
        sink = TailBuffer(writer, opts.log.tail) if opts.log.tail is not None else writer
        try:
            for lines in read_log(session.client, session.account_id, opts.build_uuid):
                sink.write(lines)
            if isinstance(sink, TailBuffer):
                sink.release()
        finally:
            writer.close()
    return ExitCode.OK


def run_demo(env: Env) -> ExitCode:
    """The real `get` against the built-in fake API, with no account and no token."""
    from . import fake_api

    with fake_api.serve(fake_api.demo_state()) as server:
        environ = {
            **{k: v for k, v in env.environ.items() if not k.startswith(("CLOUDFLARE_", "CF_"))},
            config.ENV_TOKEN: fake_api.DEMO_TOKEN,
            config.ENV_CONFIG_DIR: str(server.scratch_dir),
        }
        demo_env = dataclasses.replace(env, environ=environ)
        if env.stderr_tty:
            env.error_line(f"demo: a fake Cloudflare API is serving on {server.url}")
        code = run_get(GetOptions(fake_api.DEMO_BUILD, ApiOptions(api_url=server.url)), demo_env)
    env.error_line(
        "\nThat was the real `get` against a built-in fake of the Cloudflare API. For your own"
        " builds:\n  export CLOUDFLARE_API_TOKEN=...   # a user API token with"
        ' "Workers CI Read"\n  cf-buildlogs get BUILD_UUID'
    )
    return code
