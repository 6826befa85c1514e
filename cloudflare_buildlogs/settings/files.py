"""Writing the tool's own files: config.toml (TOML for the config's shape) and accounts.json,
each replaced atomically through a new private file in a folder that is the user's own.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .config import ENV_CONFIG_DIR, load_config

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
    write_private(path, dumps_toml(data))


def write_private(path: Path, text: str) -> None:
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
