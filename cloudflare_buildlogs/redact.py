"""Masking secrets in log messages (contract section 10): the secret part becomes `***`, the
rest of the line stays, so a redacted log still reads as the build printed it.

Stateful only for private-key blocks, which span lines.
"""

from __future__ import annotations

import re

MASK = "***"
_NAME = r"[A-Za-z0-9_.-]*(?:TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|APIKEY|PRIVATE_KEY|CREDENTIAL)"
_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization: Bearer xyz / Authorization: Basic xyz / Authorization: xyz
    (
        re.compile(
            r"(?i)\b(authorization\s*[:=]\s*[\"']?(?:(?:bearer|basic|token)\s+)?)[^\s\"',;]+"
        ),
        r"\1" + MASK,
    ),
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"), r"\1" + MASK),
    # NAME=value, NAME: value, "NAME": "value", where NAME names a secret
    (
        re.compile(rf"(?i)\b({_NAME}[A-Za-z0-9_]*[\"']?\s*[:=]\s*[\"']?)(?!\*\*\*)[^\s\"',;]+"),
        r"\1" + MASK,
    ),
    # scheme://user:password@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@]+:)[^\s@/]+(@)"), r"\1" + MASK + r"\2"),
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"), MASK),
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), MASK),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+"), MASK),
)
_BEGIN_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
_END_KEY = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY-----")
_INLINE_KEY = re.compile(
    r"(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----).*?(-----END [A-Z0-9 ]*PRIVATE KEY-----)", re.S
)
# A message holds a secret only if it holds one of these (case-insensitively): one search
# spares the rules on the usual line.
_MAY_HOLD = re.compile(
    r"(?i)token|secret|passw|api_?key|private|credential|authorization|bearer|://[^\s/@]*:"
    r"|gh[pousr]_|github_pat_|AKIA|eyJ"
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
            return MASK + message[end.start() :]
        if _MAY_HOLD.search(message) is None:
            return message
        for pattern, replacement in _RULES:
            message = pattern.sub(replacement, message)
        begin = _BEGIN_KEY.search(message)
        if begin is not None:
            if _END_KEY.search(message, begin.end()) is None:  # the key goes on below
                self.in_key = True
                return message[: begin.end()]
            message = _INLINE_KEY.sub(_mask_key, message)
        return message


def _mask_key(match: re.Match[str]) -> str:
    return f"{match.group(1)}{MASK}{match.group(2)}"
