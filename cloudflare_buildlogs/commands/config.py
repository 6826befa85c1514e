"""`config path|show`: where the config lives, and every setting as resolved."""

from __future__ import annotations

import json

from ..env import Env
from ..errors import ExitCode
from ..settings import config
from ..settings.session import ApiOptions, resolve


def run_config_path(env: Env, directory: bool) -> ExitCode:
    path = config.config_dir(env.environ) / config.CONFIG_FILE_NAME
    env.stdout.write(f"{path.parent if directory else path}\n")
    if not path.exists() and env.stderr_tty:
        env.error_line("(it does not exist yet: `cf-buildlogs auth login` creates it)")
    return ExitCode.OK


def run_config_show(opts: ApiOptions, env: Env, as_json: bool) -> ExitCode:
    """Every setting as resolved, with where it came from; secrets masked."""
    settings = resolve(opts, env)
    creds = settings.credentials
    rows = {
        "config_file": (
            str(settings.config_file),
            "exists" if settings.config_file.exists() else "missing",
        ),
        "profile": (settings.profile, settings.profile_source),
        "credential": (
            config.mask(creds.secrets[0]) if creds else None,
            creds.source if creds else "unset",
        ),
        "email": (
            creds.email if creds else None,
            creds.source if creds and creds.email else "unset",
        ),
        "account_id": (settings.account_id.value, settings.account_id.source),
        "api_url": (settings.api_url.value, settings.api_url.source),
        "cache": (
            str(settings.cache.directory) if settings.cache.enabled else None,
            f"on, at most {settings.cache.max_mb} MiB"
            if settings.cache.enabled
            else f"off ({settings.cache.source})",
        ),
    }
    if as_json:
        doc = {key: {"value": value, "source": source} for key, (value, source) in rows.items()}
        env.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        for key, (value, source) in rows.items():
            env.stdout.write(f"{key:<12} {value if value is not None else '-':<40} {source}\n")
    return ExitCode.OK
