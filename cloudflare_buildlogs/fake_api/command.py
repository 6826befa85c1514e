"""The fake API's own command line: `python -m cloudflare_buildlogs.fake_api --help`."""

from __future__ import annotations

import argparse
import threading
from collections.abc import Sequence

from .demo import demo_state
from .lines import (
    ADVERSARIAL_BUILD,
    DIFF_TAG,
    GeneratedLines,
    PlantedLines,
    RealisticLines,
    adversarial_lines,
    diff_set_uuid,
    generated_uuid,
)
from .server import serve
from .state import DEMO_BUILD, START_EPOCH, FakeBuild, Fault, Live, State


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m cloudflare_buildlogs.fake_api",
        description="Serve the fake Cloudflare API on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--lines", type=int, action="append", default=[],
        help="add a build of N lines, served as build 00000000-0000-4000-8000-<N>",
    )  # fmt: skip
    parser.add_argument(
        "--realistic", type=int, action="append", default=[],
        help="add a build of N realistic lines, served as 00000000-0000-4000-9000-<N>",
    )  # fmt: skip
    parser.add_argument(
        "--adversarial", type=int, default=0,
        help=f"add a failed build of lines of N hostile characters each, as {ADVERSARIAL_BUILD}",
    )  # fmt: skip
    parser.add_argument(
        "--live", action="store_true",
        help=f"play the demo's build {DEMO_BUILD} (and --workers' builds) live, from the queue",
    )  # fmt: skip
    parser.add_argument(
        "--workers", type=int, default=0, metavar="N",
        help="add N Workers named worker-1..N, each with a realistic build of 300 lines",
    )  # fmt: skip
    parser.add_argument(
        "--fault", action="append", default=[], metavar="KIND[@PATH][*TIMES]",
        help="misbehave: KIND one of Fault's kinds (429, 500, drop, slow, malformed, ...) on "
        "requests whose path holds PATH (default /logs), TIMES times (default 1)",
    )  # fmt: skip
    parser.add_argument(
        "--diff-set", type=int, default=0, metavar="N",
        help="add Worker diff-worker with three good builds of N realistic lines and a failed "
        "one with a few lines changed (for `diff`)",
    )  # fmt: skip
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument(
        "--from-memory", action="store_true",
        help="encode each page of a finished build's log once, and serve it from memory after",
    )  # fmt: skip
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="add this to every answer (a network)"
    )
    args = parser.parse_args(argv)
    state = demo_state(live=args.live)
    for index in range(1, args.workers + 1):
        tag, uuid = f"{index:032x}", f"00000000-0000-4000-b000-{index:012d}"
        state.scripts.append({"id": f"worker-{index}", "tag": tag})
        live = Live(started=state.clock(), queued_s=index, lines_per_s=100) if args.live else None
        state.add(FakeBuild(uuid, RealisticLines(300), worker_tag=tag, live=live))
    for spec in args.fault:
        rest, _, times = spec.partition("*")
        kind, _, path = rest.partition("@")
        state.faults.append(Fault(kind, times=int(times or 1), path=path or "/logs"))
    state.page_size = args.page_size
    state.from_memory = args.from_memory
    state.latency = args.latency_ms / 1000
    for count in args.lines:
        state.add(FakeBuild(generated_uuid(count), GeneratedLines(count)))
    for count in args.realistic:
        state.add(FakeBuild(generated_uuid(count, realistic=True), RealisticLines(count)))
    if args.diff_set:
        add_diff_set(state, args.diff_set)
    if args.adversarial:
        lines = adversarial_lines(args.adversarial)
        state.add(FakeBuild(ADVERSARIAL_BUILD, lines, outcome="fail"))
    with serve(state, args.port) as server:
        print(server.url, flush=True)  # noqa: T201 - the one line a caller reads
        threading.Event().wait()


def add_diff_set(state: State, count: int) -> None:
    state.scripts.append({"id": "diff-worker", "tag": DIFF_TAG})
    for n in range(3):
        lines = RealisticLines(count, start=START_EPOCH + n * 86400)
        created = f"2023-11-1{n}T10:00:00Z"
        state.add(FakeBuild(diff_set_uuid(n), lines, worker_tag=DIFF_TAG, created_on=created))
    planted = {
        count // 3: "npm warn EBADENGINE Unsupported engine { package: 'sharp@0.34.1' }",
        count // 2: "Using the legacy config file vite.config.js; ignoring vite.config.ts",
        count - 2: "No routes configured for this environment, deploying to workers.dev only",
    }
    state.add(
        FakeBuild(
            diff_set_uuid(9),
            PlantedLines(count, planted, start=START_EPOCH + 5 * 86400),
            outcome="fail",
            worker_tag=DIFF_TAG,
            created_on="2023-11-15T10:00:00Z",
        )
    )
