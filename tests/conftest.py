"""Shared fixtures: an isolated environment for every test, the fake API, and the CLI runner."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from cloudflare_buildlogs import fake_api
from cloudflare_buildlogs.env import Env

SENTINEL = "sentinel-SECRET-token-7f3a9c2e1b"  # must never appear in any output
ACCOUNT = fake_api.DEMO_ACCOUNT
BUILD = "0f0e0d0c-0b0a-4908-8706-050403020100"
BIN = Path(sys.executable).parent / "cf-buildlogs"
COMMANDS = ("get", "latest", "list", "summary", "demo", "view", "cache path", "cache list",
            "cache clear", "auth login", "auth status", "auth logout",
            "config path", "config show", "triggers", "rerun", "build", "cancel", "diff", "history")  # fmt: skip


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No test sees the developer's credentials or config: a fresh config dir each."""
    for name in list(os.environ):
        if name.startswith(("CLOUDFLARE_", "CF_BUILDLOGS_")) or name in (
            "NO_COLOR",
            "FORCE_COLOR",
        ):
            monkeypatch.delenv(name)
    config_dir = tmp_path / "config"
    monkeypatch.setenv("CF_BUILDLOGS_CONFIG_DIR", str(config_dir))
    monkeypatch.setenv("CF_BUILDLOGS_CACHE_DIR", str(tmp_path / "cache"))
    return config_dir


@pytest.fixture
def state() -> fake_api.State:
    state = fake_api.State()
    state.tokens[SENTINEL] = fake_api.Token()
    return state


@pytest.fixture
def server(state: fake_api.State) -> Iterator[fake_api.FakeServer]:
    with fake_api.serve(state) as srv:
        yield srv


def api_environ(server: fake_api.FakeServer, **extra: str) -> dict[str, str]:
    """What an in-process run needs to talk to `server`: the token, account, URL, config."""
    return {
        "CLOUDFLARE_API_TOKEN": SENTINEL,
        "CLOUDFLARE_ACCOUNT_ID": ACCOUNT,
        "CLOUDFLARE_API_BASE_URL": server.url,
        "CF_BUILDLOGS_CONFIG_DIR": str(server.scratch_dir),
        **extra,
    }


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


@dataclass
class Cli:
    """Runs the installed `cf-buildlogs` as a user would, against the fake server."""

    server: fake_api.FakeServer
    config_dir: Path

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDFLARE_", "CF_"))}
        env.update(
            CLOUDFLARE_API_TOKEN=SENTINEL,
            CLOUDFLARE_ACCOUNT_ID=ACCOUNT,
            CLOUDFLARE_API_BASE_URL=self.server.url,
            CF_BUILDLOGS_CONFIG_DIR=str(self.config_dir),
            CF_BUILDLOGS_CACHE_DIR=str(self.config_dir.parent / "cache"),
            TZ="UTC",
            PYTHONWARNINGS="error",
        )
        env.pop("NO_COLOR", None)
        env.pop("FORCE_COLOR", None)
        env.update(extra or {})
        return {k: v for k, v in env.items() if v is not None}

    def __call__(
        self, *args: str, env: Mapping[str, str] | None = None, timeout: float = 60
    ) -> Result:
        return self._run([str(BIN), *args], env, timeout)

    def shell(self, script: str, timeout: float = 60) -> Result:
        """`script` run by bash (pipes, `set -o pipefail`), in the same environment."""
        return self._run(["bash", "-c", script], None, timeout)

    def _run(self, argv: list[str], env: Mapping[str, str] | None, timeout: float) -> Result:
        proc = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            env=self.env(env),
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        for stream in (proc.stdout, proc.stderr):
            assert SENTINEL not in stream, "the secret leaked into the output"
            assert "Traceback" not in stream, proc.stderr
        return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def cli(server: fake_api.FakeServer, isolated: Path) -> Cli:
    return Cli(server, isolated)


@dataclass
class Captured:
    env: Env
    out: io.StringIO
    err: io.StringIO


def make_env(environ: Mapping[str, str] | None = None, *, tty: bool = False) -> Captured:
    """An Env with captured streams and no real sleeping."""
    out, err = io.StringIO(), io.StringIO()
    # The test's own store (see `isolated`), never the developer's.
    cache = {"CF_BUILDLOGS_CACHE_DIR": os.environ["CF_BUILDLOGS_CACHE_DIR"]}
    env = Env(
        stdout=out,
        stderr=err,
        environ={**cache, **(environ or {})},
        stdout_tty=tty,
        stderr_tty=tty,
        sleep=lambda _s: None,
    )
    return Captured(env, out, err)


def git_repo(folder: Path, files: Mapping[str, str]) -> str:
    """A git repository in `folder` with `files` in one commit; its commit's hash."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-C", str(folder)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "first"], check=True)
    done = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
    return done.stdout.strip()
