"""Long logs made on demand: generated, realistic (shaped like real Workers builds), and
hostile (lines made to trip patterns that backtrack).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, overload

from .state import START_EPOCH


class GeneratedLines(Sequence[list[Any]]):
    """A long log made on demand, so a million-line build costs no memory up front."""

    def __init__(self, count: int, start: int = START_EPOCH, per_second: int = 20) -> None:
        self.total, self.start, self.per_second = count, start, per_second

    def __len__(self) -> int:
        return self.total

    @overload
    def __getitem__(self, index: int) -> list[Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[list[Any]]: ...
    def __getitem__(self, index: int | slice) -> list[Any] | list[list[Any]]:
        if isinstance(index, slice):
            return [self._line(i) for i in range(*index.indices(self.total))]
        if not -self.total <= index < self.total:
            raise IndexError(index)
        return self._line(index % self.total)

    def _line(self, i: int) -> list[Any]:
        return [self.start + i // self.per_second, f"step {i}: compiled module {i % 97} [ok]"]


class RealisticLines(GeneratedLines):
    """A long log shaped like a real Workers build's, for benchmarks: plain npm, esbuild and
    wrangler lines mostly; ANSI colour on one line in ten (so every page has some);
    `[brackets]`, emoji and other non-ASCII text; a long line of 2-10 KB every thousand; a
    carriage return inside a line (a progress bar) every two hundred; runs of a repeated line;
    and words like `errorHandler` that an error filter must not be fooled by."""

    def _line(self, i: int) -> list[Any]:
        stamp = self.start + i // self.per_second
        return [stamp, self._text(i)]

    @staticmethod
    def _text(i: int) -> str:
        module = i % 97
        if i % 10 == 3:
            if i % 30 == 3:
                return (
                    "\x1b[33m▲ \x1b[43;33m[\x1b[43;30mWARNING\x1b[43;33m]\x1b[0m "
                    f'\x1b[1mDuplicate key "k{module}" in object literal\x1b[0m'
                )
            return f"\x1b[32m✓\x1b[39m \x1b[2m{i} modules transformed.\x1b[22m"
        if i % 1000 == 500:
            return "var a=" + "function(e){return e&&e.__esModule?e:{default:e}};" * (40 + i % 160)
        if i % 200 == 50:
            return "[=====          ] 25%\r[==========     ] 50%\r[===============] 100%"
        if i % 100 >= 90:
            return (
                "npm warn deprecated glob@7.2.3: Glob versions prior to v9 are no longer supported"
            )
        if i % 97 == 13:
            return f"  dist/errorHandler-{module}.js  2.1 kB │ gzip: 0.9 kB"
        if i % 25 == 11:
            return f"⛅️ wrangler 4.20.0 — bündle für {module} Ziele erstellt ✨ (¥{i % 1000})"
        if i % 7 == 5:
            return f"[webpack] asset chunk-{module}.js {module * 1.7:.1f} KiB [emitted] [minimized]"
        size = f"{i % 50 + 1}.{i % 10} kB │ gzip: {i % 9 + 1}.2 kB"
        return f"  src/components/Module{module}.tsx  {size}"


def generated_uuid(count: int, realistic: bool = False) -> str:
    """The UUID under which `main` serves a generated build of `count` lines."""
    return f"00000000-0000-4000-{9000 if realistic else 8000}-{count:012d}"


ADVERSARIAL_BUILD = "00000000-0000-4000-a000-000000000001"


def adversarial_lines(size: int) -> list[list[Any]]:
    """A failed build's log of lines of `size` characters each, shaped to make patterns that
    backtrack take quadratic time: a secret's name that never assigns, JWT-like runs, hint
    phrases repeated, escape sequences that never end."""

    def repeat(unit: str) -> str:
        return (unit * (size // len(unit) + 1))[:size]

    texts = [
        "Error: token " + repeat("a."),
        "Error: " + repeat("eyJ-"),
        "Error: " + repeat("token-"),
        "Error: " + repeat("build token exceeded Pages project npm ci yarn.lock "),
        "Error: " + repeat("https://u:"),
        "\x1b[" + repeat("0"),
    ]
    return [[START_EPOCH + index, text] for index, text in enumerate(texts)]


class PlantedLines(RealisticLines):
    """A realistic log with some lines replaced (`planted`, by index): a failed build among
    good ones, for `diff`."""

    def __init__(self, count: int, planted: dict[int, str], start: int = START_EPOCH) -> None:
        super().__init__(count, start)
        self.planted = planted

    def _line(self, i: int) -> list[Any]:
        line = super()._line(i)
        text = self.planted.get(i)
        return line if text is None else [line[0], text]


DIFF_TAG = "d1ff" * 8  # the Worker of `--diff-set`'s builds


def diff_set_uuid(n: int) -> str:
    """`--diff-set`'s builds: good ones 0, 1, 2 (oldest first), the failed one 9."""
    return f"00000000-0000-4000-c000-{n:012d}"
