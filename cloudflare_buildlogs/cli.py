"""The command line: typer declarations, validation, and the edge where errors become exits.

Each command parses its options into a frozen object and hands it to `commands.run_*`; what
any layer raises is turned into one message and one exit status by `errors.translate`.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer
from typer._click import exceptions as click_exceptions

from . import version_line
from .env import Env
from .errors import ExitCode, UsageError, translate

if TYPE_CHECKING:  # the commands import httpx: only the commands that run pay for it
    from .commands import LogOptions
    from .render import OutputFormat
    from .session import ApiOptions

PROG = "cf-buildlogs"
SHA_RE = re.compile(r"[0-9a-f]{4,40}", re.I)
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)

ROOT_EXAMPLES = """\b
Examples:
  cf-buildlogs demo                                    # try it, no account needed
  cf-buildlogs auth login                              # once: save a token
  cf-buildlogs get 5b1d8f2e-7c3a-4e9b-a6d0-1f2e3d4c5b6a
  git push && cf-buildlogs latest --commit HEAD --wait --follow
  cf-buildlogs list -o json | jq -r '.[0].build_uuid'

Exit status: 0 done (with --follow/--exit-status: the build succeeded), 1 the build failed,
2 usage, 3 credentials or permission, 4 not found, 5 API or network, 6 --timeout, 130 Ctrl-C.
"""

app = typer.Typer(
    name=PROG,
    help="Read the build logs of Cloudflare Workers Builds.",
    epilog=ROOT_EXAMPLES,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rich-formatted help costs ~100 ms of start-up
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)

T = TypeVar("T")
COLOR_CHOICES = ("auto", "always", "never")


# -- shell completion of values ------------------------------------------------------------


def complete_worker(incomplete: str) -> list[str]:
    """Worker names from the nearest wrangler config: its own and its environments'."""
    from .wrangler import find_config

    try:
        found = find_config(Path.cwd())
    except OSError:
        return []
    names = [found.name, *found.env_names] if found and found.name else []
    return [name for name in names if name.startswith(incomplete)]


def complete_profile(incomplete: str) -> list[str]:
    """Profile names from the config file."""
    from . import config

    try:
        data = config.load_config(config.config_dir(os.environ) / config.CONFIG_FILE_NAME).data
    except UsageError:
        return []
    return [name for name in data.get("profiles", {}) if name.startswith(incomplete)]


# -- options shared by the commands ------------------------------------------------------

ProfileOpt = Annotated[
    str | None,
    typer.Option(
        "--profile",
        metavar="NAME",
        help="Config profile [env: CF_BUILDLOGS_PROFILE].",
        autocompletion=complete_profile,
    ),
]
AccountOpt = Annotated[
    str | None,
    typer.Option(
        "--account-id",
        metavar="ID",
        help="Cloudflare account id [env: CLOUDFLARE_ACCOUNT_ID]; found from the token when "
        "it has only one.",
    ),
]
ApiUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--api-url",
        metavar="URL",
        help="API base URL [env: CLOUDFLARE_API_BASE_URL]; http:// only for loopback hosts.",
    ),
]
VerboseOpt = Annotated[
    bool,
    typer.Option(
        "--verbose",
        "-v",
        help="Log each HTTP request, its status, duration and retries to "
        "stderr (secrets redacted).",
    ),
]
OutputOpt = Annotated[
    str, typer.Option("--output", "-o", metavar="text|json|ndjson", help="Output format.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Shorthand for --output json.")]
NdjsonOpt = Annotated[bool, typer.Option("--ndjson", help="Shorthand for --output ndjson.")]
TimestampsOpt = Annotated[
    str,
    typer.Option(
        "--timestamps", metavar="local|utc|elapsed|epoch|none", help="How to show each line's time."
    ),
]
NoTimestampsOpt = Annotated[
    bool, typer.Option("--no-timestamps", help="Shorthand for --timestamps none.")
]
ColorOpt = Annotated[
    str,
    typer.Option(
        "--color",
        metavar="auto|always|never",
        help="Colour: auto = only on a terminal (NO_COLOR and FORCE_COLOR honoured).",
    ),
]
TailOpt = Annotated[int | None, typer.Option("--tail", metavar="N", help="Only the last N lines.")]
FollowOpt = Annotated[
    bool,
    typer.Option(
        "--follow",
        "-f",
        help="Keep reading until the build stops; the exit status then tells its outcome.",
    ),
]
IntervalOpt = Annotated[
    float,
    typer.Option(
        "--interval",
        metavar="SECONDS",
        help="With --follow: seconds between polls while lines flow (longer while quiet).",
    ),
]
TimeoutOpt = Annotated[
    str | None,
    typer.Option(
        "--timeout",
        metavar="DURATION",
        help="With --follow or --wait: give up after this long (90s, 10m, 1h), exit 6.",
    ),
]
ExitStatusOpt = Annotated[
    bool,
    typer.Option(
        "--exit-status",
        help="Without --follow: exit 1 when the build stopped with an outcome other than success.",
    ),
]
BranchOpt = Annotated[
    str | None, typer.Option("--branch", metavar="NAME", help="Only builds of this branch.")
]


WorkerArg = Annotated[
    str | None,
    typer.Argument(
        metavar="[WORKER]",
        autocompletion=complete_worker,
        help="The Worker's name or 32-hex tag; default: the `name` in the nearest "
        "wrangler.toml/json/jsonc.",
        show_default=False,
    ),
]

DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: str) -> float:
    """`90s`, `10m`, `1h30m`, or plain seconds."""
    text = value.strip().lower()
    try:
        seconds = float(text)
    except ValueError:
        parts = DURATION_RE.findall(text)
        if not parts or "".join(n + u for n, u in parts) != text:
            raise UsageError(
                f"not a duration: {value!r}", "write it like 90s, 10m, 1h or 1h30m"
            ) from None
        seconds = sum(float(n) * DURATION_UNITS[u] for n, u in parts)
    if not seconds > 0:  # also refuses nan
        raise UsageError(f"the duration must be more than zero, not {value!r}")
    return seconds


def _choice(name: str, value: str, enum_type: Callable[[str], T], allowed: Sequence[str]) -> T:
    try:
        return enum_type(value)
    except ValueError:
        raise UsageError(f"{name} must be one of {', '.join(allowed)}, not {value!r}") from None


def _api_options(
    profile: str | None, account_id: str | None, api_url: str | None, verbose: bool
) -> ApiOptions:
    from .session import ApiOptions

    return ApiOptions(profile=profile, account_id=account_id, api_url=api_url, verbose=verbose)


def _output(output: str, json_: bool, ndjson: bool) -> OutputFormat:
    from .render import OutputFormat

    if json_ and ndjson:
        raise UsageError("--json and --ndjson cannot be used together")
    if (json_ or ndjson) and output != "text":
        raise UsageError("--output cannot be combined with --json or --ndjson")
    fmt = "json" if json_ else "ndjson" if ndjson else output
    return _choice("--output", fmt, OutputFormat, [f.value for f in OutputFormat])


def _color(color: str) -> str:
    if color not in COLOR_CHOICES:
        raise UsageError(f"--color must be one of {', '.join(COLOR_CHOICES)}, not {color!r}")
    return color


@dataclass(frozen=True)
class LogFlags:
    """The log flags of `get` and `latest` as typed, before they are checked together."""

    output: str
    json_: bool
    ndjson: bool
    timestamps: str
    no_timestamps: bool
    color: str
    tail: int | None
    follow: bool
    interval: float
    timeout: str | None
    exit_status: bool


def _log_options(flags: LogFlags, waits: bool = False) -> LogOptions:
    """The log options of `get` and `latest`, checked together; `waits` for `latest --wait`."""
    from .commands import DEFAULT_WAIT, LogOptions
    from .render import TimestampMode

    if flags.no_timestamps and flags.timestamps != "local":
        raise UsageError("--no-timestamps cannot be combined with --timestamps")
    if flags.tail is not None and flags.tail < 0:
        raise UsageError(f"--tail must be 0 or more, not {flags.tail}")
    if not 0 < flags.interval <= 3600:
        raise UsageError(
            f"--interval must be over 0 and at most 3600 seconds, not {flags.interval}"
        )
    if flags.timeout is not None and not (flags.follow or waits):
        raise UsageError("--timeout needs --follow (or --wait)")
    return LogOptions(
        output=_output(flags.output, flags.json_, flags.ndjson),
        timestamps=_choice(
            "--timestamps",
            "none" if flags.no_timestamps else flags.timestamps,
            TimestampMode,
            [m.value for m in TimestampMode],
        ),
        color=_color(flags.color),
        tail=flags.tail,
        follow=flags.follow,
        interval=flags.interval,
        timeout=DEFAULT_WAIT if flags.timeout is None else parse_duration(flags.timeout),
        exit_status=flags.exit_status,
    )


def check_uuid(value: str) -> str:
    if not UUID_RE.fullmatch(value):
        raise UsageError(
            f"not a build UUID: {value!r}",
            "a build UUID looks like 5b1d8f2e-7c3a-4e9b-a6d0-1f2e3d4c5b6a",
        )
    return value.lower()


# -- running a command -------------------------------------------------------------------


def _env(ctx: typer.Context) -> Env:
    env = ctx.obj
    assert isinstance(env, Env)
    return env


def _run(ctx: typer.Context, work: Callable[[Env], int]) -> None:
    """Run a command's work; every error becomes its message and exit status here."""
    env = _env(ctx)
    try:
        code = work(env)
    except BrokenPipeError:
        _silence_stdout()
        code = ExitCode.OK
    except (Exception, KeyboardInterrupt) as exc:
        code = report(env, exc)
    raise typer.Exit(int(code))


def report(env: Env, exc: BaseException) -> int:
    outcome = translate(exc)
    try:
        env.stdout.flush()
    except (BrokenPipeError, ValueError):
        _silence_stdout()
    env.error_line(f"{PROG}: {outcome.message}")
    if outcome.hint:
        env.error_line(f"hint: {outcome.hint}")
    return int(outcome.code)


def _silence_stdout() -> None:
    """After the reader of stdout went away (`| head`): stop quietly, no second EPIPE at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    finally:
        os.close(devnull)


# -- commands ----------------------------------------------------------------------------


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(version_line() + "\n")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Read the build logs of Cloudflare Workers Builds."""


GET_EXAMPLES = """\b
Examples:
  cf-buildlogs get 5b1d8f2e-7c3a-4e9b-a6d0-1f2e3d4c5b6a
  cf-buildlogs get $BUILD --follow
  cf-buildlogs get $BUILD --timestamps elapsed --tail 50
  cf-buildlogs get $BUILD --json | jq -r '.lines[].message'
  cf-buildlogs get $BUILD --ndjson | jq -r 'select(.message | test("error"; "i")) | .message'
  cf-buildlogs get $BUILD --exit-status --no-timestamps --color never > build.log
"""


@app.command("get", epilog=GET_EXAMPLES)
def get_command(
    ctx: typer.Context,
    build_uuid: Annotated[str, typer.Argument(metavar="BUILD_UUID", help="The build's UUID.")],
    follow: FollowOpt = False,
    output: OutputOpt = "text",
    json_: JsonOpt = False,
    ndjson: NdjsonOpt = False,
    timestamps: TimestampsOpt = "local",
    no_timestamps: NoTimestampsOpt = False,
    color: ColorOpt = "auto",
    tail: TailOpt = None,
    interval: IntervalOpt = 2.0,
    timeout: TimeoutOpt = None,
    exit_status: ExitStatusOpt = False,
    profile: ProfileOpt = None,
    account_id: AccountOpt = None,
    api_url: ApiUrlOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Print the log of one build.

    Lines are printed as TIMESTAMP, two spaces, MESSAGE; stdout carries the log and nothing
    else. With --follow, waits for a running build and exits 0 when it succeeded (or was
    skipped), 1 when it failed, was cancelled or terminated; --timeout defaults to 45m.
    """
    log = LogFlags(output, json_, ndjson, timestamps, no_timestamps, color, tail, follow,
                   interval, timeout, exit_status)  # fmt: skip

    def work(env: Env) -> int:
        from .commands import GetOptions, run_get

        opts = GetOptions(
            build_uuid=check_uuid(build_uuid),
            api=_api_options(profile, account_id, api_url, verbose),
            log=_log_options(log),
        )
        return run_get(opts, env)

    _run(ctx, work)


LATEST_EXAMPLES = """\b
Examples:
  cf-buildlogs latest                        # the Worker of this folder's wrangler config
  cf-buildlogs latest my-worker --branch main
  git push && cf-buildlogs latest --commit HEAD --wait --follow
  cf-buildlogs latest --follow --ndjson | jq -c 'select(.type == "end")'
"""


@app.command("latest", epilog=LATEST_EXAMPLES)
def latest_command(
    ctx: typer.Context,
    worker: WorkerArg = None,
    branch: BranchOpt = None,
    commit: Annotated[
        str | None,
        typer.Option(
            "--commit", metavar="SHA", help="Only builds of this commit (a prefix, or HEAD)."
        ),
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait (within --timeout) until such a build exists.")
    ] = False,
    follow: FollowOpt = False,
    output: OutputOpt = "text",
    json_: JsonOpt = False,
    ndjson: NdjsonOpt = False,
    timestamps: TimestampsOpt = "local",
    no_timestamps: NoTimestampsOpt = False,
    color: ColorOpt = "auto",
    tail: TailOpt = None,
    interval: IntervalOpt = 2.0,
    timeout: TimeoutOpt = None,
    exit_status: ExitStatusOpt = False,
    profile: ProfileOpt = None,
    account_id: AccountOpt = None,
    api_url: ApiUrlOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Print the log of a Worker's most recent build.

    Takes every output and follow option of `get`. --branch and --commit pick the newest
    build that matches; --wait waits for it to appear.
    """
    log = LogFlags(output, json_, ndjson, timestamps, no_timestamps, color, tail, follow,
                   interval, timeout, exit_status)  # fmt: skip

    def work(env: Env) -> int:
        from .commands import LatestOptions, run_latest

        if commit is not None and commit.upper() != "HEAD" and not SHA_RE.fullmatch(commit):
            raise UsageError(f"--commit takes a hex commit prefix or HEAD, not {commit!r}")
        opts = LatestOptions(
            worker=worker,
            branch=branch,
            commit=commit.lower() if commit else None,
            wait=wait,
            api=_api_options(profile, account_id, api_url, verbose),
            log=_log_options(log, waits=wait),
        )
        return run_latest(opts, env)

    _run(ctx, work)


LIST_EXAMPLES = """\b
Examples:
  cf-buildlogs list
  cf-buildlogs list my-worker --branch main --limit 5
  cf-buildlogs list -o json | jq -r '.[] | select(.outcome == "fail") | .build_uuid'
  cf-buildlogs list | cut -f1,2         # tab-separated when piped
"""


@app.command("list", epilog=LIST_EXAMPLES)
def list_command(
    ctx: typer.Context,
    worker: WorkerArg = None,
    limit: Annotated[
        int, typer.Option("--limit", metavar="N", help="How many builds at most.")
    ] = 20,
    branch: BranchOpt = None,
    output: OutputOpt = "text",
    json_: JsonOpt = False,
    ndjson: NdjsonOpt = False,
    color: ColorOpt = "auto",
    profile: ProfileOpt = None,
    account_id: AccountOpt = None,
    api_url: ApiUrlOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """List a Worker's recent builds, newest first.

    A table on a terminal, tab-separated columns (with a header line) when piped.
    """

    def work(env: Env) -> int:
        from .commands import ListOptions, run_list

        if limit < 1:
            raise UsageError(f"--limit must be 1 or more, not {limit}")
        opts = ListOptions(
            worker=worker,
            branch=branch,
            limit=limit,
            output=_output(output, json_, ndjson),
            color=_color(color),
            api=_api_options(profile, account_id, api_url, verbose),
        )
        return run_list(opts, env)

    _run(ctx, work)


DEMO_EXAMPLES = """\b
Examples:
  cf-buildlogs demo
  cf-buildlogs demo --follow
"""


@app.command("demo", epilog=DEMO_EXAMPLES)
def demo_command(
    ctx: typer.Context,
    follow: Annotated[
        bool,
        typer.Option("--follow", "-f", help="Play the build live, from the queue to its end."),
    ] = False,
) -> None:
    """Run the real `get` against a built-in fake Cloudflare API: no account needed."""

    def work(env: Env) -> int:
        from .commands import LogOptions, run_demo

        return run_demo(env, LogOptions(follow=follow, interval=0.5))

    _run(ctx, work)


# -- auth and config ---------------------------------------------------------------------------

auth_app = typer.Typer(
    help="Set up, check and remove credentials.", no_args_is_help=True, rich_markup_mode=None
)
config_app = typer.Typer(
    help="Where the config lives, and what it resolves to.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(auth_app, name="auth")
app.add_typer(config_app, name="config")

LOGIN_EXAMPLES = """\b
Examples:
  cf-buildlogs auth login                              # asks for the token, hidden
  echo "$TOKEN" | cf-buildlogs auth login --with-token --profile ci
  cf-buildlogs auth login --account-id 0123456789abcdef0123456789abcdef
  cf-buildlogs auth login --email me@example.com       # legacy global API key
"""


@auth_app.command("login", epilog=LOGIN_EXAMPLES)
def login_command(
    ctx: typer.Context,
    with_token: Annotated[
        bool,
        typer.Option("--with-token", help="Read the token from standard input (for scripts)."),
    ] = False,
    email: Annotated[
        str | None,
        typer.Option(
            "--email",
            metavar="EMAIL",
            help="Log in with the legacy global API key of this account email instead.",
        ),
    ] = None,
    profile: ProfileOpt = None,
    account_id: AccountOpt = None,
    api_url: ApiUrlOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Verify an API token and save it, with its account, to a profile.

    The token needs "Workers CI Read" (dashboard: "Workers Builds Configuration: Read") and
    must be a user API token. The profile is written to config.toml with mode 0600.
    """

    def work(env: Env) -> int:
        from .auth import LoginOptions, run_login

        api = _api_options(profile, account_id, api_url, verbose)
        return run_login(LoginOptions(api, with_token, email), env)

    _run(ctx, work)


@auth_app.command(
    "status",
    epilog="\b\nExamples:\n  cf-buildlogs auth status\n  cf-buildlogs auth status --profile ci",
)
def status_command(
    ctx: typer.Context,
    profile: ProfileOpt = None,
    account_id: AccountOpt = None,
    api_url: ApiUrlOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Show which credentials are used, and check them against the API.

    Reports on stdout; exits 0 when the token is active and the Builds API answers, 3 with
    the fixing hint otherwise.
    """

    def work(env: Env) -> int:
        from .auth import run_status

        return run_status(_api_options(profile, account_id, api_url, verbose), env)

    _run(ctx, work)


@auth_app.command(
    "logout",
    epilog="\b\nExamples:\n  cf-buildlogs auth logout\n  cf-buildlogs auth logout --profile ci",
)
def logout_command(ctx: typer.Context, profile: ProfileOpt = None) -> None:
    """Remove the profile's saved secret (and only it)."""

    def work(env: Env) -> int:
        from .auth import run_logout

        return run_logout(_api_options(profile, None, None, False), env)

    _run(ctx, work)


@config_app.command(
    "path", epilog="\b\nExamples:\n  cf-buildlogs config path\n  ls -l $(cf-buildlogs config path)"
)
def config_path_command(
    ctx: typer.Context,
    directory: Annotated[
        bool, typer.Option("--dir", help="Print the config directory instead of the file.")
    ] = False,
) -> None:
    """Print the path of the config file in use."""

    def work(env: Env) -> int:
        from .auth import run_config_path

        return run_config_path(env, directory)

    _run(ctx, work)


@config_app.command(
    "show",
    epilog="\b\nExamples:\n  cf-buildlogs config show\n  cf-buildlogs config show --json | "
    "jq -r .account_id.source",
)
def config_show_command(
    ctx: typer.Context,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
    account_id: AccountOpt = None,
    api_url: ApiUrlOpt = None,
) -> None:
    """Show every setting as resolved, and where it came from (secrets masked)."""

    def work(env: Env) -> int:
        from .auth import run_config_show

        opts = _api_options(profile, account_id, api_url, False)
        return run_config_show(opts, env, as_json=json_)

    _run(ctx, work)


# -- the entry point ---------------------------------------------------------------------


def run(argv: Sequence[str] | None, env: Env) -> int:
    """Parse and run; returns the exit status. Usage errors are one line and a hint."""
    command = typer.main.get_command(app)
    try:
        result = command.main(
            args=list(argv) if argv is not None else None,
            prog_name=PROG,
            standalone_mode=False,
            obj=env,
        )
    except click_exceptions.NoArgsIsHelpError as exc:
        env.stdout.write(exc.format_message() + "\n")  # like gh: help, and success
        return int(ExitCode.OK)
    except click_exceptions.UsageError as exc:
        env.error_line(f"{PROG}: {exc.format_message()}")
        sub = exc.ctx.command_path if exc.ctx is not None else PROG
        env.error_line(f"hint: see `{sub} --help`")
        return int(ExitCode.USAGE)
    except click_exceptions.ClickException as exc:
        env.error_line(f"{PROG}: {exc.format_message()}")
        return int(ExitCode.USAGE)
    except typer.Abort:
        env.error_line(f"{PROG}: interrupted")
        return int(ExitCode.INTERRUPTED)
    return int(result or 0)


def main() -> NoReturn:
    sys.exit(run(None, Env.from_process()))
