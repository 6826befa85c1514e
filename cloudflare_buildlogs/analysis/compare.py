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
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import NamedTuple

from ..models import MESSAGE, PHASE, Build, Tracked
from .classify import clean
from .normalize import normalized, tokens

SIMILAR = 0.8
MAX_NEW = 5000  # new lines kept for the output; past it they are counted only
_CACHE = 200_000  # raw lines whose form is remembered, at most
_MESSAGE = itemgetter(MESSAGE)


# Every digit as 0: a message's form does not change when its digits do (each pass of the
# normaliser treats every digit alike, escape sequences included), so this is the key of the
# forms already made. Made in C on the UTF-8 bytes: str.translate is ten times slower.
_ZEROS = bytes.maketrans(b"123456789", b"000000000")


class Forms:
    """Normalised forms, made once for the messages that differ only in their digits (a
    build's lines, and a Worker's builds, mostly differ in their numbers)."""

    def __init__(self) -> None:
        self._known: dict[bytes, str] = {}

    def __call__(self, message: str) -> str:
        key = message.encode("utf-8", "surrogatepass").translate(_ZEROS)
        form = self._known.get(key)
        if form is None:
            if len(self._known) >= _CACHE:
                self._known.clear()
            form = self._known[key] = normalized(message)
        return form


_NONE: frozenset[str] = frozenset()


def by_phase(lines: Sequence[Tracked]) -> Sequence[tuple[str, Iterable[str]]]:
    """A page's messages by phase, in order: usually one phase (phases only move forward)."""
    if lines[0][PHASE] == lines[-1][PHASE]:
        return [(lines[0][PHASE], map(_MESSAGE, lines))]
    groups: dict[str, list[str]] = {}
    for line in lines:
        groups.setdefault(line[PHASE], []).append(line[MESSAGE])
    return list(groups.items())


class Seen:
    """A log's lines by phase: their raw messages, set by set (in C), and their normalised
    forms, made only when first asked for (most lines of a build are word for word a line of
    the good builds, and need no form at all)."""

    def __init__(self, forms: Forms) -> None:
        self.forms = forms
        self.raw: dict[str, set[str]] = {}
        self._forms: dict[str, set[str]] = {}
        self._formed: dict[str, set[str]] = {}  # the raw messages whose forms are made

    def add(self, lines: Sequence[Tracked]) -> None:
        if not lines:
            return
        for phase, messages in by_phase(lines):
            raw = self.raw.get(phase)
            if raw is None:
                raw = self.raw[phase] = set()
            raw.update(messages)

    def forms_of(self, phase: str) -> set[str]:
        done = self._forms.setdefault(phase, set())
        formed = self._formed.setdefault(phase, set())
        raw = self.raw.get(phase)
        if raw is None or len(raw) == len(formed):  # formed is a subset of raw: all made
            return done
        pending = raw - formed
        if pending:
            formed |= pending
            done.update(map(self.forms, pending))
            done.discard("")
        return done


class Index(Seen):
    """The baselines' lines, by phase; `holds` says whether one is like a given line."""

    def __init__(self, forms: Forms) -> None:
        super().__init__(forms)
        self._sealed: dict[str, _Similar] = {}
        self._answers: dict[tuple[str, str], bool] = {}

    def holds(self, phase: str, form: str) -> bool:
        """Whether a baseline line of `phase` has the normalised form `form`, or one close."""
        if phase not in self.raw:
            return False
        known = self.forms_of(phase)
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
    order, groups apart where the line numbers jump. A page whose every line is word for word
    a baseline's costs a few set lookups in C."""

    def __init__(self, index: Index, context: int, keep: bool = False) -> None:
        self.index, self.context = index, context
        self.shown: list[tuple[Tracked, bool]] = []
        self.new = 0  # every new line, shown or not
        self.mine = Seen(index.forms) if keep else None  # this log's lines, for --both
        self._before: deque[Tracked] = deque(maxlen=context)
        self._after = 0

    def write(self, lines: list[Tracked]) -> None:
        if not lines:
            return
        if self.mine is not None:
            self.mine.add(lines)
        index, forms = self.index, self.index.forms
        if lines[0][PHASE] == lines[-1][PHASE]:
            raw = index.raw.get(lines[0][PHASE], _NONE)
            odd = [i for i, line in enumerate(lines) if line[MESSAGE] not in raw]
        else:
            odd = [
                i
                for i, line in enumerate(lines)
                if line[MESSAGE] not in index.raw.get(line[PHASE], _NONE)
            ]
        new = set()
        for i in odd:
            form = forms(lines[i][MESSAGE])
            if form and not index.holds(lines[i][PHASE], form):  # a blank line is never news
                new.add(i)
        if not new and not self._after:
            if self.context:
                self._before.extend(lines[-self.context :])
            return
        for i, line in enumerate(lines):
            if i in new:
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
        assert self.mine is not None
        mine, forms = self.mine, self.index.forms
        out = []
        for line in lines:
            phase, message = line[PHASE], line[MESSAGE]
            if message in mine.raw.get(phase, _NONE):
                continue
            form = forms(message)
            if form and form not in mine.forms_of(phase):
                out.append(line)
        return out


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
        text = "\n".join(map(_MESSAGE, lines))
        banner = "wrangler" not in self.found and "wrangler " in text
        if not banner and _DETECTED not in text:
            return
        for line in lines:
            message = line[MESSAGE]
            if _DETECTED in message:
                for tool, version in _TOOL.findall(clean(message)[:2000]):
                    self.found.setdefault(tool, version)
            elif banner and "wrangler " in message and "wrangler" not in self.found:
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

    @property
    def new_lines(self) -> list[Tracked]:
        """The new lines kept (at most MAX_NEW), without their context."""
        return [line for line, new in self.shown if new]
