"""Masking secrets in log messages (contract section 10): the secret part becomes `***`, the
rest of the line stays, so a redacted log still reads as the build printed it.

Linear in the length of a message, whatever it holds (README, "Security"). A pattern that
starts with a run of a character class (a variable's name, a URL's scheme, a JWT's first part)
would be tried from every character of a long run, each try scanning the rest of it: so those
rules are written as scans instead, which find the fixed part (`TOKEN`, `://`, `eyJ`) and look
only forward from it, with patterns whose runs cannot give back what they matched.

Stateful only for private-key blocks, which span lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable

MASK = "***"
# Rules whose every try starts at a fixed word and ends at the first character that cannot
# belong to it: linear.
_AUTHORIZATION = (
    re.compile(r"(?i)\b(authorization\s*[:=]\s*[\"']?(?:(?:bearer|basic|token)\s+)?)[^\s\"',;]+"),
    r"\1" + MASK,
)
_BEARER = (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"), r"\1" + MASK)
_GITHUB = (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"), MASK)
_AWS = (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), MASK)

# NAME=value, NAME: value, "NAME": "value", where NAME holds one of these words (any case).
# What comes before the word is part of the name and is kept, so it need not be found.
_SECRET_WORD = re.compile(r"(?i)TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|APIKEY|PRIVATE_KEY|CREDENTIAL")
_NAME_REST = re.compile(r"[A-Za-z0-9_]*")
_ASSIGN = re.compile(r"[\"']?\s*[:=]\s*[\"']?")
_VALUE = re.compile(r"[^\s\"',;]+")

# scheme://user:password@host: the password after `://user:`, up to the `@`.
_SCHEME_END = "://"
_USER = re.compile(r"[^\s:/@]+:")
_PASSWORD = re.compile(r"[^\s@/]+@")
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")

# A JSON Web Token: `eyJ` and at least 5 more, a dot, at least 5, a dot, at least 1, each part
# of [A-Za-z0-9_-]; runs of those characters are matched whole, so none is scanned twice.
_JWT_START = "eyJ"
_PART = re.compile(r"[A-Za-z0-9_-]*")

_BEGIN_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
_END_KEY = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY-----")
# A message holds a secret only if it holds one of these (case-insensitively): one search
# spares the rules on the usual line.
_MAY_HOLD = re.compile(
    r"(?i)token|secret|passw|api_?key|private|credential|authorization|bearer|://[^\s/@]*:"
    r"|gh[pousr]_|github_pat_|AKIA|eyJ"
)

Span = tuple[int, int]


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


def _named_values(message: str) -> list[Span]:
    spans: list[Span] = []
    at = 0
    while (word := _SECRET_WORD.search(message, at)) is not None:
        name_end = _NAME_REST.match(message, word.end())
        assert name_end is not None  # `*` always matches
        at = name_end.end()  # a later word inside the same name ends where this one does
        assign = _ASSIGN.match(message, at)
        if assign is None:
            continue
        at = assign.end()
        value = _VALUE.match(message, at)
        if value is not None and not message.startswith(MASK, at):
            spans.append((at, value.end()))
            at = value.end()
    return spans


def _url_passwords(message: str) -> list[Span]:
    spans: list[Span] = []
    at = 0
    while (found := message.find(_SCHEME_END, at)) >= 0:
        at = found + len(_SCHEME_END)
        if found == 0 or message[found - 1] not in _SCHEME_CHARS:
            continue
        user = _USER.match(message, at)
        if user is None:
            continue
        password = _PASSWORD.match(message, user.end())
        if password is not None:
            spans.append((user.end(), password.end() - 1))
            at = password.end()
    return spans


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _part_end(message: str, start: int) -> int:
    found = _PART.match(message, start)
    assert found is not None  # `*` always matches
    return found.end()


def _jwts(message: str) -> list[Span]:
    spans: list[Span] = []
    at = 0
    while (start := message.find(_JWT_START, at)) >= 0:
        at = start + 1
        if start and _is_word(message[start - 1]):  # no word boundary before it
            continue
        # The whole run: any later eyJ in it ends here too, with a shorter first part.
        end = at = _part_end(message, start)
        if end - start < len(_JWT_START) + 5 or not message.startswith(".", end):
            continue
        second = _part_end(message, end + 1)
        if second - end - 1 < 5 or not message.startswith(".", second):
            continue
        third = _part_end(message, second + 1)
        if third > second + 1:
            spans.append((start, third))
            at = third
    return spans


def _rule(rule: tuple[re.Pattern[str], str]) -> Callable[[str], str]:
    pattern, replacement = rule
    return lambda message: pattern.sub(replacement, message)


def _scan(find: Callable[[str], list[Span]]) -> Callable[[str], str]:
    return lambda message: _masked(message, find(message))


# In this order: a name's value before the tokens it may hold, as contract section 10 lists.
_STEPS = (
    _rule(_AUTHORIZATION),
    _rule(_BEARER),
    _scan(_named_values),
    _scan(_url_passwords),
    _rule(_GITHUB),
    _rule(_AWS),
    _scan(_jwts),
)


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
        if _MAY_HOLD.search(message) is None:
            return message
        for step in _STEPS:
            message = step(message)
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
