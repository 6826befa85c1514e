"""The entry point of `cf-buildlogs` and `python -m cloudflare_buildlogs`.

`--version` alone is answered before typer is imported: it is what scripts and health checks
call most, and typer costs ~60 ms of start-up.

The cyclic garbage collector is kept out of start-up and exit. Start-up makes only objects that
live as long as the process (modules, classes, functions), so collecting among them is wasted
work; and at exit the interpreter's own collections walk every object again, ~20 ms of a
~130 ms one-page `get` (benchmarks/PERFORMANCE.md). `gc.freeze()` moves what exists to a
generation no collection visits; the command itself runs with the collector on, its youngest
generation collected every YOUNG allocations rather than every 700: reading a log allocates a
tuple for every line and a list for every line of a page, none of them in a cycle, and a
collection every half page walked them all (2.8% of a 200,000-line read's instructions).

Two habits of the memory underneath would otherwise cost every page of a long read a few
kernel calls and a hundred or so page faults (benchmarks/PERFORMANCE.md, "Memory under the read"):
- CPython 3.11 and later keep frames on a stack of chunks, and unmap a chunk as soon as the stack
  drops below its start: a loop whose calls cross that start maps, faults and unmaps 16 KiB at
  every crossing. typer's frames, ours and httpx's reach past the first chunk, and a page's
  request crossed it about nine times. The command runs in a frame that reserves ROOM words:
  it takes a chunk of its own, with room above it for all the command's calls.
- glibc's malloc maps each block larger than its threshold (128 KiB at first) and unmaps it
  when freed, and raises the threshold only once a larger mapped block is freed. The writer
  writes a page at a time, and the stream's UTF-8 encoder first asks for three bytes a
  character (~250 KiB for a page of non-ASCII text): mapped and unmapped at every page. One
  1 MiB block, freed at start-up, raises the threshold past every page's buffers; it is
  calloc'ed, so never touched.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from typing import NoReturn

from . import version_line

YOUNG = 10_000
# Words of stack the command's frame reserves: CPython gives it a 128 KiB chunk of its own,
# with ~62 KiB (a few hundred frames) above it.
ROOM = 8_200


def _in_room(call: Callable[[], int]) -> int:
    return call()


if sys.implementation.name == "cpython" and sys.version_info >= (3, 11):
    _in_room.__code__ = _in_room.__code__.replace(co_stacksize=ROOM)


def _raise_mmap_threshold() -> None:
    bytes(1 << 20)  # calloc'ed and freed at once: glibc's threshold rises to its size


def main() -> NoReturn:
    if sys.argv[1:] == ["--version"]:
        sys.stdout.write(version_line() + "\n")
        sys.exit(0)
    _raise_mmap_threshold()
    gc.disable()
    try:
        from .cli import run
        from .env import Env
    except KeyboardInterrupt:  # Ctrl-C within start-up: the same line as later, no traceback
        sys.stderr.write("cf-buildlogs: interrupted\n")
        sys.exit(130)
    finally:
        gc.freeze()
        gc.set_threshold(YOUNG, *gc.get_threshold()[1:])
        gc.enable()
    status = _in_room(lambda: run(None, Env.from_process()))
    gc.freeze()  # everything left lives until exit: the exit needs no collection among it
    sys.exit(status)


if __name__ == "__main__":
    main()
