"""A sentinel secret, handed to every command, must never appear anywhere but config.toml."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cloudflare_buildlogs import fake_api

from .conftest import ACCOUNT, BIN, BUILD, SENTINEL, Cli

TAG = fake_api.DEMO_WORKER_TAG


@pytest.fixture(autouse=True)
def world(state: fake_api.State, tmp_path: Path) -> Path:
    state.add(fake_api.FakeBuild(BUILD, [[1636472400, "hello"]], outcome="fail"))
    state.scripts.append({"id": "my-worker", "tag": TAG})
    folder = tmp_path / "worker"
    folder.mkdir()
    (folder / "wrangler.toml").write_text('name = "my-worker"\n')
    return folder


COMMANDS = [
    ["get", BUILD, "-v"],
    ["get", BUILD, "-v", "--follow", "--ndjson"],
    ["get", BUILD, "-v", "--exit-status", "--json"],
    ["get", "ffffffff-0000-4000-8000-000000000000", "-v"],
    ["latest", "-v", "--follow"],
    ["latest", "my-worker", "-v", "--branch", "nope"],
    ["list", "-v", "-o", "json"],
    ["list", "-v"],
    ["auth", "status", "-v"],
    ["config", "show"],
    ["config", "show", "--json"],
    ["config", "path"],
    ["demo"],
]


def files_holding_the_secret(*roots: Path) -> list[Path]:
    found = []
    for root in roots:
        for path in root.rglob("*"):
            if (
                path.is_file()
                and path.name != "config.toml"
                and SENTINEL.encode() in path.read_bytes()
            ):
                found.append(path)
    return found


def test_no_command_ever_shows_the_secret(cli: Cli, world: Path, tmp_path: Path) -> None:
    env = cli.env({"CLOUDFLARE_ACCOUNT_ID": "", "HOME": str(tmp_path), "TMPDIR": str(tmp_path)})
    # Log in with the sentinel, so it is in the environment and in the config file both.
    login = subprocess.run(
        [str(BIN), "auth", "login", "--with-token", "-v"],
        input=SENTINEL,
        text=True,
        capture_output=True,
        env=env,
        cwd=world,
        check=False,
    )
    assert login.returncode == 0, login.stderr
    assert SENTINEL not in login.stdout + login.stderr
    seen_codes = set()
    for args in COMMANDS:
        proc = subprocess.run(
            [str(BIN), *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=world,
            stdin=subprocess.DEVNULL,
            timeout=60,
            check=False,
        )
        seen_codes.add(proc.returncode)
        assert SENTINEL not in proc.stdout, args
        assert SENTINEL not in proc.stderr, args
        assert "Traceback" not in proc.stderr, args
    assert seen_codes >= {0, 1, 4}  # the runs went through, failures included
    logout = subprocess.run(
        [str(BIN), "auth", "logout"],
        capture_output=True,
        text=True,
        env=env,
        cwd=world,
        check=False,
    )
    assert SENTINEL not in logout.stdout + logout.stderr
    assert files_holding_the_secret(tmp_path, cli.config_dir) == []
    assert SENTINEL not in (cli.config_dir / "config.toml").read_text()  # logged out
    assert ACCOUNT in (cli.config_dir / "config.toml").read_text()


def test_the_sweep_can_find_a_leak(tmp_path: Path) -> None:
    (tmp_path / "cache.json").write_text(f'{{"token": "{SENTINEL}"}}')
    assert files_holding_the_secret(tmp_path) == [tmp_path / "cache.json"]
