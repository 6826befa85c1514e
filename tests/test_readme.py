"""The README's `--help` excerpts are the real help; `python -m tests.test_readme` rewrites them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from .conftest import COMMANDS

README = Path(__file__).parent.parent / "README.md"
BLOCK = re.compile(r"(<!-- help:(?P<cmd>[a-z ]*)-->\n```text\n)(?P<body>.*?)(```\n)", re.S)


def real_help(command: str) -> str:
    env = {**os.environ, "COLUMNS": "100", "TERM": "dumb"}
    args = [sys.executable, "-m", "cloudflare_buildlogs", *command.split(), "--help"]
    out = subprocess.run(args, capture_output=True, text=True, env=env, check=True).stdout
    return out.rstrip() + "\n"


def rendered(text: str) -> str:
    return BLOCK.sub(lambda m: m.group(1) + real_help(m.group("cmd")) + m.group(4), text)


def test_readme_help_excerpts_are_the_real_help() -> None:
    text = README.read_text()
    documented = {m.group("cmd").strip() for m in BLOCK.finditer(text)}
    assert documented == {"", *COMMANDS} - {"config path", "cache path"}, (
        "the README's --help excerpts changed"
    )
    assert rendered(text) == text, "README --help excerpts are stale: python -m tests.test_readme"


def test_the_quick_start_commands_are_in_the_readme() -> None:
    text = README.read_text()
    assert "uv run cf-buildlogs demo" in text and "uv run pytest" in text


if __name__ == "__main__":
    README.write_text(rendered(README.read_text()))
