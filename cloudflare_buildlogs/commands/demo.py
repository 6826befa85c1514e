"""`demo`: the real `get` or `summary` against the built-in fake Cloudflare API."""

from __future__ import annotations

from ..env import Env
from ..errors import ExitCode
from ..settings import config
from ..settings.buildref import BuildRef
from ..settings.session import ApiOptions
from .get import run_get
from .options import GetOptions, LogOptions


def run_demo(env: Env, log: LogOptions | None = None, failed: bool = False) -> ExitCode:
    """The real `get` (or `summary`) against the built-in fake API, with no account and no
    token; `failed` plays a build that fails in its deploy step."""
    from .. import fake_api

    log = log or LogOptions()
    state = fake_api.demo_state(live=log.follow, clock=env.monotonic, failed=failed)
    with fake_api.serve(state) as server:
        environ = {
            **{k: v for k, v in env.environ.items() if not k.startswith(("CLOUDFLARE_", "CF_"))},
            config.ENV_TOKEN: fake_api.DEMO_TOKEN,
            config.ENV_CONFIG_DIR: str(server.scratch_dir),
            config.ENV_NO_CACHE: "1",  # the fake's builds are not worth keeping
        }
        demo_env = env.replace(environ=environ)
        if env.stderr_tty:
            env.error_line(f"demo: a fake Cloudflare API is serving on {server.url}")
        uuid = fake_api.DEMO_FAILED_BUILD if failed else fake_api.DEMO_BUILD
        build = BuildRef(uuid, fake_api.DEMO_ACCOUNT, "my-worker", "production")
        api = ApiOptions(account_id=fake_api.DEMO_ACCOUNT, api_url=server.url)
        code = run_get(GetOptions(build, api, log), demo_env)  # --summary is print_log's
    command = "summary" if log.summary is not None else "get"
    env.error_line(
        f"\nThat was the real `{command}` against a built-in fake of the Cloudflare API. For your"
        " own builds:\n  export CLOUDFLARE_API_TOKEN=...   # a user API token with"
        f' "Workers CI Read"\n  cf-buildlogs {command} BUILD_UUID'
    )
    return code
