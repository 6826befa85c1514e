"""Settings: profiles, environment variables, their precedence, the config file, masking.

One precedence for every setting, each resolved on its own (contract section 3):
flag > environment > the active profile in config.toml > built-in default.
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from .errors import ConfigError, UsageError

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


class Credentials(NamedTuple):
    """A token, or the legacy email + global API key; `source` says where it came from."""

    source: str
    token: str | None = None
    email: str | None = None
    api_key: str | None = None

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.token, self.api_key) if s)


class Setting(NamedTuple):
    value: str | None
    source: str


class CacheSettings(NamedTuple):
    """The local store of finished logs (contract section 12): on or off, where, how big."""

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
    if account.value is None and credentials is not None:
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
    )


def _cache(environ: Mapping[str, str], file: ConfigFile) -> CacheSettings:
    override = environ.get(ENV_CACHE_DIR)
    directory = Path(override).expanduser() if override else None
    size = int(file.data.get("cache_max_mb", DEFAULT_CACHE_MAX_MB))
    if environ.get(ENV_NO_CACHE, "") not in ("", "0"):
        return CacheSettings(False, directory, size, ENV_NO_CACHE)
    if file.data.get("cache") is False:
        return CacheSettings(False, directory, size, f"cache = false in {file.path}")
    return CacheSettings(True, directory, size, "default")


# -- accounts found from a token ----------------------------------------------------------------


def _fingerprint(api_url: str | None, credentials: Credentials) -> str:
    """Names a credential without holding it: a digest of the API URL and the secret."""
    import hashlib  # only when an account must be looked up or remembered

    secret = credentials.token or f"{credentials.email}:{credentials.api_key}"
    return hashlib.sha256(f"{api_url}\n{secret}".encode()).hexdigest()[:32]


def _known_accounts(path: Path) -> dict[str, Any]:
    """accounts.json: credential digest -> account id; empty when missing or unreadable."""
    try:
        known = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return known if isinstance(known, dict) else {}


def remembered_account(path: Path, api_url: str | None, credentials: Credentials) -> Setting:
    """The account found earlier for this credential (contract section 2: found once and
    remembered), when no profile exists to hold it."""
    value = _known_accounts(path).get(_fingerprint(api_url, credentials))
    if isinstance(value, str) and value:
        return Setting(value, f"remembered for this credential in {path}")
    return Setting(None, "unset")


def remember_account(
    path: Path, api_url: str | None, credentials: Credentials, account_id: str
) -> None:
    """Keep the account found for a credential (its digest, never the secret); mode 0600."""
    known = _known_accounts(path)
    known[_fingerprint(api_url, credentials)] = account_id
    _write_private(path, json.dumps(known, indent=1) + "\n")


# -- writing ----------------------------------------------------------------------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _key(name: str) -> str:
    return name if _BARE_KEY.fullmatch(name) else json.dumps(name)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a TOML basic string is JSON's


def dumps_toml(data: dict[str, Any]) -> str:
    """TOML for the config's shape: top-level values, then tables (nested), in order."""
    lines: list[str] = []

    def table(prefix: str, body: dict[str, Any]) -> None:
        scalars = {k: v for k, v in body.items() if not isinstance(v, dict)}
        tables = {k: v for k, v in body.items() if isinstance(v, dict)}
        if prefix and (scalars or not tables):
            lines.append(f"\n[{prefix}]")
        lines.extend(f"{_key(k)} = {_value(v)}" for k, v in scalars.items())
        for name, sub in tables.items():
            table(f"{prefix}.{_key(name)}" if prefix else _key(name), sub)

    table("", data)
    return "\n".join(lines).lstrip("\n") + "\n"


def write_config(path: Path, data: dict[str, Any]) -> None:
    _write_private(path, dumps_toml(data))


def _write_private(path: Path, text: str) -> None:
    """Replace a file atomically: a private temporary file beside it, then a rename, so a
    reader sees the old file or the new one, never half of one; mode 0600. The temporary file
    is new (O_EXCL) and no link is followed to make it (tempfile.mkstemp), in a folder that is
    the user's and that no one else may write in. A ConfigError naming the folder when it
    cannot be written."""
    import tempfile

    folder = path.parent
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        _check_private_folder(folder)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise ConfigError(
            f"cannot write in the config folder {folder}: {exc.strerror or exc}",
            f"make it writable, or set {ENV_CONFIG_DIR} to a folder of your own",
        ) from None
    temporary = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _check_private_folder(folder: Path) -> None:
    """OSError unless the folder is the user's own and not writable by group or others."""
    info = folder.stat()
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise OSError(f"{folder} belongs to another user")
    if info.st_mode & 0o022:
        raise OSError(f"others may write in it (mode {stat.S_IMODE(info.st_mode):04o})")


def update_profile(path: Path, profile: str, changes: dict[str, str | None]) -> None:
    """Set (or, for None, remove) keys of one profile, keeping everything else in the file."""
    data = load_config(path).data
    profiles = data.setdefault("profiles", {})
    entry = profiles.setdefault(profile, {})
    for key, value in changes.items():
        if value is None:
            entry.pop(key, None)
        else:
            entry[key] = value
    write_config(path, data)


def mask(secret: str) -> str:
    """At most the last four characters of a secret, and only of a long one."""
    return f"****{secret[-4:]}" if len(secret) >= 16 else "****"
