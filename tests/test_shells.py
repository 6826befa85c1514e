"""The completion scripts in the real shells, installed as the README says, driven through a
terminal (tmux) the way a person presses Tab. Skipped, saying why, where a shell or tmux is
missing; CI installs them (.ci/run)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import BIN

FOLDER = Path(__file__).parent.parent / "completions"


class Terminal:
    """A shell in its own tmux server: type, press Tab, read the screen."""

    def __init__(self, tmp: Path, command: list[str], env: dict[str, str]) -> None:
        self.socket = f"cfbl-{uuid.uuid4().hex[:8]}"
        self.env = env
        launcher = ["env", "-i", *(f"{k}={v}" for k, v in env.items()), *command]
        self.tmux("new-session", "-d", "-s", "t", "-x", "160", "-y", "40", *launcher)

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=20
        )
        return done.stdout

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "t", *keys)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "t")

    def wait_for(self, *words: str, seconds: float = 20) -> str:
        deadline = time.monotonic() + seconds
        while True:
            screen = self.screen()
            if all(w in screen for w in words) or time.monotonic() > deadline:
                return screen
            time.sleep(0.1)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


def needs(*programs: str) -> None:
    for program in programs:
        if shutil.which(program) is None:
            pytest.skip(f"{program} is not installed here (CI installs it: .ci/run)")


@pytest.fixture
def home(tmp_path: Path, isolated: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    return home


def base_env(home: Path) -> dict[str, str]:
    return {
        "HOME": str(home),
        "PATH": f"{BIN.parent}:/usr/local/bin:/usr/bin:/bin",
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "CF_BUILDLOGS_CONFIG_DIR": os.environ["CF_BUILDLOGS_CONFIG_DIR"],
        "CF_BUILDLOGS_CACHE_DIR": os.environ["CF_BUILDLOGS_CACHE_DIR"],
    }


@pytest.fixture
def terminals() -> Iterator[list[Terminal]]:
    opened: list[Terminal] = []
    yield opened
    for terminal in opened:
        terminal.close()


def check_completes(terminal: Terminal, tabs: tuple[str, ...]) -> None:
    """The first Tab after `cf-buildlogs ` offers the commands; `--time<Tab>` both options."""
    terminal.wait_for("READY")
    terminal.keys("cf-buildlogs ", *tabs)
    screen = terminal.wait_for("latest", "summary", "view")
    assert all(word in screen for word in ("latest", "summary", "view", "cache")), screen
    terminal.keys("C-c")
    terminal.wait_for("READY")
    terminal.keys("clear", "Enter")
    terminal.keys("cf-buildlogs get --time", *tabs)
    screen = terminal.wait_for("--timestamps", "--timeout")
    assert "--timestamps" in screen and "--timeout" in screen, screen
    for typed, offered in (
        ("--timestamps e", ("elapsed", "epoch")),
        ("--color a", ("always",)),
        ("--ci git", ("github", "gitlab")),
    ):
        terminal.keys("C-c")
        terminal.wait_for("READY")
        terminal.keys("clear", "Enter")
        terminal.keys(f"cf-buildlogs get x {typed}", *tabs)
        screen = terminal.wait_for(*offered)  # values, not file names
        assert all(word in screen for word in offered), screen


def test_bash_with_bash_completion_as_the_readme_says(
    home: Path, terminals: list[Terminal]
) -> None:
    needs("bash", "tmux")
    loader = Path("/usr/share/bash-completion/bash_completion")
    if not loader.exists():
        pytest.skip("bash-completion is not installed here (CI installs it: .ci/run)")
    target = home / ".local/share/bash-completion/completions/cf-buildlogs"
    target.parent.mkdir(parents=True)
    shutil.copy(FOLDER / "cf-buildlogs.bash", target)  # the README's line
    (home / ".bashrc").write_text(f"source {loader}\nPS1='READY$ '\n")
    terminals.append(
        Terminal(home, ["bash", "--rcfile", str(home / ".bashrc"), "-i"], base_env(home))
    )
    check_completes(terminals[0], ("Tab", "Tab"))


def test_bash_sourcing_the_script(home: Path, terminals: list[Terminal]) -> None:
    needs("bash", "tmux")
    (home / ".bashrc").write_text(f"source {FOLDER / 'cf-buildlogs.bash'}\nPS1='READY$ '\n")
    terminals.append(
        Terminal(home, ["bash", "--rcfile", str(home / ".bashrc"), "-i"], base_env(home))
    )
    check_completes(terminals[0], ("Tab", "Tab"))


def test_zsh_autoloading_from_fpath_completes_on_the_first_tab(
    home: Path, terminals: list[Terminal]
) -> None:
    needs("zsh", "tmux")
    (home / ".zfunc").mkdir()
    shutil.copy(FOLDER / "cf-buildlogs.zsh", home / ".zfunc" / "_cf-buildlogs")  # the README's
    (home / ".zshrc").write_text(
        "fpath+=(~/.zfunc)\nautoload -Uz compinit\ncompinit -u\nPS1='READY%% '\n"
    )
    terminals.append(Terminal(home, ["zsh", "-i"], {**base_env(home), "ZDOTDIR": str(home)}))
    check_completes(terminals[0], ("Tab",))


def test_zsh_sourcing_the_script(home: Path, terminals: list[Terminal]) -> None:
    needs("zsh", "tmux")
    (home / ".zshrc").write_text(
        f"autoload -Uz compinit\ncompinit -u\nsource {FOLDER / 'cf-buildlogs.zsh'}\n"
        "PS1='READY%% '\n"
    )
    terminals.append(Terminal(home, ["zsh", "-i"], {**base_env(home), "ZDOTDIR": str(home)}))
    check_completes(terminals[0], ("Tab",))


def test_fish_as_the_readme_says(home: Path, terminals: list[Terminal]) -> None:
    needs("fish", "tmux")
    target = home / ".config/fish/completions/cf-buildlogs.fish"
    target.parent.mkdir(parents=True)
    shutil.copy(FOLDER / "cf-buildlogs.fish", target)  # the README's line
    (home / ".config/fish/config.fish").write_text(
        "set -g fish_greeting ''\nfunction fish_prompt; echo -n 'READY> '; end\n"
    )
    terminals.append(Terminal(home, ["fish", "-i"], base_env(home)))
    check_completes(terminals[0], ("Tab",))
