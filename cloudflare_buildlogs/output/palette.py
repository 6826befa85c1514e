"""Several Workers' lines: each Worker's name padded, in a colour of its own."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

from ..analysis.untrusted import field

# Bright, readable on dark and light terminals; a Worker's colour comes from its name, so it
# is the same every run (Python's own hash() changes from run to run).
PALETTE = ("\x1b[36m", "\x1b[35m", "\x1b[33m", "\x1b[32m", "\x1b[34m", "\x1b[96m", "\x1b[95m")


def colour_of(name: str) -> str:
    return PALETTE[zlib.crc32(name.encode()) % len(PALETTE)]


def prefixes(labels: Sequence[str], color: bool) -> list[str]:
    """`name  ` padded to the longest name, coloured when colour is on."""
    labels = [field(label) for label in labels]
    width = max(len(label) for label in labels)
    return [
        f"{colour_of(label)}{label:<{width}}\x1b[0m  " if color else f"{label:<{width}}  "
        for label in labels
    ]
