"""Credentials a user can set up and trust: `auth login|status|logout`.

Reports go to stdout (`auth status`), notices and prompts to stderr.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..analysis.untrusted import field
from ..api import Client
from ..env import Env
from ..errors import PERMISSION_HINT, AuthError, CliError, ExitCode, NotFoundError, UsageError
from ..models import Credentials
from ..settings import config, files
from ..settings.config import Settings
from ..settings.session import ApiOptions, choose_account, make_client, resolve
from .options import LoginOptions

USER_TOKEN_HINT = (
    'create a user API token (My Profile > API Tokens) with "Workers CI Read" '
    '(dashboard: "Workers Builds Configuration: Read")'
)


def _read_secret(env: Env, opts: LoginOptions) -> str:
    what = "global API key" if opts.email else "API token"
    if opts.with_token:
        secret = env.stdin.read().strip() if env.stdin is not None else ""
        if not secret:
            raise UsageError(f"--with-token: no {what} on standard input")
    elif env.stdin_tty:
        secret = env.ask_secret(f"Paste your Cloudflare {what} (input is hidden): ").strip()
        if not secret:
            raise UsageError(f"no {what} given")
    else:
        raise UsageError(
            f"standard input is not a terminal: pipe the {what} in with --with-token",
            'echo "$TOKEN" | cf-buildlogs auth login --with-token',
        )
    if any(c.isspace() for c in secret):
        raise UsageError(f"that {what} holds white space; paste it alone")
    return secret


def _prove_builds_access(client: Client, account_id: str) -> None:
    try:
        client.check_builds_access(account_id)
    except AuthError as exc:
        raise AuthError(
            f"the token cannot read Workers builds: {exc.message}", exc.hint or PERMISSION_HINT
        ) from exc


def run_login(opts: LoginOptions, env: Env) -> ExitCode:
    """Verify a token, settle its account, and save both to a profile."""
    settings = resolve(opts.api, env)
    secret = _read_secret(env, opts)
    env.secrets.add(secret)
    creds = (
        Credentials("login", email=opts.email, api_key=secret)
        if opts.email
        else Credentials("login", token=secret)
    )
    with make_client(env, settings, creds, opts.api.verbose) as client:
        if creds.token:
            info = client.verify_token()
            if info.status != "active":
                raise AuthError(f"the token is {info.status}", USER_TOKEN_HINT)
        account_id = (
            opts.api.account_id
            or choose_account(client, env, interactive=env.stdin_tty and not opts.with_token).id
        )
        _prove_builds_access(client, account_id)
    changes: dict[str, str | None] = {
        "account_id": account_id,
        "api_token": None if opts.email else secret,
        "api_key": secret if opts.email else None,
        "email": opts.email,
    }
    if opts.api.api_url:
        changes["api_url"] = settings.api_url.value
    files.update_profile(settings.config_file, settings.profile, changes)
    env.error_line(
        f"Logged in: profile {settings.profile!r} saved in {settings.config_file} "
        f"(account {account_id})."
    )
    if settings.credentials is not None and settings.credentials.source.startswith("CLOUDFLARE"):
        env.error_line(
            f"note: {settings.credentials.source} is set in the environment and "
            "takes precedence over the saved profile"
        )
    return ExitCode.OK


@dataclass
class Report:
    """`auth status`: lines for stdout; the first problem's message and hint for stderr."""

    env: Env
    problem: CliError | None = None

    def line(self, key: str, value: str) -> None:
        self.env.stdout.write(f"{key + ':':<12} {self.env.redact(field(value))}\n")

    def fail(self, key: str, value: str, problem: CliError) -> None:
        self.line(key, value)
        self.problem = self.problem or problem


def store_state(settings: Settings) -> str:
    """`on: /path (at most 500 MiB)`, or `off (CF_BUILDLOGS_NO_CACHE)`: where logs are kept."""
    cache = settings.cache
    if not cache.enabled:
        return f"off ({cache.source}): no log is kept on disk"
    return f"on: {cache.directory} (at most {cache.max_mb} MiB)"


def run_status(opts: ApiOptions, env: Env) -> ExitCode:
    """Which credential won, the token's state, the account, and whether builds answer."""
    settings = resolve(opts, env)
    report = Report(env)
    report.line("profile", f"{settings.profile} ({settings.profile_source})")
    report.line("api", f"{settings.api_url.value} ({settings.api_url.source})")
    report.line("store", store_state(settings))
    creds = settings.credentials
    if creds is None:
        report.fail(
            "credential",
            "none",
            AuthError(
                f"no credentials: {settings.why_no_credentials}",
                "set CLOUDFLARE_API_TOKEN, or run `cf-buildlogs auth login`",
            ),
        )
    else:
        kind = "API token" if creds.token else f"global API key of {creds.email}"
        report.line("credential", f"{kind} {config.mask(creds.secrets[0])} ({creds.source})")
        with make_client(env, settings, creds, opts.verbose) as client:
            _check(report, client, env, settings, creds)
    env.stdout.flush()
    if report.problem is not None:
        for line in report.problem.message.splitlines() or [""]:
            env.error_line(f"cf-buildlogs: {line}")
        if report.problem.hint:
            env.error_line(f"hint: {report.problem.hint}")
        return ExitCode.AUTH
    return ExitCode.OK


def _check(
    report: Report, client: Client, env: Env, settings: Settings, creds: Credentials
) -> None:
    if creds.token:
        try:
            info = client.verify_token()
        except AuthError as exc:
            report.fail("token", "rejected", AuthError(exc.message, USER_TOKEN_HINT))
            return
        expiry = f", expires {info.expires_on}" if info.expires_on else ", no expiry"
        if info.status != "active":
            when = f", expires {info.expires_on}" if info.expires_on else ""
            report.fail(
                "token",
                f"{info.status}{when}",
                AuthError(f"the token is {info.status}", USER_TOKEN_HINT),
            )
            return
        report.line("token", f"active{expiry}")
    account_id, source = settings.account_id.value, settings.account_id.source
    if account_id is None:
        try:
            account = choose_account(client, env, interactive=False)
        except UsageError as exc:
            report.fail(
                "account",
                "not chosen",
                AuthError(exc.message, "set CLOUDFLARE_ACCOUNT_ID, or pass --account-id"),
            )
            return
        account_id, source = account.id, f"the token's only account, {account.name}"
    report.line("account", f"{account_id} ({source})")
    try:
        client.check_builds_access(account_id)
    except (AuthError, NotFoundError) as exc:
        report.fail("builds api", "refused", exc)
        return
    report.line("builds api", "ok")
    report.line("writes", 'rerun, build and cancel need "Workers CI Write" (not checked)')


def run_logout(opts: ApiOptions, env: Env) -> ExitCode:
    """Remove the profile's secret, and only it."""
    settings = config.resolve(env.environ, profile=opts.profile)
    entry = config.load_config(settings.config_file).profile(settings.profile)
    if not any(entry.get(key) for key in config.SECRET_KEYS):
        env.error_line(f"profile {settings.profile!r} holds no secret; nothing to do")
    else:
        files.update_profile(
            settings.config_file, settings.profile, dict.fromkeys(config.SECRET_KEYS)
        )
        env.error_line(
            f"Logged out: removed the secret of profile {settings.profile!r} from "
            f"{settings.config_file}."
        )
    if settings.credentials is not None and settings.credentials.source.startswith("CLOUDFLARE"):
        env.error_line(f"note: {settings.credentials.source} is still set in the environment")
    return ExitCode.OK
