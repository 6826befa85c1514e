"""Settings: precedence of every source, the config file, API URL checks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cloudflare_buildlogs.errors import ConfigError, UsageError
from cloudflare_buildlogs.settings import config

PROFILES = """
default_profile = "work"
[profiles.work]
api_token = "file-token-work-0000000000"
account_id = "acct-from-file"
api_url = "https://file.example/client/v4"
[profiles.home]
email = "me@example.com"
api_key = "file-key-home-000000000000"
"""


def write_config(directory: Path, text: str, mode: int = 0o600) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "config.toml"
    path.write_text(text)
    path.chmod(mode)
    return path


def base_env(config_dir: Path, **extra: str) -> dict[str, str]:
    return {"CF_BUILDLOGS_CONFIG_DIR": str(config_dir), **extra}


def test_nothing_set_means_no_credentials_and_the_default_url(isolated: Path) -> None:
    settings = config.resolve(base_env(isolated))
    assert settings.credentials is None
    assert settings.account_id.value is None
    assert (settings.api_url.value, settings.api_url.source) == (config.DEFAULT_API_URL, "default")
    assert settings.profile == "default"


def test_every_source_at_once_flag_beats_env_beats_file(isolated: Path) -> None:
    write_config(isolated, PROFILES)
    env = base_env(
        isolated,
        CLOUDFLARE_API_TOKEN="env-token-000000000000",
        CLOUDFLARE_API_KEY="env-key",
        CLOUDFLARE_EMAIL="env@example.com",
        CLOUDFLARE_ACCOUNT_ID="e" * 32,
        CLOUDFLARE_API_BASE_URL="https://env.example/client/v4",
        CF_BUILDLOGS_PROFILE="home",
    )
    settings = config.resolve(
        env, profile="work", account_id="f" * 32, api_url="https://flag.example/v4/"
    )
    assert settings.profile == "work"
    assert settings.credentials == config.Credentials(
        "CLOUDFLARE_API_TOKEN", token="env-token-000000000000"
    )
    assert settings.account_id == config.Setting("f" * 32, "flag")
    assert settings.api_url == config.Setting("https://flag.example/v4", "flag")

    settings = config.resolve(env)
    assert settings.profile == "home"
    assert settings.account_id == config.Setting("e" * 32, "CLOUDFLARE_ACCOUNT_ID")
    assert settings.api_url.source == "CLOUDFLARE_API_BASE_URL"


def test_legacy_key_comes_after_the_token_and_needs_the_email(isolated: Path) -> None:
    only_key = config.resolve(base_env(isolated, CLOUDFLARE_API_KEY="k"))
    assert only_key.credentials is None
    both = config.resolve(base_env(isolated, CLOUDFLARE_API_KEY="k", CLOUDFLARE_EMAIL="e@x"))
    assert both.credentials == config.Credentials(
        "CLOUDFLARE_API_KEY + CLOUDFLARE_EMAIL", email="e@x", api_key="k"
    )


def test_each_setting_is_resolved_on_its_own(isolated: Path) -> None:
    write_config(isolated, PROFILES)
    settings = config.resolve(base_env(isolated, CLOUDFLARE_API_TOKEN="env-token"))
    assert (
        settings.credentials is not None and settings.credentials.source == "CLOUDFLARE_API_TOKEN"
    )
    assert settings.account_id.value == "acct-from-file"  # the profile still applies
    assert "profile 'work'" in settings.account_id.source


def test_the_default_profile_and_the_legacy_scheme_in_a_profile(isolated: Path) -> None:
    write_config(isolated, PROFILES)
    assert config.resolve(base_env(isolated)).profile == "work"
    home = config.resolve(base_env(isolated), profile="home")
    assert home.credentials == config.Credentials(
        f"profile 'home' in {isolated / 'config.toml'}",
        email="me@example.com",
        api_key="file-key-home-000000000000",
    )


def test_a_broken_config_file_names_the_file_and_line(isolated: Path) -> None:
    path = write_config(isolated, 'default_profile = "x"\n[profiles.work\napi_token = 1\n')
    with pytest.raises(ConfigError) as info:
        config.resolve(base_env(isolated))
    assert str(path) in info.value.message and "line 2" in info.value.message


@pytest.mark.parametrize(
    "text",
    [
        'profiles = "nope"',
        "[profiles]\nwork = 3",
        "[profiles.work]\napi_token = 5",
        "default_profile = 3",
    ],
)
def test_a_config_of_the_wrong_shape_is_a_usage_error(isolated: Path, text: str) -> None:
    write_config(isolated, text)
    with pytest.raises(ConfigError):
        config.resolve(base_env(isolated))


@pytest.mark.skipif(os.name != "posix", reason="file modes")
def test_a_secret_readable_by_others_is_warned_about(isolated: Path) -> None:
    write_config(isolated, PROFILES, mode=0o644)
    (warning,) = config.resolve(base_env(isolated)).warnings
    assert "chmod 600" in warning
    write_config(isolated, PROFILES, mode=0o600)
    assert config.resolve(base_env(isolated)).warnings == ()
    write_config(isolated, '[profiles.x]\naccount_id = "a"\n', mode=0o644)
    assert config.resolve(base_env(isolated)).warnings == ()  # no secret, nothing to warn


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/client/v4",
        "http://127.8.9.1/x",
        "http://[::1]:9/",
        "http://localhost:1/",
        "https://api.example.com/client/v4",
    ],
)
def test_allowed_api_urls(url: str) -> None:
    assert config.check_api_url(url) == url.rstrip("/")


@pytest.mark.parametrize(
    "url",
    [
        "http://api.cloudflare.com/client/v4",
        "http://10.0.0.1/",
        "ftp://127.0.0.1/",
        "not a url",
        "https://",
    ],
)
def test_refused_api_urls(url: str) -> None:
    with pytest.raises(UsageError):
        config.check_api_url(url)


def test_mask_shows_at_most_the_last_four_characters() -> None:
    assert config.mask("abcdefghijklmnopqrstu") == "****rstu"
    assert config.mask("short") == "****"


def test_platformdirs_is_the_default_config_dir() -> None:
    assert config.config_dir({}).name == "cf-buildlogs"
    assert config.config_dir({"CF_BUILDLOGS_CONFIG_DIR": "/x/y"}) == Path("/x/y")
