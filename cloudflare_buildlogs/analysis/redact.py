"""Masking secrets in log messages (README, "When a build fails"): the secret part becomes
`***`, the rest of the line stays, so a redacted log still reads as the build printed it.

Linear in the length of a message, whatever it holds (README, "Security"), and fast on a long
one: every pattern starts with a fixed word (searched for, not tried at every character), or is
anchored to the start of a run of characters by a look-behind, so no run is scanned from more
than one of its characters; a part that must not give back what it matched is made atomic with
`(?=(X))\\N`. Case-insensitive rules run as lower-case ones on the message in lower case
(`untrusted.folded`, of the same length), which the regular expression engine scans many times
faster.

Stateful only for private-key blocks, which span lines.
"""

from __future__ import annotations

import re

from .untrusted import folded

MASK = "***"
Span = tuple[int, int]


# A secret's name holds one of these words (the third rule), a JSON Web Token starts `eyJ`:
# the two rules that must try every character run only on a message that holds one, a few
# `in` tests (memory searches, many times faster than the patterns' scans).
_NAMES = ("token", "secret", "password", "passwd", "api_key", "apikey", "private_key", "credential")
_ALWAYS = ()  # the rule searches for a fixed word of its own: nothing to test first

# Each rule: a pattern whose group 1 is the secret, whether it runs on the lower-case text,
# and words one of which a message must hold for it to match (none: no such test).
_RULES: tuple[tuple[re.Pattern[str], bool, tuple[str, ...]], ...] = (
    # Authorization: Bearer xyz / Authorization: Basic xyz / Authorization: xyz
    (
        re.compile(
            r"authorization(?<!\wauthorization)\s*[:=]\s*[\"']?(?:(?:bearer|basic|token)\s+)?"
            r"([^\s\"',;]+)"
        ),
        True,
        _ALWAYS,
    ),
    (re.compile(r"bearer(?<!\wbearer)\s+([a-z0-9._~+/=-]{8,})"), True, _ALWAYS),
    # NAME=value, NAME: value, "NAME": "value", where NAME's last run of word characters holds
    # one of the words: from a run's start, the word looked for within the run, then the run.
    (
        re.compile(
            r"(?<![a-z0-9_])"
            r"(?=[a-z0-9_]*?(?:token|secret|password|passwd|api_key|apikey|private_key|credential))"
            r"[a-z0-9_]+[\"']?\s*[:=]\s*[\"']?(?!\*\*\*)([^\s\"',;]+)"
        ),
        True,
        _NAMES,
    ),
    # scheme://user:password@host
    (re.compile(r"://(?<=[A-Za-z0-9+.-]://)[^\s:/@]+:([^\s@/]+)@"), False, _ALWAYS),
    (
        re.compile(
            r"(gh[pousr]_(?<!\wgh[pousr]_)[A-Za-z0-9]{20,}"
            r"|github_pat_(?<!\wgithub_pat_)[A-Za-z0-9_]{20,})"
        ),
        False,
        _ALWAYS,
    ),
    (re.compile(r"(AKIA(?<!\wAKIA)[0-9A-Z]{16})(?!\w)"), False, _ALWAYS),
    # A JSON Web Token: from the start of a run of [A-Za-z0-9_-], the first `eyJ` in it with a
    # word boundary before, taken for good (a later one in the run has the same end and a
    # shorter first part); then at least 5 more, a dot, at least 5, a dot, at least 1.
    (
        re.compile(
            r"(?=(?<![A-Za-z0-9_-])([A-Za-z0-9_-]*?(?<!\w)eyJ))\1"
            r"[A-Za-z0-9_-]{5}(?=([A-Za-z0-9_-]*))\2"
            r"\.[A-Za-z0-9_-]{5}(?=([A-Za-z0-9_-]*))\3\.[A-Za-z0-9_-]+"
        ),
        False,
        ("eyJ",),
    ),
)


_BEGIN_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
_END_KEY = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY-----")


# A message holds a secret only if it holds one of these (searched in lower case): one search
# spares the rules on the usual line.
_MAY_HOLD = re.compile(
    r"token|secret|passw|api_?key|private|credential|authorization|bearer|://[^\s/@]*:"
    r"|gh[pousr]_|github_pat_|akia|eyj"
)


def _masked(message: str, spans: list[Span]) -> str:
    """The message with each (start, end) span, in order and apart, replaced by the mask."""
    if not spans:
        return message
    out, last = [], 0
    for start, end in spans:
        out += [message[last:start], MASK]
        last = end
    out.append(message[last:])
    return "".join(out)


def _secret(found: re.Match[str]) -> Span:
    """The secret of a rule's match: group 1, or for a JWT from its `eyJ` to the end."""
    if found.re.groups > 1:
        return found.end(1) - 3, found.end()
    return found.span(1)


class Redactor:
    def __init__(self) -> None:
        self.in_key = False

    def __call__(self, message: str) -> str:
        if self.in_key:
            end = _END_KEY.search(message)
            if end is None:
                return MASK
            self.in_key = False
            message = MASK + message[end.start() :]
        lower = folded(message)
        if _MAY_HOLD.search(lower) is None:
            return message
        for pattern, on_lower, words in _RULES:
            text = lower if on_lower else message
            if words and not any(word in text for word in words):
                continue
            spans = [_secret(found) for found in pattern.finditer(text)]
            if spans:  # lowered again only when a rule changed the message
                message = _masked(message, spans)
                lower = folded(message)
        return self._keys(message)

    def _keys(self, message: str) -> str:
        """Private-key blocks within the message masked; one that goes on below cut here."""
        spans: list[Span] = []
        at = 0
        while (begin := _BEGIN_KEY.search(message, at)) is not None:
            end = _END_KEY.search(message, begin.end())
            if end is None:  # the key goes on below
                self.in_key = True
                return _masked(message[: begin.end()], spans)
            spans.append((begin.end(), end.start()))
            at = end.end()
        return _masked(message, spans)
