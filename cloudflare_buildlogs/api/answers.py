"""The API's answers as the client reads them: the envelope, the errors' texts and codes,
`retry-after`, and identifiers checked by shape before they name a path (README, "Security").
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple
from urllib.parse import quote

from ..analysis.untrusted import field
from ..errors import ApiError
from ..models import Build, is_uuid


class Envelope(NamedTuple):
    result: Any
    result_info: dict[str, Any]
    messages: tuple[str, ...]
    body: bytes = b""  # the answer as it was sent, for the store (it keeps log pages whole)


def texts(items: Any) -> list[str]:
    """`errors`/`messages` entries as one line of text each: plain strings or {code, message}
    objects. They are the API's words, so they are cleaned as untrusted text."""
    if not isinstance(items, list):
        return []
    out = []
    for item in items[:20]:
        if isinstance(item, dict):
            code, message = item.get("code"), item.get("message")
            text = field(message[:1000]) if isinstance(message, str) else ""
            out.append(f"{text} (code {code})" if isinstance(code, int) else text)
        elif isinstance(item, str):
            out.append(field(item[:1000]))
    return [text for text in out if text]


def codes(items: Any) -> set[int]:
    if not isinstance(items, list):
        return set()
    codes = set()
    for item in items:
        if isinstance(item, dict):
            for entry in [item, *(item.get("error_chain") or [])]:
                if isinstance(entry, dict) and isinstance(entry.get("code"), int):
                    codes.add(entry["code"])
    return codes


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a retry-after header: a number or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:  # `inf` asks for forever: longer than any wait, so reported, not waited
        return None if math.isnan(seconds) else max(0.0, seconds)
    import email.utils  # rare, and ~6 ms to import

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return max(0.0, when.timestamp() - now)


def segment(value: str) -> str:
    """One path segment: nothing in it can end it or climb out of it."""
    return quote(value, safe="")


def check_shape(ok: bool, what: str, value: object) -> None:
    """An identifier from the API is checked before it names a request path, a URL or a file
    in the store: one of the wrong shape is an unusable answer."""
    if not ok:
        raise ApiError(f"the API sent {what} of the wrong shape: {field(repr(value))[:200]}")


def checked(build: Build, what: str) -> Build:
    check_shape(is_uuid(build.build_uuid), f"the build_uuid of {what}", build.build_uuid)
    return build
