"""Which log lines are errors and which are warnings (README, "When a build fails").

A line is judged after its escape sequences are removed and leading white space skipped, by
how it starts, what it holds and how it ends; lines that merely mention the word ("0 errors",
"errorHandler.js") are not errors. `page_may_have_errors` lets a page with none of the words
that any error line must contain, and no escape, skip the per-line checks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .untrusted import strip_escapes

ERROR_STARTS = (
    "✘ [ERROR]",
    "✗ Build failed",
    "npm ERR!",
    "npm error",
    "ERR_PNPM_",
    "ELIFECYCLE",
    "Failed:",
    "Failed to compile",
    "fatal:",
    "Error:",
    "error:",
    "error during build",
    "Module not found:",
    "Build failed",
    "> Build failed",
)


ERROR_ENDS = (": not found", "command not found")
WARNING_STARTS = ("▲ [WARNING]", "npm warn", "npm WARN", "WARNING:", "warning:")


_NAMED_ERROR = re.compile(r"[A-Z][A-Za-z0-9]*Error:")  # TypeError:, SyntaxError: ...
_TS_ERROR = re.compile(r"error TS\d")


# Every error line holds one of these (case-sensitively), wherever it is.
ERROR_WORDS = ("ERR", "rror", "Fail", "fail", "fatal", "not found", "ELIFECYCLE")
_ANY_ERROR_WORD = re.compile("|".join(ERROR_WORDS))


def clean(message: str) -> str:
    """The message as the classifiers read it: escape sequences removed, white space trimmed."""
    text = strip_escapes(message) if "\x1b" in message else message
    return text.strip()


def is_error(message: str) -> bool:
    text = clean(message)
    if text.startswith(ERROR_STARTS) or text.endswith(ERROR_ENDS):
        return True
    if "[ERROR]" in text or _NAMED_ERROR.match(text) is not None:
        return True
    return "error TS" in text and _TS_ERROR.search(text) is not None


def is_warning(message: str) -> bool:
    return clean(message).startswith(WARNING_STARTS)


def page_may_have_errors(messages: str) -> bool:
    """Whether any line of a page (its messages joined) could be an error line: one holds an
    error word, or an escape, which `clean` removes and which may split a word in two
    (`Er\x1b[1mror:`), as `error_lines` knows."""
    return "\x1b" in messages or _ANY_ERROR_WORD.search(messages) is not None


def error_lines(messages: Sequence[str], text: str) -> list[int]:
    """The indices of the error lines (`is_error`) among `messages`, `text` being them joined
    by line breaks. Only a message that holds an error word, or an escape (`clean` changes no
    other), can be one: the words are found in `text` with `str.find`, a word at a time (one
    pattern of all the words would try every "r", "n" and "f"), and only those lines are
    looked at. A real log's page holds a word on a line or two ("errorHandler.js") and escapes
    on a tenth of its lines. Linear: each search starts on the line after the last found."""
    if text.count("\n") != len(messages) - 1:  # a message with line breaks of its own
        return [index for index, message in enumerate(messages) if is_error(message)]
    found = {index for index, message in enumerate(messages) if "\x1b" in message}
    for word in ERROR_WORDS:
        index = counted = 0
        at = text.find(word)
        while at >= 0:
            index += text.count("\n", counted, at)
            found.add(index)
            end = text.find("\n", at)
            if end < 0:
                break
            index, counted = index + 1, end + 1
            at = text.find(word, counted)
    return [index for index in sorted(found) if is_error(messages[index])]
