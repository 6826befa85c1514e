"""The one door for text from outside the tool (README, "Security"): log lines, every field of
an API answer, saved files, wrangler files. A fork's pull request writes some of them.

- `sanitize` and `strip_escapes`: a log message as it may reach a terminal or a pipe (colour at
  most, no other control, no bidirectional or invisible character).
- `field`: any other untrusted value shown as text (a branch, a Worker's name, an API error
  message, an account name): the same cleaning, on one line.
- `code`, `fence` and `link`: the only ways untrusted text enters Markdown: inside code, or as
  a link only to the few https hosts that may be linked.

Every pattern here is linear in the length of its input: each alternative either fails at its
first character or cannot fail once started, so no input makes the engine backtrack far.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from urllib.parse import urlsplit

# Unicode's bidirectional controls and the invisible characters that can disguise text.
INVISIBLE = "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u200b\u2060\ufeff"


# Anything that could reach a terminal as a control: C0 but tab, DEL, C1 (0x9b is an 8-bit CSI),
# and the invisible characters.
_NEEDS_CARE = re.compile(f"[\\x00-\\x08\\x0a-\\x1f\\x7f-\\x9f{INVISIBLE}]")
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours (kept when allowed), cursor moves, erasing
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: titles, clipboard, hyperlinks
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC strings
    r"|\x1b[ -/]*[0-~]?"  # any other escape
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    f"|[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{INVISIBLE}]"  # every other control; \t and \n stay
)


_SGR = re.compile(r"\x1b\[[0-9;:]*m")
_RESET = "\x1b[0m"


# The message with its colour (SGR sequences) removed and nothing else. Where the result is
# printable (`str.isprintable`), as on most lines that need cleaning, it is what
# `sanitize(shown_frame(message), False)` gives (no carriage return, line break or other escape
# is left to handle), at a third of the cost; where it is not, the message needs `sanitize`.
# A partial, not a function: the writer calls it once for every coloured line, inline.
uncolored: Callable[[str], str] = partial(_SGR.sub, "")


def strip_escapes(text: str) -> str:
    """The text with every escape sequence, control character (but tab and newline) and
    invisible character removed. Printable text has none of them: it is returned as it is
    after one check in C, several times faster than the pattern's scan of a long line; and
    text whose only escapes are colours, as most coloured lines, loses them with the colour
    pattern alone, which finds its escapes by searching for them rather than trying one at
    every character."""
    if text.isprintable():
        return text
    plain = uncolored(text)
    return plain if plain.isprintable() else _ESCAPES.sub("", text)


def _keep_sgr(match: re.Match[str]) -> str:
    text = match.group()
    return text if _SGR.fullmatch(text) else ""


def sanitize(message: str, keep_color: bool) -> str:
    """The message as it may reach a terminal: colour (SGR) sequences at most, no other control.

    A trailing line break is dropped (the writer adds its own); line breaks inside stay, and
    the writer repeats its line's prefix after each (`continued`).
    """
    if _NEEDS_CARE.search(message) is None:
        return message
    message = message.rstrip("\r\n")
    if not keep_color:
        return _ESCAPES.sub("", message)
    cleaned = _ESCAPES.sub(_keep_sgr, message)
    return cleaned + _RESET if "\x1b[" in cleaned else cleaned


def shown_frame(message: str) -> str:
    """What a terminal shows of a line redrawn with carriage returns (a progress bar): each
    line's text after its last carriage return that is not at its end, so
    `[==  ] 50%\\r[====] 100%` is `[====] 100%`. For text output; JSON keeps what was sent."""
    if "\r" not in message:
        return message
    frames = []
    for part in message.split("\n"):
        body = part.rstrip("\r")
        frames.append(body[body.rfind("\r") + 1 :])
    return "\n".join(frames)


def continued(text: str, lead: str) -> str:
    """`text` with `lead` (the timestamp, the Worker) repeated after each inner line break,
    so no line of a message can pass for another line, another build's or another Worker's."""
    return text.replace("\n", "\n" + lead) if "\n" in text else text


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def folded(text: str) -> str:
    """`text` in lower case, of the same length, so a position in one is a position in the
    other: case-insensitive patterns run on it as case-sensitive ones, which the regular
    expression engine scans many times faster (a literal is searched for, not tried at every
    character). A few characters change length when lowered (U+0130): then ASCII only."""
    lower = text.lower()
    return lower if len(lower) == len(text) else text.translate(_ASCII_LOWER)


def field(value: object) -> str:
    """An untrusted value as one line of plain text: no escape, control or invisible
    character, and tabs and line breaks become spaces."""
    text = value if isinstance(value, str) else str(value)
    if text.isprintable():
        return text
    return _ESCAPES.sub("", text.replace("\t", " ").replace("\r", " ").replace("\n", " "))


def shortened(text: str, limit: int) -> str:
    """At most `limit` characters of `text`, saying how many more there were."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters)"


_BACKTICKS = re.compile("`+")


def _longest_backticks(text: str) -> int:
    return max((len(run) for run in _BACKTICKS.findall(text)), default=0)


def code(value: object) -> str:
    """An inline code span holding `value` on one line: nothing in it is read as Markdown
    (no mention, reference, link, emphasis or HTML), whatever it holds."""
    text = field(value).strip() or " "
    ticks = "`" * (_longest_backticks(text) + 1)
    # A space inside the ticks when the text starts or ends with one: CommonMark strips one.
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def fence(block: str) -> str:
    """The fence for a code block holding `block`: longer than any backtick run in it."""
    return "`" * max(3, _longest_backticks(block) + 1)


# Hosts whose https URLs may become links: Cloudflare's own, and a deployed Worker's address.
LINK_HOSTS = ("cloudflare.com", "cfl.re")
WORKER_HOST = "workers.dev"


_NOT_IN_LINKS = frozenset(" \t\r\n<>()[]`\\\"'")


def linkable(url: str) -> bool:
    """Whether `url` may be a Markdown link: https, on cloudflare.com, cfl.re or a subdomain
    of workers.dev, with nothing in it that could end or bend a link."""
    if not url.startswith("https://") or len(url) > 2048 or not url.isprintable():
        return False
    if any(c in _NOT_IN_LINKS for c in url):
        return False
    parts = urlsplit(url)
    try:
        if parts.username is not None or parts.password is not None or parts.port is not None:
            return False
    except ValueError:  # a port that is not a number
        return False
    host = (parts.hostname or "").rstrip(".")
    if any(host == h or host.endswith("." + h) for h in LINK_HOSTS):
        return True
    return host.endswith("." + WORKER_HOST)


def link(text: str, url: str | None) -> str:
    """`[text](url)` when the URL may be linked, else the URL as code; `text` is the tool's."""
    if not url:
        return text
    return f"[{text}]({url})" if linkable(url) else f"{text} {code(url)}"
