"""Shell completions: the scripts in completions/ are current, and completing works.

`python -m tests.test_completions` rewrites the scripts from the app.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import BIN

FOLDER = Path(__file__).parent.parent / "completions"
SHELLS = ("bash", "zsh", "fish")


def generated(shell: str) -> str:
    """The script typer generates; for zsh, made to work autoloaded from $fpath as well."""
    env = {**os.environ, "_CF_BUILDLOGS_COMPLETE": f"source_{shell}"}
    script = subprocess.run([str(BIN)], capture_output=True, text=True, env=env, check=True).stdout
    return zsh_autoloadable(script) if shell == "zsh" else script


ZSH_REGISTER = "compdef _cf_buildlogs_completion cf-buildlogs\n"
ZSH_EITHER_WAY = """\
if [ "$funcstack[1]" = "_cf-buildlogs" ]; then
  # autoloaded from $fpath as _cf-buildlogs: this file is the completion function; complete now
  _cf_buildlogs_completion "$@"
else
  # sourced: register the function
  compdef _cf_buildlogs_completion cf-buildlogs
fi
"""


def zsh_autoloadable(script: str) -> str:
    """typer's zsh script starts with a blank line, so zsh does not read its `#compdef` tag,
    and autoloaded it only defines the function on the first Tab instead of also running it
    (file names were offered instead of the commands). `#compdef` on the first line, and the
    end that works both autoloaded and sourced (as gh's and kubectl's scripts do)."""
    assert script.rstrip().endswith(ZSH_REGISTER.strip()), "typer's zsh script changed shape"
    body = script.lstrip("\n").rstrip()[: -len(ZSH_REGISTER.strip())]
    return body + ZSH_EITHER_WAY


@pytest.mark.parametrize("shell", SHELLS)
def test_the_committed_scripts_are_what_the_app_generates(shell: str) -> None:
    committed = (FOLDER / f"cf-buildlogs.{shell}").read_text()
    assert committed == generated(shell), "stale completions: python -m tests.test_completions"
    if shell == "zsh":
        assert committed.startswith("#compdef cf-buildlogs\n")


def complete_bash(words: list[str], cwd: Path) -> list[str]:
    """Source the committed bash script and run its function, as bash does on <TAB>."""
    script = (
        f"source {FOLDER / 'cf-buildlogs.bash'}\n"
        f"COMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}\n"
        "_cf_buildlogs_completion cf-buildlogs\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env = {**os.environ, "PATH": f"{BIN.parent}{os.pathsep}{os.environ['PATH']}"}
    out = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, env=env, cwd=cwd, check=True
    ).stdout
    return [line for line in out.splitlines() if line]


def test_bash_completes_commands_and_options(tmp_path: Path) -> None:
    assert complete_bash(["cf-buildlogs", "la"], tmp_path) == ["latest"]
    assert "--follow" in complete_bash(["cf-buildlogs", "get", "--fo"], tmp_path)
    assert set(complete_bash(["cf-buildlogs", "auth", ""], tmp_path)) == {
        "login",
        "status",
        "logout",
    }


def test_worker_names_come_from_the_folders_wrangler_config(tmp_path: Path) -> None:
    (tmp_path / "wrangler.toml").write_text(
        'name = "my-worker"\n[env.staging]\nname = "my-worker-staging"\n'
    )
    assert complete_bash(["cf-buildlogs", "latest", "my"], tmp_path) == [
        "my-worker",
        "my-worker-staging",
    ]
    assert complete_bash(["cf-buildlogs", "list", "my-worker-s"], tmp_path) == ["my-worker-staging"]
    assert complete_bash(["cf-buildlogs", "list", "x"], tmp_path) == []


def test_profile_names_come_from_the_config(tmp_path: Path, isolated: Path) -> None:
    isolated.mkdir(parents=True)
    (isolated / "config.toml").write_text("[profiles.work]\n[profiles.home]\n")
    assert complete_bash(["cf-buildlogs", "get", "--profile", "w"], tmp_path) == ["work"]


@pytest.mark.parametrize(
    ("shell", "extra"),
    [("zsh", {}), ("fish", {"_TYPER_COMPLETE_FISH_ACTION": "get-args"})],
)
def test_zsh_and_fish_callbacks_answer(tmp_path: Path, shell: str, extra: dict[str, str]) -> None:
    env = {
        **os.environ,
        "_CF_BUILDLOGS_COMPLETE": f"complete_{shell}",
        "_TYPER_COMPLETE_ARGS": "cf-buildlogs lat",
        **extra,
    }
    out = subprocess.run(
        [str(BIN)], capture_output=True, text=True, env=env, cwd=tmp_path, check=True
    ).stdout
    assert "latest" in out


if __name__ == "__main__":
    for name in SHELLS:
        (FOLDER / f"cf-buildlogs.{name}").write_text(generated(name))
    sys.exit(0)


def test_no_option_help_holds_an_apostrophe_that_zsh_would_drop() -> None:
    """typer's zsh script quotes descriptions in single quotes and drops the apostrophes."""
    import typer

    from cloudflare_buildlogs.cli import app

    root = typer.main.get_command(app)
    found = []
    stack = [root]
    while stack:
        command = stack.pop()
        stack += list(getattr(command, "commands", {}).values())
        found += [
            f"{command.name} {p.name}"
            for p in command.params
            if "'" in (getattr(p, "help", "") or "")
        ]
    assert found == []
