"""Logs shaped like real Workers builds, with the noise that differs between two runs of the
same build (times, durations, sizes, hashes, version ids, package counts, temporary paths, URL
queries), for `diff` and `history`: each seed is another run."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from typing import Any

START = 1_760_000_000


def noisy_lines(
    seed: int,
    *,
    tools: str = "nodejs@22.16.0, npm@10.9.2",
    wrangler: str = "4.20.0",
    planted: Sequence[tuple[str, str]] = (),
    install_seconds: int = 12,
    start: int = START,
) -> list[list[Any]]:
    """One run's log; `planted` adds (phase, line) lines at the end of that phase."""
    rnd = random.Random(seed)

    def hexid(n: int) -> str:
        return "".join(rnd.choice("0123456789abcdef") for _ in range(n))

    def size() -> str:
        return f"{rnd.uniform(0.5, 300):.2f}"

    phases: dict[str, list[str]] = {
        "initialize": [
            "Initializing build environment...",
            f"Success: Finished initializing build environment in {rnd.uniform(1, 9):.1f}s",
        ],
        "clone": [
            "Cloning repository...",
            f"HEAD is now at {hexid(7)} Update dependencies",
            "Success: Finished cloning repository files",
        ],
        "configure": [
            "Checking for configuration in a Wrangler configuration file (BETA)",
            "Found wrangler.toml file. Reading build configuration...",
            f"Detected the following tools from environment: {tools}",
        ],
        "install": [
            "Installing project dependencies: npm clean-install --progress=false",
            *[
                f"npm http fetch GET 200 https://registry.npmjs.org/pkg-{i}?t={rnd.randint(1, 10**9)} "
                f"{rnd.randint(3, 900)}ms (cache miss)"
                for i in range(5)
            ],
            f"added {rnd.randint(300, 900)} packages, and audited {rnd.randint(300, 900)} packages "
            f"in {install_seconds}s",
            f"{rnd.randint(50, 200)} packages are looking for funding",
            "  run `npm fund` for details",
            "found 0 vulnerabilities",
        ],
        "build": [
            "Executing user build command: npm run build",
            f"> my-worker@1.0.{rnd.randint(0, 99)} build",
            "> vite build",
            f"vite v5.4.{rnd.randint(0, 20)} building for production...",
            f"\x1b[32m✓\x1b[39m {rnd.randint(100, 999)} modules transformed.",
            *[
                f"dist/assets/chunk-{hexid(8)}.js  {size()} kB │ gzip: {size()} kB"
                for _ in range(8)
            ],
            f"Wrote /tmp/vite-{hexid(10)}/manifest.json",
            f"\x1b[32m✓ built in {rnd.uniform(1, 9):.2f}s\x1b[39m",
            "Success: Build command completed",
        ],
        "deploy": [
            "Executing user deploy command: npx wrangler deploy",
            f"⛅️ wrangler {wrangler}",
            "───────────────────",
            f"Total Upload: {size()} KiB / gzip: {size()} KiB",
            f"Worker Startup Time: {rnd.randint(5, 40)} ms",
            f"Uploaded my-worker ({rnd.uniform(1, 9):.2f} sec)",
            f"Deployed my-worker triggers ({rnd.uniform(0.2, 2):.2f} sec)",
            "  https://my-worker.acme.workers.dev",
            f"Current Version ID: {uuid.UUID(int=rnd.getrandbits(128), version=4)}",
            '🪵  Logs were written to "/opt/buildhome/.config/.wrangler/logs/'
            f'wrangler-2025-12-{rnd.randint(10, 28)}_0{rnd.randint(1, 9)}-14-03_{rnd.randint(100, 999)}.log"',
            "Success: Build command completed",
        ],
    }
    for phase, line in planted:
        phases[phase].insert(len(phases[phase]) - 1, line)
    out, clock = [], start
    for phase, texts in phases.items():
        for text in texts:
            out.append([clock, text])
            clock += install_seconds // 4 if phase == "install" else 1
    return out


# Root causes that match no error pattern: what only a diff finds.
PLANTED = (
    ("install", "npm warn EBADENGINE Unsupported engine { package: 'sharp@0.34.1' }"),
    ("build", "Using the legacy config file vite.config.js; ignoring vite.config.ts"),
    ("deploy", "Your Worker has access to the following bindings: env.CACHE (KV namespace)"),
    ("deploy", "No routes configured for this environment, deploying to workers.dev only"),
)
