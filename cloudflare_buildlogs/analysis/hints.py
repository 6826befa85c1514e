"""Advice for the failures Workers Builds users meet most: a table of pattern -> one line of
advice -> a documentation link. Matched against a build's error lines; a log's own "To learn
more about this error, visit: URL" is a hint too. Data, not logic: add a row, not a branch.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .classify import clean
from .untrusted import folded

DOCS = "https://developers.cloudflare.com"


class Hint(NamedTuple):
    text: str
    url: str | None


class Pattern:
    """A row's pattern, matched in time linear in the line: its alternatives (split at the top
    level `|`) are each a sequence of parts split at `.*`, every part searched for after the
    one before. (`A.*B` as one regular expression scans the rest of the line from every A.)"""

    def __init__(self, source: str) -> None:
        self.source = source
        self.alternatives = [
            [re.compile(_lower_case(part)) for part in alternative.split(".*")]
            for alternative in _top_level(source)
        ]

    def search(self, folded_text: str) -> bool:
        """Whether the pattern is in the text, given in lower case (`untrusted.folded`): the
        patterns are case-insensitive, and run many times faster as lower-case ones."""
        return any(_in_order(parts, folded_text) for parts in self.alternatives)


def _lower_case(source: str) -> str:
    """A pattern's literal letters in lower case; escapes (`\\S`, `\\d`) as they are."""
    out, escaped = [], False
    for char in source:
        out.append(char if escaped else char.lower())
        escaped = char == "\\" and not escaped
    return "".join(out)


def _top_level(source: str) -> list[str]:
    """`(a|b.*c)` -> [`a`, `b.*c`]: the alternatives of a group around the whole source; any
    other source whole."""
    if not (source.startswith("(") and source.endswith(")")):
        return [source]
    inner, depth, parts, start, escaped = source[1:-1], 0, [], 0, False
    for index, char in enumerate(inner):
        if escaped or char == "\\":
            escaped = not escaped
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:  # the first group closes before the end: it is not around the whole
            return [source]
        if char == "|" and depth == 0:
            parts.append(inner[start:index])
            start = index + 1
    return [*parts, inner[start:]]


def _in_order(parts: list[re.Pattern[str]], text: str) -> bool:
    at = 0
    for part in parts:
        found = part.search(text, at)
        if found is None:
            return False
        at = found.end()
    return True


# (what the log says, the advice, where to read more); the first row that matches a line wins.
TABLE: tuple[tuple[Pattern, str, str], ...] = tuple(
    (Pattern(pattern), text, url)
    for pattern, text, url in (
        (
            r"Missing entry-point to Worker script or to assets directory",
            "Set `main` (the Worker's entry point) or `assets.directory` in the wrangler "
            "configuration, or pass the entry point to `wrangler deploy`.",
            f"{DOCS}/workers/wrangler/configuration/",
        ),
        (
            r"(run a Workers-specific command in a Pages project|Pages project.*wrangler pages)",
            "This is a Pages project: its deploy command should be `npx wrangler pages deploy`, "
            "or move the project to Workers.",
            f"{DOCS}/pages/how-to/use-direct-upload-with-continuous-integration/",
        ),
        (
            r"(build token.*(deleted|rolled|revoked|expired|invalid)|"
            r"Authentication error \[code: 10000\]|Invalid access token \[code: 9109\])",
            "The API token the build deploys with was deleted, rolled or lacks permission: pick "
            "or create a build token in the Worker's Settings > Builds.",
            f"{DOCS}/workers/ci-cd/builds/configuration/#api-token",
        ),
        (
            r"(exceeded the (maximum )?(build )?time|timed? ?out after 20 minutes|"
            r"build (has )?timed out|exceeded .*20 minutes)",
            "The build ran into the 20-minute limit: cache dependencies, trim the build "
            "command, or build ahead of time.",
            f"{DOCS}/workers/ci-cd/builds/limits-and-pricing/",
        ),
        (
            r"\[code: 7003\]|Could not route to /accounts/",
            "The `account_id` in the wrangler configuration is not the account the build runs "
            "in: fix or remove it.",
            f"{DOCS}/workers/wrangler/configuration/#top-level-only-keys",
        ),
        (
            r"(unsupported (engine|runtime|node(js)? version)|"
            r"(node|nodejs|python|bun|pnpm|yarn)( version)? \S+ (is )?not "
            r"(available|supported|found)|No version of (node|nodejs|python|bun|pnpm|yarn)|"
            r"ERR_PNPM_UNSUPPORTED_ENGINE|EBADENGINE)",
            "The requested language or package-manager version is not available: set a "
            "supported one (e.g. NODE_VERSION, .node-version or packageManager).",
            f"{DOCS}/workers/ci-cd/builds/build-image/",
        ),
        (
            r"(npm ci.* can only install packages when your package\.json and "
            r"package-lock\.json|ERR_PNPM_OUTDATED_LOCKFILE|frozen-lockfile|"
            r"lockfile (is )?(out of date|needs to be updated)|yarn\.lock.*(outdated|modified))",
            "The lockfile does not match package.json: run the install locally and commit the "
            "updated lockfile.",
            f"{DOCS}/workers/ci-cd/builds/build-image/",
        ),
        (
            r"(^|\s)(/bin/(ba)?sh: (line )?\d*:? ?)?[\w.@/-]+: (command )?not found$",
            "A program the build calls is not installed in the build image or not on the "
            "PATH: add it to the project's dependencies (and call it through npx) or install "
            "it in the build command.",
            f"{DOCS}/workers/ci-cd/builds/build-image/",
        ),
        (
            r"internal (server )?error|An unexpected error occurred on our side",
            "An error on Cloudflare's side: retry the build; if it keeps happening, check "
            "cloudflarestatus.com.",
            f"{DOCS}/workers/ci-cd/builds/troubleshoot/",
        ),
    )
)


_LEARN_MORE = re.compile(r"To learn more about this error, visit:\s*(https?://\S{1,2000})")


def hints_for(message: str) -> list[Hint]:
    """What a line tells of a known failure: a row of the table, or a link the log gives."""
    text = clean(message)
    lower = folded(text)
    row = next((Hint(text, url) for pattern, text, url in TABLE if pattern.search(lower)), None)
    found = [] if row is None else [row]
    learn = _LEARN_MORE.search(text)
    if learn is not None:
        found.append(Hint("The build log links to documentation for this error.", learn[1]))
    return found
