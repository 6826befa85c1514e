"""Finding the Worker a folder belongs to: the `name` in its nearest wrangler configuration.

Searched from the current folder upward, stopping at the repository root: in each folder
`wrangler.json`, then `wrangler.jsonc`, then `wrangler.toml` (wrangler's own order). JSON files
may hold comments and trailing commas, as wrangler allows.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any, NamedTuple

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


CONFIG_NAMES = ("wrangler.json", "wrangler.jsonc", "wrangler.toml")
MAX_BYTES = 1 << 20  # a wrangler file larger than this is not read (README, "Security")


# A JSON string, a // or /* */ comment: strings first, so comment-like text inside them stays.
# Each alternative cannot fail once it has started (an unterminated string or comment runs to
# the end), so the scan is linear in the text, whatever it holds.
_STRING = r'"(?:[^"\\]|\\[\s\S]?)*"?'
_COMMENTS = re.compile(_STRING + r"|//[^\n]*|/\*(?:[^*]|\*(?!/))*(?:\*/)?")


# A comma that only closes brackets, once comments are blanks.
_TRAILING = re.compile(_STRING + r"|,(?=\s*[\]}])")
_NOT_NEWLINE = re.compile(r"[^\n]")


class WranglerConfig(NamedTuple):
    path: Path
    name: str | None
    env_names: tuple[str, ...]
    problem: str | None = None


def _where(exc: ValueError) -> str:
    """What is wrong in a file, and where: `line 3, column 8: Expecting value`."""
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
    if isinstance(exc, tomllib.TOMLDecodeError):
        return f"not valid TOML: {exc}"  # the message ends "(at line 1, column 17)"
    return str(exc)


def loads_jsonc(text: str) -> Any:
    """JSON with comments and trailing commas, as wrangler.jsonc allows. Comments and those
    commas become blanks, so an error's line and column are the file's own."""
    text = _COMMENTS.sub(_blank_unless_string, text)
    return json.loads(_TRAILING.sub(_blank_unless_string, text))


def _blank_unless_string(match: re.Match[str]) -> str:
    found = match.group()
    return found if found.startswith('"') else _NOT_NEWLINE.sub(" ", found)


def read_text(path: Path) -> str:
    """A wrangler file's text: only a regular file (a link to one is followed; a device, a FIFO
    or a folder is refused) of at most MAX_BYTES. OSError or ValueError when it is none."""
    import stat

    # Non-blocking: opening a FIFO would otherwise wait for a writer before fstat could say.
    with os.fdopen(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise ValueError(f"{path} is not a regular file")
        data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValueError(f"{path} is larger than {MAX_BYTES // 1024} KiB")
    return data.decode("utf-8")


def read_config(path: Path) -> WranglerConfig:
    """A wrangler file's Worker name (None when it has none or cannot be read), and the names
    its environments give their Workers; `problem` says why a file could not be read, with
    the line and column where it goes wrong."""
    try:
        text = read_text(path)
        data = tomllib.loads(text) if path.suffix == ".toml" else loads_jsonc(text)
    except OSError as exc:
        return WranglerConfig(path, None, (), f"{path}: cannot be read ({exc.strerror})")
    except ValueError as exc:
        return WranglerConfig(path, None, (), f"{path}: {_where(exc)}")
    if not isinstance(data, dict):
        return WranglerConfig(path, None, (), f"{path}: not a table of settings")
    name, envs = data.get("name"), data.get("env")
    name = name if isinstance(name, str) else None
    envs = envs if isinstance(envs, dict) else {}
    env_names = tuple(
        e["name"] for e in envs.values() if isinstance(e, dict) and isinstance(e.get("name"), str)
    )
    return WranglerConfig(path, name, env_names)


def find_config(start: Path) -> WranglerConfig | None:
    """The nearest wrangler configuration from `start` up to the repository root."""
    for folder in [start, *start.parents]:
        for file_name in CONFIG_NAMES:
            candidate = folder / file_name
            if candidate.is_file():
                return read_config(candidate)
        if (folder / ".git").exists():
            return None
    return None


def repository_root(start: Path) -> Path:
    """The nearest folder up from `start` that holds `.git`; `start` itself when none does."""
    return next((f for f in [start, *start.parents] if (f / ".git").exists()), start)


def find_all(root: Path) -> list[WranglerConfig]:
    """Every wrangler configuration under `root`, a folder's one as wrangler would read it
    (json, then jsonc, then toml), passing over `node_modules` and hidden folders; in path
    order, so the same tree gives the same list every run."""
    found = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(
            d for d in subfolders if d != "node_modules" and not d.startswith(".")
        )
        chosen = next((name for name in CONFIG_NAMES if name in files), None)
        if chosen is not None:
            found.append(read_config(Path(folder) / chosen))
    return found
