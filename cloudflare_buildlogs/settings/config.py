"""Settings: profiles, environment variables, their precedence, the config file, masking.

One precedence for every setting, each resolved on its own (README, "Configuration"):
flag > environment > the active profile in config.toml > built-in default.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from ..errors import ConfigError, UsageError
from ..models import Credentials

DEFAULT_API_URL = "https://api.cloudflare.com/client/v4"
CONFIG_FILE_NAME = "config.toml"


APP_NAME = "cf-buildlogs"
ENV_TOKEN = "CLOUDFLARE_API_TOKEN"


ENV_KEY = "CLOUDFLARE_API_KEY"
ENV_EMAIL = "CLOUDFLARE_EMAIL"


ENV_ACCOUNT = "CLOUDFLARE_ACCOUNT_ID"
ENV_API_URL = "CLOUDFLARE_API_BASE_URL"


ENV_PROFILE = "CF_BUILDLOGS_PROFILE"
ENV_CONFIG_DIR = "CF_BUILDLOGS_CONFIG_DIR"


ENV_CACHE_DIR = "CF_BUILDLOGS_CACHE_DIR"
ENV_NO_CACHE = "CF_BUILDLOGS_NO_CACHE"


ACCOUNTS_FILE_NAME = "accounts.json"  # accounts found from a token, kept without a profile
DEFAULT_CACHE_MAX_MB = 500


SECRET_KEYS = ("api_token", "api_key")


class Setting(NamedTuple):
    value: str | None
    source: str


class CacheSettings(NamedTuple):
    """The local store of finished logs (README, "Offline and repeated reads"): on or off,
    where, how big."""

    enabled: bool
    override: Path | None  # CF_BUILDLOGS_CACHE_DIR
    max_mb: int
    source: str  # what decided `enabled`

    @property
    def directory(self) -> Path:
        if self.override is not None:
            return self.override
        import platformdirs  # only when needed: ~20 ms of start-up

        return Path(platformdirs.user_cache_dir(APP_NAME))

    @property
    def max_bytes(self) -> int:
        return self.max_mb * 1024 * 1024


class Settings(NamedTuple):
    profile: str
    profile_source: str
    profile_exists: bool
    config_file: Path
    credentials: Credentials | None
    account_id: Setting
    api_url: Setting
    cache: CacheSettings
    warnings: tuple[str, ...] = ()
    why_no_credentials: str = ""  # when `credentials` is None: what is missing, and the fix

    @property
    def accounts_file(self) -> Path:
        return self.config_file.with_name(ACCOUNTS_FILE_NAME)

    @property
    def secrets(self) -> tuple[str, ...]:
        return self.credentials.secrets if self.credentials else ()


class ConfigFile(NamedTuple):
    path: Path
    data: dict[str, Any]
    warnings: tuple[str, ...]

    def profile(self, name: str) -> dict[str, Any]:
        profiles = self.data.get("profiles", {})
        entry = profiles.get(name, {}) if isinstance(profiles, dict) else {}
        return entry if isinstance(entry, dict) else {}


def config_dir(environ: Mapping[str, str]) -> Path:
    override = environ.get(ENV_CONFIG_DIR)
    if override:
        return Path(override).expanduser()
    import platformdirs  # only when needed: ~20 ms of start-up

    return Path(platformdirs.user_config_dir(APP_NAME))


def load_config(path: Path) -> ConfigFile:
    """Read config.toml; a missing file is an empty one, a broken one a usage error."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return ConfigFile(path, {}, ())
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    if sys.version_info >= (3, 11):  # imported only when there is a file: ~6 ms
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path}: not valid TOML: {exc}",
            "fix or remove the file; see `cf-buildlogs config path`",
        ) from exc
    _check_shape(path, data)
    return ConfigFile(path, data, _permission_warnings(path, data))


def _check_shape(path: Path, data: dict[str, Any]) -> None:
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"{path}: `profiles` must be a table of [profiles.NAME] tables")
    for name, entry in profiles.items():
        if not isinstance(entry, dict):
            raise ConfigError(f"{path}: profiles.{name} must be a table")
        for key, value in entry.items():
            if not isinstance(value, str):
                raise ConfigError(f"{path}: profiles.{name}.{key} must be a string")
    default = data.get("default_profile")
    if default is not None and not isinstance(default, str):
        raise ConfigError(f"{path}: default_profile must be a string")
    if not isinstance(data.get("cache", True), bool):
        raise ConfigError(f"{path}: cache must be true or false")
    size = data.get("cache_max_mb", DEFAULT_CACHE_MAX_MB)
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ConfigError(f"{path}: cache_max_mb must be a whole number of MiB, 0 or more")


def _holds_secret(data: dict[str, Any]) -> bool:
    profiles = data.get("profiles", {})
    return any(entry.get(key) for entry in profiles.values() for key in SECRET_KEYS)


def _permission_warnings(path: Path, data: dict[str, Any]) -> tuple[str, ...]:
    if os.name != "posix" or not _holds_secret(data):
        return ()
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        return (
            f"warning: {path} holds a secret and is readable by others "
            f"(mode {mode:04o}); run: chmod 600 {path}",
        )
    return ()


def check_api_url(url: str) -> str:
    """https anywhere; http only to a loopback host. Returns the URL without a trailing /."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return url.rstrip("/")
    if parts.scheme == "http" and host and _is_loopback(host):
        return url.rstrip("/")
    raise UsageError(
        f"unusable API URL {url!r}: it must be https://, or http:// to a loopback host "
        "(127.0.0.0/8, ::1, localhost)"
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    import ipaddress  # only for an http:// URL

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _pick(
    flag: str | None,
    env_name: str,
    environ: Mapping[str, str],
    profile: dict[str, Any],
    key: str,
    profile_source: str,
) -> Setting:
    if flag:
        return Setting(flag, "flag")
    if environ.get(env_name):
        return Setting(environ[env_name], env_name)
    if profile.get(key):
        return Setting(profile[key], profile_source)
    return Setting(None, "unset")


def _credentials(
    environ: Mapping[str, str], profile: dict[str, Any], profile_source: str
) -> Credentials | None:
    if environ.get(ENV_TOKEN):
        return Credentials(ENV_TOKEN, token=environ[ENV_TOKEN])
    if environ.get(ENV_KEY) and environ.get(ENV_EMAIL):
        return Credentials(
            f"{ENV_KEY} + {ENV_EMAIL}", email=environ[ENV_EMAIL], api_key=environ[ENV_KEY]
        )
    if profile.get("api_token"):
        return Credentials(profile_source, token=profile["api_token"])
    if profile.get("api_key") and profile.get("email"):
        return Credentials(profile_source, email=profile["email"], api_key=profile["api_key"])
    return None


def _profile_name(
    flag: str | None, environ: Mapping[str, str], file: ConfigFile
) -> tuple[str, str]:
    if flag:
        return flag, "flag"
    if environ.get(ENV_PROFILE):
        return environ[ENV_PROFILE], ENV_PROFILE
    if file.data.get("default_profile"):
        return file.data["default_profile"], f"default_profile in {file.path}"
    return "default", "default"


def resolve(
    environ: Mapping[str, str],
    *,
    profile: str | None = None,
    account_id: str | None = None,
    api_url: str | None = None,
) -> Settings:
    """Every setting from its first source that is set."""
    file = load_config(config_dir(environ) / CONFIG_FILE_NAME)
    name, name_source = _profile_name(profile, environ, file)
    entry = file.profile(name)
    source = f"profile {name!r} in {file.path}"
    url = _pick(api_url, ENV_API_URL, environ, entry, "api_url", source)
    url = Setting(
        check_api_url(url.value or DEFAULT_API_URL), url.source if url.value else "default"
    )
    credentials = _credentials(environ, entry, source)
    account = _pick(account_id, ENV_ACCOUNT, environ, entry, "account_id", source)
    if account.source in ("flag", ENV_ACCOUNT):  # a profile's is checked when used
        check_account(account)
    if account.value is None and credentials is not None:
        from .accounts import remembered_account  # only when the account is unset

        account = remembered_account(
            file.path.with_name(ACCOUNTS_FILE_NAME), url.value, credentials
        )
    return Settings(
        profile=name,
        profile_source=name_source,
        profile_exists=name in file.data.get("profiles", {}),
        config_file=file.path,
        credentials=credentials,
        account_id=account,
        api_url=url,
        cache=_cache(environ, file),
        warnings=file.warnings,
        why_no_credentials="" if credentials else _why_none(environ, file, name, name_source),
    )


def check_account(account: Setting) -> str | None:
    """The account id, when it has the shape of one (32 hex digits); else a usage error that
    says where it came from, before any request is made with it."""
    from .buildref import ACCOUNT_RE  # the shape of an account id, wherever it is given

    if account.value is not None and not ACCOUNT_RE.fullmatch(account.value):
        given = "--account-id" if account.source == "flag" else account.source
        raise ConfigError(
            f"the account id {account.value!r} (from {given}) is not 32 hex digits",
            "copy it from the dashboard: Workers & Pages, the Account ID on the right",
        )
    return account.value


def _why_none(environ: Mapping[str, str], file: ConfigFile, name: str, source: str) -> str:
    """Why no credential was found: the half of a legacy pair, a profile that is not there."""
    if bool(environ.get(ENV_KEY)) != bool(environ.get(ENV_EMAIL)):
        there, missing = (ENV_KEY, ENV_EMAIL) if environ.get(ENV_KEY) else (ENV_EMAIL, ENV_KEY)
        return f"{there} is set but {missing} is not: the global API key needs both"
    profiles = file.data.get("profiles", {})
    if profiles and name not in profiles:
        names = ", ".join(repr(p) for p in profiles)
        how = "" if source == "flag" else " (choose one with --profile or default_profile)"
        return f"there is no profile {name!r} in {file.path}; it has {names}{how}"
    if file.profile(name).get("api_key") and not file.profile(name).get("email"):
        return f"profile {name!r} has an api_key but no email: the global API key needs both"
    return f"set {ENV_TOKEN}, or run `cf-buildlogs auth login`"


def _cache(environ: Mapping[str, str], file: ConfigFile) -> CacheSettings:
    override = environ.get(ENV_CACHE_DIR)
    directory = Path(override).expanduser() if override else None
    size = int(file.data.get("cache_max_mb", DEFAULT_CACHE_MAX_MB))
    if environ.get(ENV_NO_CACHE, "") not in ("", "0"):
        return CacheSettings(False, directory, size, ENV_NO_CACHE)
    if file.data.get("cache") is False:
        return CacheSettings(False, directory, size, f"cache = false in {file.path}")
    return CacheSettings(True, directory, size, "default")


def mask(secret: str) -> str:
    """At most the last four characters of a secret, and only of a long one."""
    return f"****{secret[-4:]}" if len(secret) >= 16 else "****"
