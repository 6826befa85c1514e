"""The entry point of `cf-buildlogs` and `python -m cloudflare_buildlogs`.

`--version` alone is answered before typer is imported: it is what scripts and health checks
call most, and typer costs ~60 ms of start-up.
"""

from __future__ import annotations

import sys
from typing import NoReturn

from . import version_line


def main() -> NoReturn:
    if sys.argv[1:] == ["--version"]:
        sys.stdout.write(version_line() + "\n")
        sys.exit(0)
    from .cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
