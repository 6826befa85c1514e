"""What a build deployed, read from wrangler's own lines in its deploy phase (README, "What
was deployed"), and whether a build that succeeded deployed anything at all.

`DeployReader` watches the lines of the deploy phase as the pages stream past, like the phase
tracker: each `Uploaded NAME (1.29 sec)` begins a deployment, and what wrangler prints around
it (its banner, `Total Upload`, `Worker Startup Time`, `Deployed NAME triggers` with the
indented URLs and triggers under it, `Current Version ID`, `Worker Version ID`, the preview
URLs) fills it in. Lines of other phases are never read, so a build script that prints
look-alike lines changes nothing.

Every test is a `str` method on one line (no regular expression), so the cost is linear in
the line's length whatever it holds; memory is bounded by MAX_DEPLOYMENTS, MAX_ITEMS and
LONGEST, not by the log.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from ..models import MESSAGE, PHASE, Build, Tracked, is_uuid
from .hints import DOCS, Hint
from .untrusted import strip_escapes

DEPLOY = "deploy"
MAX_DEPLOYMENTS = 20  # a deploy command that runs wrangler more often is not plausible
MAX_ITEMS = 50  # URLs, and triggers, kept of one deployment
LONGEST = 1000  # characters kept of one value

# wrangler's usage text, printed instead of deploying when its arguments are wrong.
USAGE_HEADINGS = frozenset({"COMMANDS", "GLOBAL FLAGS", "POSITIONALS"})
NO_PROJECTS = "No projects matched the filters"


class Deployment:
    """One run of wrangler that uploaded a Worker (or, rarely, printed a version id alone)."""

    __slots__ = (
        "kind",
        "preview_alias_url",
        "preview_url",
        "startup_ms",
        "triggers",
        "upload",
        "urls",
        "version_id",
        "worker",
        "wrangler",
    )

    def __init__(self, worker: str | None, pending: dict[str, Any]) -> None:
        self.worker = worker
        self.kind: str | None = None  # "deploy" (wrangler deploy) | "version" (versions upload)
        self.version_id: str | None = None
        self.urls: list[str] = []
        self.triggers: list[str] = []
        self.preview_url: str | None = None
        self.preview_alias_url: str | None = None
        self.upload: str | None = pending.get("upload")
        self.startup_ms: int | float | None = pending.get("startup_ms")
        self.wrangler: str | None = pending.get("wrangler")

    def to_json(self, preview_url: str | None = None) -> dict[str, Any]:
        """The summary's form (README, JSON fields); `preview_url` from the build's record is
        used when the log gives none."""
        return {
            "worker": self.worker,
            "kind": self.kind,
            "version_id": self.version_id,
            "urls": list(self.urls),
            "triggers": list(self.triggers),
            "preview_url": self.preview_url or preview_url,
            "preview_alias_url": self.preview_alias_url,
            "upload": self.upload,
            "startup_ms": self.startup_ms,
            "wrangler": self.wrangler,
        }


def _value(text: str) -> str:
    return text.strip()[:LONGEST]


def _token(text: str) -> str | None:
    """The first word of `text`: an id or a URL is one word."""
    words = text.split(None, 1)
    return words[0][:LONGEST] if words else None


def _url(text: str) -> str | None:
    url = _token(text)
    return url if url is not None and url.startswith(("https://", "http://")) else None


def _number(text: str) -> int | float | None:
    word = text.strip().removesuffix("ms").strip()
    try:
        value = float(word)
    except ValueError:
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return int(value) if value.is_integer() and len(word) < 16 else value


def _timed_name(text: str, word: str) -> str | None:
    """NAME of `WORD NAME (1.29 sec)`, or None: a Worker's name has no white space, which
    tells `Uploaded my-worker (1.2 sec)` from wrangler's `Uploaded 2 of 3 assets`."""
    if not (text.startswith(word) and text.endswith(" sec)")):
        return None
    name, paren, _ = text[len(word) :].rpartition(" (")
    if not paren or not name or any(c.isspace() for c in name):
        return None
    return name[:LONGEST]


def _deployed_triggers(text: str) -> bool:
    """`Deployed NAME triggers (0.57 sec)`; wrangler 2 and early 3: `Published NAME (0.3 sec)`."""
    if text.startswith("Deployed ") and " triggers" in text:
        return True
    return _timed_name(text, "Published ") is not None


class DeployReader:
    """Reads the deploy phase's lines, page by page, into `deployments`."""

    def __init__(self) -> None:
        self.deployments: list[Deployment] = []
        self.began = False  # the deploy phase began
        self.no_projects = False  # `No projects matched the filters`
        self.usage = False  # wrangler printed its usage instead of deploying
        self._pending: dict[str, Any] = {}  # banner, upload and startup, before `Uploaded`
        self._triggers: Deployment | None = None  # under `Deployed NAME triggers`

    def observe(self, lines: Sequence[Tracked], text: str | None = None) -> None:
        """Phases only move forward: a page none of whose lines is in the deploy phase ends
        in another phase, which one comparison tells. `text`: the page's messages joined by
        line breaks, when the caller has them."""
        if not lines or lines[-1][PHASE] != DEPLOY:
            return
        self.began = True
        start = 0
        if lines[0][PHASE] != DEPLOY:  # the page where the deploy phase begins
            start = next(i for i, line in enumerate(lines) if line[PHASE] == DEPLOY)
        mine = lines[start:]
        if self._triggers is None:
            if text is None or start:
                text = "\n".join(map(_MESSAGE, mine))
            if not any(needle in text for needle in _NEEDLES):
                self._last_banner(text)  # nothing else in the page could matter
                return
        for line in mine:
            message = line[MESSAGE]
            if self._triggers is None:  # most lines are passed over on their first character
                head = message[:1]
                if head in " \t":
                    head = message.lstrip(" \t")[:1]
                if head not in _MAY_MATTER and "\n" not in message:
                    continue
            self._message(message)

    def _message(self, message: str) -> None:
        text = strip_escapes(message) if "\x1b" in message or "\x9b" in message else message
        if "\n" in text:
            for part in text.split("\n"):
                self._line(part)
        else:
            self._line(text)

    def _last_banner(self, text: str) -> None:
        """In a page of no facts, only its last banner counts: the wrangler run it begins."""
        at = text.rfind("⛅")
        if at >= 0:
            end = text.find("\n", at)
            self._message(text[text.rfind("\n", 0, at) + 1 : end if end >= 0 else len(text)])

    def _line(self, raw: str) -> None:
        text = raw.strip()
        if self._triggers is not None:
            if text and raw[:1] in (" ", "\t"):
                self._trigger(self._triggers, text)
                return
            self._triggers = None
        if not text:
            return
        first = text[0]
        if first == "⛅":
            self._banner(text)
        elif first in _FACTS:
            self._fact(text)
        elif text in USAGE_HEADINGS:
            self.usage = True
        elif first == "N" and text.startswith(NO_PROJECTS):
            self.no_projects = True

    def _banner(self, text: str) -> None:
        """` ⛅️ wrangler 4.124.0`: a run of wrangler begins; its facts so far are its own."""
        rest = text[1:].lstrip("\ufe0f ")
        if rest.startswith("wrangler "):
            self._pending = {"wrangler": _token(rest[len("wrangler ") :])}

    def _fact(self, text: str) -> None:
        if text.startswith("Total Upload:"):
            self._pending["upload"] = _value(text[len("Total Upload:") :])
        elif text.startswith("Worker Startup Time:"):
            self._pending["startup_ms"] = _number(text[len("Worker Startup Time:") :])
        elif (name := _timed_name(text, "Uploaded ")) is not None:
            if len(self.deployments) < MAX_DEPLOYMENTS:
                self.deployments.append(Deployment(name, self._pending))
            self._pending = {}
        elif _deployed_triggers(text):
            self._triggers = self._current("deploy")
        elif text.startswith("Current Version ID:"):
            self._version(text[len("Current Version ID:") :], "deploy")
        elif text.startswith("Worker Version ID:"):
            self._version(text[len("Worker Version ID:") :], "version")
        elif text.startswith("Version Preview URL:"):
            self._current("version").preview_url = _url(text[len("Version Preview URL:") :])
        elif text.startswith("Version Preview Alias URL:"):
            deployment = self._current("version")
            deployment.preview_alias_url = _url(text[len("Version Preview Alias URL:") :])

    def _current(self, kind: str) -> Deployment:
        """The deployment being printed (one with no `Uploaded` line when there is none), now
        known to be of `kind` unless it already said."""
        if not self.deployments:
            self.deployments.append(Deployment(None, self._pending))
            self._pending = {}
        deployment = self.deployments[-1]
        deployment.kind = deployment.kind or kind
        return deployment

    def _version(self, text: str, kind: str) -> None:
        word = (_token(text) or "").lower()
        if is_uuid(word):
            deployment = self._current(kind)
            deployment.kind = kind
            deployment.version_id = word

    @staticmethod
    def _trigger(deployment: Deployment, text: str) -> None:
        url = _url(text)
        if url is not None and len(deployment.urls) < MAX_ITEMS:
            deployment.urls.append(url)
        elif url is None and len(deployment.triggers) < MAX_ITEMS:
            deployment.triggers.append(text[:LONGEST])


# What a page must hold somewhere for a line of it to be a fact, a usage heading or the
# filter's complaint (the banner aside): searched in the joined page, in C.
# (wrangler's usage always ends with its GLOBAL FLAGS, so one heading stands for them all.)
_NEEDLES = ("Upload", "Version", "Deployed ", "Published ", "Startup Time", NO_PROJECTS,
            "GLOBAL FLAGS")  # fmt: skip
_MESSAGE = itemgetter(MESSAGE)
_FACTS = frozenset("TWUDCVP")  # the first letters of wrangler's lines that `_fact` reads
# What a line that matters starts with (after blanks): those letters, the banner's cloud, a
# usage heading's, `No projects`', or an escape (a coloured line, read once cleaned); a line
# that holds a line break is read whole, since its second line may matter.
_MAY_MATTER = _FACTS | frozenset("⛅N\x1b\x9b") | {h[0] for h in USAGE_HEADINGS}


def deployed(build: Build | None, deployments: Sequence[Deployment]) -> bool | None:
    """True when a deployment has a version id; False for a success without one (a "false
    green"); None while the build runs, when it failed or was skipped, or is unknown."""
    if build is None or not build.stopped:
        return None
    if any(d.version_id for d in deployments):
        return True
    return False if build.outcome == "success" else None


def false_green_hint(reader: DeployReader) -> Hint | None:
    """Why a build that succeeded deployed nothing, when its log tells."""
    settings = f"{DOCS}/workers/ci-cd/builds/configuration/"
    if not reader.began:
        return Hint(
            "The build succeeded without deploying: it has no deploy step (the trigger's "
            "deploy command is empty, or the build stopped before it). Check the deploy "
            "command in the Worker's Settings > Builds.",
            settings,
        )
    if reader.no_projects:
        return Hint(
            "The build succeeded without deploying: the deploy command's package filter "
            "matched no project (`No projects matched the filters`). Check the --filter "
            "name against the package's `name`.",
            None,
        )
    if reader.usage:
        return Hint(
            "The build succeeded without deploying: wrangler printed its usage instead, so "
            "the deploy command's arguments are wrong. Check it in Settings > Builds.",
            settings,
        )
    return None
