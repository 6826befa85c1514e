"""The builds `cf-buildlogs demo` plays: a good one, and one that fails in its deploy step."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone

from .state import (
    DEMO_BUILD,
    DEMO_FAILED_BUILD,
    DEMO_WORKER_TAG,
    START_EPOCH,
    FakeBuild,
    Live,
    State,
)

_DEMO_LOG = """\
Initializing build environment...
Success: Finished initializing build environment
Cloning repository...
\x1b[32mSuccess:\x1b[0m Finished cloning repository files
Checking for configuration in a Wrangler configuration file (BETA)
Found wrangler.toml file. Reading build configuration...
Detected the following tools from environment: npm@10.8.2, nodejs@22.16.0
Installing project dependencies: npm clean-install --progress=false
npm warn deprecated inflight@1.0.6: This module is not supported, and leaks memory.
added 187 packages, and audited 188 packages in 6s
found \x1b[32m\x1b[1m0\x1b[22m\x1b[39m vulnerabilities
Executing user build command: npm run build
> my-worker@1.0.0 build
> tsc --noEmit && esbuild src/index.ts --bundle --outdir=dist
  dist/index.js  \x1b[36m41.2kb\x1b[39m
\x1b[32m⚡ Done in 38ms\x1b[39m
Success: Build command completed
Executing user deploy command: npx wrangler deploy
 ⛅️ wrangler 4.20.0
\x1b[2m───────────────────\x1b[22m
Total Upload: 41.23 KiB / gzip: 9.87 KiB
Worker Startup Time: 12 ms
Your Worker has access to the following bindings:
- KV Namespaces:
  - CACHE: 0f2ac74b498b48028cb68387c421e279
Uploaded my-worker (2.41 sec)
Deployed my-worker triggers (0.84 sec)
  https://my-worker.example.workers.dev
Current Version ID: 8c2f1a4e-55b7-4f1e-9d3a-0e6c7b2a9f11
\x1b[32mSuccess:\x1b[0m Build completed
"""


# The same build up to its deploy, whose wrangler finds no entry point.
_DEMO_FAILED_DEPLOY = """\
Executing user deploy command: npx wrangler deploy
 ⛅️ wrangler 4.20.0
\x1b[2m───────────────────\x1b[22m
\x1b[33m▲ \x1b[43;33m[\x1b[43;30mWARNING\x1b[43;33m]\x1b[0m \x1b[1mThe \"main\" field points to src/worker.ts, which does not exist\x1b[0m

\x1b[31m✘ \x1b[41;31m[\x1b[41;97mERROR\x1b[41;31m]\x1b[0m \x1b[1mMissing entry-point to Worker script or to assets directory\x1b[0m

  If there is code to deploy, you can either:
  - Specify an entry-point to your Worker script via the command line (ex: `npx wrangler deploy src/index.ts`)
  - Or create a "wrangler.jsonc" file containing:
  {
    "name": "worker-name",
    "compatibility_date": "2025-06-01",
    "main": "src/index.ts"
  }

🪵  Logs were written to "/opt/buildhome/.config/.wrangler/logs/wrangler-2025-06-12_09-14-03_101.log"
Failed: error occurred while running deploy command
"""  # noqa: E501 - lines as wrangler prints them


_DEMO_FAILED_LOG = (
    _DEMO_LOG[: _DEMO_LOG.index("Executing user deploy command")] + _DEMO_FAILED_DEPLOY
)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat().replace("+00:00", "Z")


def demo_state(
    live: bool = False, clock: Callable[[], float] = time.monotonic, failed: bool = False
) -> State:
    """The demo's account: one Worker with two realistic builds, one that deploys and one
    whose deploy fails; `live` plays the chosen one (`failed`) from the queue to its end over
    about ten seconds, its timestamps those of the moment."""
    state = State(page_size=10, clock=clock)
    playing = Live(started=state.clock(), queued_s=1.5, initializing_s=1.5, lines_per_s=4)
    start = int(time.time()) + 3 if live else START_EPOCH
    # Seconds from the start at which each line of _DEMO_LOG was printed.
    offsets = [
        0, 2, 3, 5, 5, 5, 6, 6, 12, 13, 13, 13, 14, 14, 15, 15, 15, 16, 18, 18,
        20, 20, 21, 21, 21, 23, 24, 24, 24, 25,
    ]  # fmt: skip
    good = [[start + offsets[i], text] for i, text in enumerate(_DEMO_LOG.splitlines())]
    bad_lines = _DEMO_FAILED_LOG.splitlines()
    bad_offsets = [min(i, 17) + max(0, i - 17) // 6 for i in range(len(bad_lines))]
    bad = [[start + bad_offsets[i], text] for i, text in enumerate(bad_lines)]
    builds = (  # newest last
        (DEMO_FAILED_BUILD, bad, "fail", bad_offsets[-1]),
        (DEMO_BUILD, good, "success", offsets[-1]),
    )
    for uuid, lines, outcome, took in builds:
        state.add(
            FakeBuild(
                uuid,
                lines,
                outcome=outcome,
                live=playing if live and (uuid == DEMO_FAILED_BUILD) == failed else None,
                commit_message="Move the entry point"
                if outcome == "fail"
                else "Update dependencies",
                stopped_on=_iso(START_EPOCH + took + 2),
            )
        )
    state.scripts.append({"id": "my-worker", "tag": DEMO_WORKER_TAG})
    return state
