"""The commands that set up credentials and show the configuration: auth and config."""

from typing import Annotated

import typer

from ..env import Env
from .app import app, run_command
from .checks import api_options
from .options import AccountOpt, ApiUrlOpt, JsonOpt, ProfileOpt, VerboseOpt

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
        from ..commands.auth import run_login
        from ..commands.options import LoginOptions

        api = api_options(profile, account_id, api_url, verbose)
        return run_login(LoginOptions(api, with_token, email), env)

    run_command(ctx, work)


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
        from ..commands.auth import run_status

        return run_status(api_options(profile, account_id, api_url, verbose), env)

    run_command(ctx, work)


@auth_app.command(
    "logout",
    epilog="\b\nExamples:\n  cf-buildlogs auth logout\n  cf-buildlogs auth logout --profile ci",
)
def logout_command(ctx: typer.Context, profile: ProfileOpt = None) -> None:
    """Remove the profile's saved secret (and only it)."""

    def work(env: Env) -> int:
        from ..commands.auth import run_logout

        return run_logout(api_options(profile, None, None, False), env)

    run_command(ctx, work)


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
        from ..commands.config import run_config_path

        return run_config_path(env, directory)

    run_command(ctx, work)


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
        from ..commands.config import run_config_show

        opts = api_options(profile, account_id, api_url, False)
        return run_config_show(opts, env, as_json=json_)

    run_command(ctx, work)
