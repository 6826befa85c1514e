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
"""

from __future__ import annotations

import gc
import sys
from typing import NoReturn

from . import version_line

YOUNG = 10_000


def main() -> NoReturn:
    if sys.argv[1:] == ["--version"]:
        sys.stdout.write(version_line() + "\n")
        sys.exit(0)
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
    status = run(None, Env.from_process())
    gc.freeze()  # everything left lives until exit: the exit needs no collection among it
    sys.exit(status)


if __name__ == "__main__":
    main()
