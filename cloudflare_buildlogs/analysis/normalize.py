"""Log lines made comparable across builds (README, "diff"): what differs between two runs of the
same step for no reason (a time, a duration, a size, an id, a count, a temporary path, a URL's
query) becomes a placeholder, so that two lines that say the same thing read the same.

Every pattern is linear in the line: one pass of alternatives that each either match at once
or fail within a bounded look, and a line that holds nothing to replace (no digit, no `/`, no
`?`) is returned as it is after one scan in C.
"""

from __future__ import annotations

import re

from .classify import clean

# Each pass runs only when the line may hold what it replaces (a substring test in C first);
# a placeholder is one word, so it is one token of the token-set similarity.
_QUERY = re.compile(r"\?[^\s\"'<>]*")
_TEMP = re.compile(r"/tmp/\S*|/opt/buildhome/\S*/logs/wrangler-\S*\.log")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX = re.compile(r"\b(?=[a-f]{0,6}\d)[0-9a-f]{7,}\b")  # a commit, a hash, a version id
# A number (times and dates are numbers and their separators, so they come out the same
# wherever they are), then the unit after one (a duration, a size): both become NUMBER.
NUMBER = "\x00"
_NUMBER = re.compile(r"[0-9][0-9.:,]*")
_UNIT = re.compile(
    NUMBER + r"\s?(?:ms|s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|B|[kKMG]i?B|bytes)"
    r"(?![A-Za-z])"
)
_MAY_CHANGE = re.compile(r"[\d/?]").search
_WORDS = re.compile(r"[^\s|│,;:=()\[\]{}<>\"']+").findall


def normalized(message: str) -> str:
    """The line's comparable form: escapes removed, white space collapsed, and each thing
    that differs between runs replaced by a placeholder."""
    text = clean(message)
    if _MAY_CHANGE(text) is not None:
        if "?" in text:
            text = _QUERY.sub("?QUERY", text)
        if "/tmp/" in text or "/logs/wrangler-" in text:
            text = _TEMP.sub("TMPPATH", text)
        if "-" in text:
            text = _UUID.sub("UUID", text)
        text = _NUMBER.sub(NUMBER, _HEX.sub("HEX", text))
        if NUMBER in text:
            text = _UNIT.sub(NUMBER, text)
    if "  " in text or "\t" in text or "\n" in text or "\r" in text:
        return " ".join(text.split())
    return text


def tokens(form: str) -> frozenset[str]:
    """A normalised line's words, for the token-set similarity."""
    return frozenset(_WORDS(form))
