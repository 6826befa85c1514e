"""auth login|status|logout and config path|show, against the fake API over real HTTP."""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path

import pytest

from cloudflare_buildlogs import cli, fake_api
from cloudflare_buildlogs.errors import ExitCode
from cloudflare_buildlogs.settings import config, files

from .conftest import ACCOUNT, BUILD, SENTINEL, Captured, make_env

OTHER = "22222222222222222222222222222222"


@pytest.fixture
def tokens(state: fake_api.State) -> fake_api.State:
    state.tokens.update(
        {
            "expired-token-000000000": fake_api.Token(
                status="expired", expires_on="2020-01-01T00:00:00Z"
            ),
            "account-owned-token-0000": fake_api.Token(account_owned=True),
            "no-permission-token-0000": fake_api.Token(can_read_builds=False),
        }
    )
    state.add(fake_api.FakeBuild(BUILD, [[1636472400, "hello"]]))
    return state


def run(
    server: fake_api.FakeServer,
    config_dir: Path,
    *args: str,
    environ: dict[str, str] | None = None,
    tty: bool = False,
    stdin: str = "",
    secret: str = SENTINEL,
    answers: tuple[str, ...] = (),
) -> tuple[int, Captured]:
    env = {
        "CLOUDFLARE_API_BASE_URL": server.url,
        "CF_BUILDLOGS_CONFIG_DIR": str(config_dir),
        **(environ or {}),
    }
    captured = make_env(env, tty=tty)
    captured.env.stdin = io.StringIO(stdin)
    captured.env.stdin_tty = tty
    captured.env.ask_secret = lambda _prompt: secret
    replies = list(answers)
    captured.env.ask = lambda _prompt: replies.pop(0)
    code = cli.run(list(args), captured.env)
    everything = captured.out.getvalue() + captured.err.getvalue()
    assert SENTINEL not in everything and "Traceback" not in everything
    return code, captured


def saved(config_dir: Path) -> dict[str, object]:
    return config.load_config(config_dir / "config.toml").data


# -- login -----------------------------------------------------------------------------------


def test_login_on_a_terminal_asks_without_echo_and_saves_the_profile_privately(
    tokens: fake_api.State, server: fake_api.FakeServer, isolated: Path
) -> None:
    code, io_ = run(server, isolated, "auth", "login", tty=True)
    assert code == 0, io_.err.getvalue()
    path = isolated / "config.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert saved(isolated) == {
        "profiles": {"default": {"account_id": ACCOUNT, "api_token": SENTINEL}}
    }
    assert "Logged in: profile 'default'" in io_.err.getvalue() and io_.out.getvalue() == ""
    assert not [p for p in isolated.iterdir() if p.name != "config.toml"], "no temporary file left"


def test_login_keeps_other_profiles_and_settings(
    tokens: fake_api.State, server: fake_api.FakeServer, isolated: Path
) -> None:
    isolated.mkdir(parents=True)
    (isolated / "config.toml").write_text(
        'default_profile = "home"\n[profiles.home]\napi_token = "home-token"\naccount_id = "x"\n'
        '[profiles.ci]\naccount_id = "old"\napi_url = "https://example.com/v4"\n'
    )
    code, _ = run(
        server, isolated, "auth", "login", "--with-token", "--profile", "ci", stdin=SENTINEL + "\n"
    )
    assert code == 0
    data = saved(isolated)
    assert data["default_profile"] == "home"
    assert data["profiles"] == {  # type: ignore[comparison-overlap]
        "home": {"api_token": "home-token", "account_id": "x"},
        "ci": {"account_id": ACCOUNT, "api_url": "https://example.com/v4", "api_token": SENTINEL},
    }


def test_login_without_a_terminal_needs_with_token(
    tokens: fake_api.State, server: fake_api.FakeServer, isolated: Path
) -> None:
    code, io_ = run(server, isolated, "auth", "login")
    assert code == ExitCode.USAGE and "--with-token" in io_.err.getvalue()
    code, io_ = run(server, isolated, "auth", "login", "--with-token", stdin="")
    assert code == ExitCode.USAGE and "no API token on standard input" in io_.err.getvalue()
    assert not (isolated / "config.toml").exists()


def test_several_accounts_are_offered_on_a_terminal(
    tokens: fake_api.State, server: fake_api.FakeServer, isolated: Path
) -> None:
    tokens.accounts.append({"id": OTHER, "name": "Other"})
    code, io_ = run(server, isolated, "auth", "login", tty=True, answers=("7", "2"))
    assert code == 0
    assert "2. Other" in io_.err.getvalue()
    assert saved(isolated)["profiles"]["default"]["account_id"] == OTHER  # type: ignore[index]
    code, io_ = run(server, isolated, "auth", "login", "--with-token", stdin=SENTINEL)
    assert code == ExitCode.USAGE and f"{OTHER} (Other)" in io_.err.getvalue()
    code, _ = run(
        server, isolated, "auth", "login", "--with-token", "--account-id", ACCOUNT, stdin=SENTINEL
    )
    assert code == 0 and saved(isolated)["profiles"]["default"]["account_id"] == ACCOUNT  # type: ignore[index]


@pytest.mark.parametrize(
    ("token", "words"),
    [
        ("expired-token-000000000", "the token is expired"),
        ("account-owned-token-0000", "user API token"),
        ("no-permission-token-0000", "Workers CI Read"),
        ("unknown-token-000000000", "user API token"),
    ],
)
def test_login_refuses_tokens_that_cannot_read_builds(
    tokens: fake_api.State, server: fake_api.FakeServer, isolated: Path, token: str, words: str
) -> None:
    code, io_ = run(server, isolated, "auth", "login", "--with-token", stdin=token)
    assert code == ExitCode.AUTH
    assert words in io_.err.getvalue()
    assert token not in io_.err.getvalue()
    assert not (isolated / "config.toml").exists()


def test_login_with_the_legacy_global_key(
    tokens: fake_api.State, server: fake_api.FakeServer, isolated: Path
) -> None:
    tokens.legacy_keys[("me@example.com", SENTINEL)] = fake_api.Token()
    code, io_ = run(
        server,
        isolated,
        "auth",
        "login",
        "--email",
        "me@example.com",
        "--with-token",
        stdin=SENTINEL,
    )
    assert code == 0, io_.err.getvalue()
    profile = saved(isolated)["profiles"]["default"]  # type: ignore[index]
    assert profile == {"account_id": ACCOUNT, "api_key": SENTINEL, "email": "me@example.com"}
    code, io_ = run(server, isolated, "get", BUILD, "--no-timestamps")
    assert code == 0 and io_.out.getvalue() == "hello\n"


# -- status --------------------------------------------------------------------------------------


def test_status_when_all_is_well(
    tokens: fake_api.State, server: fake_api.FakeServer, isolated: Path
) -> None:
    code, io_ = run(server, isolated, "auth", "status", environ={"CLOUDFLARE_API_TOKEN": SENTINEL})
    out = io_.out.getvalue()
    assert code == 0, io_.err.getvalue()
    assert "credential:  API token ****" + SENTINEL[-4:] + " (CLOUDFLARE_API_TOKEN)" in out
    assert "token:       active, no expiry" in out
    assert f"account:     {ACCOUNT} (the token's only account, Demo account)" in out
    assert "builds api:  ok" in out
    assert out.endswith(
        'writes:      rerun, build and cancel need "Workers CI Write" (not checked)\n'
    )
    assert io_.err.getvalue() == ""


@pytest.mark.parametrize(
    ("environ", "line", "hint"),
    [
        ({}, "credential:  none", "CLOUDFLARE_API_TOKEN"),
        (
            {"CLOUDFLARE_API_TOKEN": "expired-token-000000000"},
            "token:       expired, expires 2020",
            "user API token",
        ),
        (
            {"CLOUDFLARE_API_TOKEN": "unknown-token-000000000"},
            "token:       rejected",
            "user API token",
        ),
        (
            {"CLOUDFLARE_API_TOKEN": "account-owned-token-0000"},
            "builds api:  refused",
            "user API token",
        ),
        (
            {"CLOUDFLARE_API_TOKEN": "no-permission-token-0000"},
            "builds api:  refused",
            "Workers CI Read",
        ),
        (
            {"CLOUDFLARE_API_TOKEN": SENTINEL, "CLOUDFLARE_ACCOUNT_ID": OTHER * 1},
            "builds api:  refused",
            "account id",
        ),
    ],
)
def test_status_names_what_is_wrong_and_exits_3(
    tokens: fake_api.State,
    server: fake_api.FakeServer,
    isolated: Path,
    environ: dict[str, str],
    line: str,
    hint: str,
) -> None:
    code, io_ = run(server, isolated, "auth", "status", environ=environ)
    assert code == ExitCode.AUTH
    assert line in io_.out.getvalue()
    assert "hint:" in io_.err.getvalue() and hint in io_.err.getvalue()


def test_status_with_several_accounts_and_none_chosen(
    tokens: fake_api.State, server: fake_api.FakeServer, isolated: Path
) -> None:
    tokens.accounts.append({"id": OTHER, "name": "Other"})
    code, io_ = run(server, isolated, "auth", "status", environ={"CLOUDFLARE_API_TOKEN": SENTINEL})
    assert code == ExitCode.AUTH and "account:     not chosen" in io_.out.getvalue()
    assert "CLOUDFLARE_ACCOUNT_ID" in io_.err.getvalue()


# -- logout, account memory, atomic writes -------------------------------------------------------


def test_logout_removes_the_secret_and_only_it(
    tokens: fake_api.State, server: fake_api.FakeServer, isolated: Path
) -> None:
    isolated.mkdir(parents=True)
    (isolated / "config.toml").write_text(
        f'[profiles.default]\napi_token = "{SENTINEL}"\naccount_id = "{ACCOUNT}"\napi_url = "https://x.example/v4"\n'
        '[profiles.other]\napi_token = "keep-me"\n'
    )
    code, io_ = run(server, isolated, "auth", "logout")
    assert code == 0 and "Logged out" in io_.err.getvalue()
    assert saved(isolated)["profiles"] == {  # type: ignore[comparison-overlap]
        "default": {"account_id": ACCOUNT, "api_url": "https://x.example/v4"},
        "other": {"api_token": "keep-me"},
    }
    code, io_ = run(server, isolated, "auth", "logout")
    assert code == 0 and "holds no secret" in io_.err.getvalue()


def test_an_account_found_by_lookup_is_remembered_and_the_config_left_as_written(
    tokens: fake_api.State, server: fake_api.FakeServer, isolated: Path
) -> None:
    isolated.mkdir(parents=True)
    written = (
        "# my settings, by hand\n"
        "[profiles.default]\n"
        f'api_token = "{SENTINEL}"  # the CI token\n'
        "# account_id comes later\n"
    )
    (isolated / "config.toml").write_text(written)
    (isolated / "config.toml").chmod(0o600)
    code, io_ = run(server, isolated, "get", BUILD)
    assert code == 0 and f"remembered in {isolated / 'accounts.json'}" in io_.err.getvalue()
    assert (isolated / "config.toml").read_text() == written  # byte for byte
    tokens.requests.clear()
    code, io_ = run(server, isolated, "get", BUILD)
    assert code == 0 and io_.err.getvalue() == ""
    assert not [p for _, p, _ in tokens.requests if p.endswith("/accounts")]


def test_a_failed_write_leaves_the_old_file_whole(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolated.mkdir(parents=True)
    path = isolated / "config.toml"
    path.write_text('[profiles.default]\napi_token = "old"\n')

    def crash(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        files.update_profile(path, "default", {"api_token": "new"})
    assert path.read_text() == '[profiles.default]\napi_token = "old"\n'
    assert [p.name for p in isolated.iterdir()] == ["config.toml"]


def test_odd_profile_names_and_values_round_trip(isolated: Path) -> None:
    path = isolated / "config.toml"
    files.update_profile(
        path, 'my "prod" profile', {"api_token": 'a"b\\c', "email": "ü@example.com"}
    )
    assert saved(isolated)["profiles"] == {
        'my "prod" profile': {"api_token": 'a"b\\c', "email": "ü@example.com"}
    }


# -- config path and show ------------------------------------------------------------------------


def test_config_path(server: fake_api.FakeServer, isolated: Path) -> None:
    code, io_ = run(server, isolated, "config", "path")
    assert (code, io_.out.getvalue()) == (0, f"{isolated / 'config.toml'}\n")
    code, io_ = run(server, isolated, "config", "path", "--dir")
    assert io_.out.getvalue() == f"{isolated}\n"


def test_config_show_names_the_source_of_every_setting(
    server: fake_api.FakeServer, isolated: Path
) -> None:
    isolated.mkdir(parents=True)
    (isolated / "config.toml").write_text(
        f'default_profile = "work"\n[profiles.work]\napi_token = "{SENTINEL}"\n'
        f'account_id = "{ACCOUNT}"\n'
    )
    (isolated / "config.toml").chmod(0o600)
    code, io_ = run(
        server,
        isolated,
        "config",
        "show",
        "--json",
        environ={"CLOUDFLARE_API_BASE_URL": "https://env.example/v4"},
    )
    assert code == 0
    doc = json.loads(io_.out.getvalue())
    assert doc["profile"] == {
        "value": "work",
        "source": f"default_profile in {isolated / 'config.toml'}",
    }
    assert doc["credential"]["value"] == "****" + SENTINEL[-4:]
    assert doc["account_id"] == {
        "value": ACCOUNT,
        "source": f"profile 'work' in {isolated / 'config.toml'}",
    }
    assert doc["api_url"] == {
        "value": "https://env.example/v4",
        "source": "CLOUDFLARE_API_BASE_URL",
    }
    _, io_ = run(
        server,
        isolated,
        "config",
        "show",
        "--account-id",
        "fa" * 16,
        environ={
            "CLOUDFLARE_ACCOUNT_ID": "e" * 32,
            "CLOUDFLARE_API_TOKEN": "env-token-1234567890",
        },
    )
    text = io_.out.getvalue()
    assert (
        "fa" * 16 in text
        and "flag" in text
        and "****7890" in text
        and "CLOUDFLARE_API_TOKEN" in text
    )


def test_a_config_readable_by_others_is_warned_about_on_every_command(
    tokens: fake_api.State, server: fake_api.FakeServer, isolated: Path
) -> None:
    isolated.mkdir(parents=True)
    (isolated / "config.toml").write_text(f'[profiles.default]\napi_token = "{SENTINEL}"\n')
    (isolated / "config.toml").chmod(0o644)
    for args in (["config", "show"], ["auth", "status"], ["get", BUILD]):
        _, io_ = run(server, isolated, *args, environ={"CLOUDFLARE_ACCOUNT_ID": ACCOUNT})
        assert "chmod 600" in io_.err.getvalue(), args
