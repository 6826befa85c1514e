"""What is new in a log against good ones (README, "diff"), in one streaming pass over each.

The baselines' lines go into an `Index`: per phase, the set of their normalised forms
(`normalize.py`). A line of the compared log is **new** when its phase's set holds neither its
form nor one close to it: a token-set (Jaccard) similarity of `SIMILAR` or more, found without
comparing against every form by prefix filtering (forms that share no token among the rarest
few of the line's cannot reach the threshold). Memory is the distinct forms, whatever the
number of baselines; a raw line seen before is normalised once (`Forms`).

`Versions` reads the tool versions a log names; `Finder` streams the compared log and keeps
its new lines with their context, as `grep -C` picks lines.
"""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Sequence
from typing import NamedTuple

from ..models import MESSAGE, PHASE, Build, Tracked
from .classify import clean
from .normalize import normalized, tokens

SIMILAR = 0.8
MAX_NEW = 5000  # new lines kept for the output; past it they are counted only
_CACHE = 200_000  # raw lines whose form is remembered, at most


class Forms:
    """Normalised forms, each raw message normalised once (the logs of one Worker's builds
    repeat most of their lines word for word)."""

    def __init__(self) -> None:
        self._known: dict[str, str] = {}

    def __call__(self, message: str) -> str:
        form = self._known.get(message)
        if form is None:
            if len(self._known) >= _CACHE:
                self._known.clear()
            form = self._known[message] = normalized(message)
        return form


class Index:
    """The baselines' normalised lines, by phase."""

    def __init__(self, forms: Forms) -> None:
        self.forms = forms
        self.by_phase: dict[str, set[str]] = {}
        self._sealed: dict[str, _Similar] = {}
        self._answers: dict[tuple[str, str], bool] = {}

    def add(self, lines: Sequence[Tracked]) -> None:
        forms, by_phase = self.forms, self.by_phase
        for line in lines:
            phase = line[PHASE]
            known = by_phase.get(phase)
            if known is None:
                known = by_phase[phase] = set()
            known.add(forms(line[MESSAGE]))

    def holds(self, phase: str, form: str) -> bool:
        """Whether a baseline line of `phase` is `form`, or close to it."""
        known = self.by_phase.get(phase)
        if known is None:
            return False
        if form in known:
            return True
        key = (phase, form)
        answer = self._answers.get(key)
        if answer is None:
            similar = self._sealed.get(phase)
            if similar is None:
                similar = self._sealed[phase] = _Similar(known)
            answer = self._answers[key] = similar.finds(tokens(form))
        return answer


class _Similar:
    """Forms indexed by the rarest tokens of each (prefix filtering for Jaccard >= SIMILAR)."""

    def __init__(self, forms: set[str]) -> None:
        self.sets = [tokens(form) for form in forms]
        self.rarity: dict[str, int] = {}
        for words in self.sets:
            for word in words:
                self.rarity[word] = self.rarity.get(word, 0) + 1
        self.index: dict[str, list[int]] = {}
        for number, words in enumerate(self.sets):
            for word in self._prefix(words):
                self.index.setdefault(word, []).append(number)

    def _prefix(self, words: frozenset[str]) -> list[str]:
        size = len(words) - math.ceil(SIMILAR * len(words)) + 1
        return sorted(words, key=lambda w: (self.rarity.get(w, 0), w))[:size]

    def finds(self, words: frozenset[str]) -> bool:
        if not words:
            return False
        low, high = SIMILAR * len(words), len(words) / SIMILAR
        seen: set[int] = set()
        for word in self._prefix(words):
            for number in self.index.get(word, ()):
                if number in seen:
                    continue
                seen.add(number)
                other = self.sets[number]
                if low <= len(other) <= high:
                    common = len(words & other)
                    if common / (len(words) + len(other) - common) >= SIMILAR:
                        return True
        return False


class Finder:
    """The compared log's new lines, with `context` lines around each: (line, new) in log
    order, groups apart where the line numbers jump."""

    def __init__(self, index: Index, context: int) -> None:
        self.index, self.context = index, context
        self.shown: list[tuple[Tracked, bool]] = []
        self.new = 0  # every new line, shown or not
        self.forms: dict[str, set[str]] = {}  # this log's forms by phase, for --both
        self._before: deque[Tracked] = deque(maxlen=context)
        self._after = 0

    def write(self, lines: list[Tracked]) -> None:
        forms, holds, mine = self.index.forms, self.index.holds, self.forms
        for line in lines:
            phase = line[PHASE]
            form = forms(line[MESSAGE])
            mine.setdefault(phase, set()).add(form)
            if form and not holds(phase, form):  # a blank line is never news
                self.new += 1
                if self.new > MAX_NEW:
                    continue
                self.shown.extend((kept, False) for kept in self._before)
                self._before.clear()
                self.shown.append((line, True))
                self._after = self.context
            elif self._after:
                self.shown.append((line, False))
                self._after -= 1
            elif self.context:
                self._before.append(line)

    def missing(self, lines: Sequence[Tracked]) -> list[Tracked]:
        """The lines of a baseline that this log has nothing like (for --both)."""
        forms = self.index.forms
        out = []
        for line in lines:
            form = forms(line[MESSAGE])
            if form and form not in self.forms.get(line[PHASE], ()):
                out.append(line)
        return out


def new_lines(shown: Sequence[tuple[Tracked, bool]]) -> list[Tracked]:
    return [line for line, new in shown if new]


# -- tool versions ----------------------------------------------------------------------------

_DETECTED = "Detected the following tools from environment:"
_TOOL = re.compile(r"([A-Za-z][\w.-]{0,40})@(\d[\w.+-]{0,40})")
_WRANGLER = re.compile(r"wrangler (\d+\.\d+\.\d+[\w.+-]{0,20})")


class Change(NamedTuple):
    tool: str
    before: str | None
    after: str | None


class Versions:
    """The tool versions a log names: the platform's `Detected the following tools` line and
    wrangler's banner (only their first mention each)."""

    def __init__(self) -> None:
        self.found: dict[str, str] = {}

    def observe(self, lines: Sequence[Tracked]) -> None:
        text = "\n".join(line[MESSAGE] for line in lines)
        if _DETECTED not in text and "wrangler " not in text:
            return
        for line in lines:
            message = line[MESSAGE]
            if _DETECTED in message:
                for tool, version in _TOOL.findall(clean(message)[:2000]):
                    self.found.setdefault(tool, version)
            elif "wrangler " in message and "wrangler" not in self.found:
                match = _WRANGLER.search(clean(message)[:500])
                if match is not None:
                    self.found["wrangler"] = match[1]


def changes(before: dict[str, str], after: dict[str, str]) -> list[Change]:
    """The tools whose version differs, in the order the compared log names them."""
    tools = list(after) + [tool for tool in before if tool not in after]
    return [
        Change(tool, before.get(tool), after.get(tool))
        for tool in tools
        if before.get(tool) != after.get(tool)
    ]


# -- a comparison's result ----------------------------------------------------------------


class Source(NamedTuple):
    """A log to compare: a build (its record) or a file (its name)."""

    label: str
    build: Build | None = None
    path: str | None = None


class PhaseChange(NamedTuple):
    name: str
    seconds: float
    base_seconds: float


class Diff(NamedTuple):
    build: Source
    bases: list[Source]
    versions: list[Change]
    phases: list[PhaseChange]
    shown: list[tuple[Tracked, bool]]  # BUILD's new lines (True) with their context
    new: int  # how many new lines, shown or not
    missing: list[Tracked]  # with --both: the first base's lines BUILD has nothing like
