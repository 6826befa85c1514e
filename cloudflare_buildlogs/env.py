"""Everything impure, decided once at the edge: streams, terminals, colour, clock, HTTP.

Nothing below `cli/` reads `sys.stdout`, `os.environ` or the clock directly; tests build
their own `Env`.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .errors import UsageError

if TYPE_CHECKING:
    import httpx


def _default_http_client(timeout: float, tls: bool = True) -> httpx.Client:
    """`tls` False for a plain http:// API (loopback only): no certificates are loaded, which
    costs ~25-50 ms of a one-page read, for a connection that never uses them."""
    import httpx

    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        follow_redirects=False,
        verify=tls,
    )


def _git_head(cwd: Path) -> str:
    """`git rev-parse HEAD` in `cwd`, for `--commit HEAD`."""
    import subprocess

    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise UsageError(
            "--commit HEAD: `git rev-parse HEAD` failed here; is this a git "
            "repository with a commit?"
        ) from exc
    return done.stdout.strip().lower()


def _ask_secret(prompt: str) -> str:
    import getpass

    return getpass.getpass(prompt)


def _ask(prompt: str) -> str:
    """A line typed at the terminal; the prompt goes to stderr, since stdout is data."""
    sys.stderr.write(prompt)
    sys.stderr.flush()
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\n")


class Env:
    """The impure world of one run. A plain class, not a dataclass: creating a dataclass costs
    a millisecond or two of every run's start-up (see performance notes)."""

    def __init__(
        self,
        stdout: TextIO,
        stderr: TextIO,
        environ: Mapping[str, str],
        stdout_tty: bool = False,
        stderr_tty: bool = False,
        cwd: Path | None = None,
        now: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        http_client: Callable[[float, bool], httpx.Client] = _default_http_client,
        secrets: set[str] | None = None,
        git_head_of: Callable[[Path], str] = _git_head,
        stdin: TextIO | None = None,
        stdin_tty: bool = False,
        # Asks on the terminal: the secret without echo, the answer as typed.
        ask_secret: Callable[[str], str] = _ask_secret,
        ask: Callable[[str], str] = _ask,
        width: int = 80,  # the terminal's columns, for what is drawn on it
    ) -> None:
        self.stdout, self.stderr, self.environ = stdout, stderr, environ
        self.stdout_tty, self.stderr_tty = stdout_tty, stderr_tty
        self.cwd = Path.cwd() if cwd is None else cwd
        self.now, self.monotonic, self.sleep = now, monotonic, sleep
        self.http_client = http_client
        self.secrets = set() if secrets is None else secrets
        self.git_head_of = git_head_of
        self.stdin, self.stdin_tty = stdin, stdin_tty
        self.ask_secret, self.ask = ask_secret, ask
        self.width = width

    def replace(self, **changes: Any) -> Env:
        """A copy with some attributes changed (the demo's environment, for one)."""
        copy = Env.__new__(Env)
        copy.__dict__.update(self.__dict__, **changes)
        return copy

    def git_head(self) -> str:
        return self.git_head_of(self.cwd)

    @classmethod
    def from_process(cls) -> Env:
        for stream in (sys.stdout, sys.stderr):
            # Log text is UTF-8 whatever the locale; never fail on a character the
            # terminal cannot show.
            if hasattr(stream, "reconfigure"):
                stream.reconfigure(encoding="utf-8", errors="replace")
        return cls(
            stdout=sys.stdout,
            stderr=sys.stderr,
            environ=os.environ,
            stdout_tty=sys.stdout.isatty(),
            stderr_tty=sys.stderr.isatty(),
            stdin=sys.stdin,
            stdin_tty=sys.stdin is not None and sys.stdin.isatty(),
            width=shutil.get_terminal_size().columns,
        )

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, "****")
        return text

    def error_line(self, text: str, mark: str = "") -> None:
        """A line on stderr (or several, at the line breaks the tool wrote), cleaned as
        untrusted text, since messages quote the API, the log and files; any secret the run
        knows of is masked. `mark` is the tool's own decoration before it (a coloured tick)."""
        from .analysis.untrusted import strip_escapes

        cleaned = strip_escapes(text).replace("\t", " ")
        if "::" in cleaned:  # no line of it can be read as a GitHub workflow command
            cleaned = "\n".join(
                f"cf-buildlogs: {line}" if line.lstrip().startswith("::") else line
                for line in cleaned.split("\n")
            )
        self.stderr.write(mark + self.redact(cleaned) + "\n")
        self.stderr.flush()

    def color(self, choice: str, stderr: bool = False) -> bool:
        """The one colour decision, for stdout or stderr (README, "Output"): --color beats
        FORCE_COLOR beats NO_COLOR beats whether the stream is a terminal."""
        if choice == "always":
            return True
        if choice == "never":
            return False
        if self.environ.get("FORCE_COLOR"):
            return True
        if self.environ.get("NO_COLOR"):
            return False
        tty = self.stderr_tty if stderr else self.stdout_tty
        return tty and self.environ.get("TERM") != "dumb"
