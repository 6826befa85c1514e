"""cf-buildlogs against its baselines, side by side in one run (by hand, not in CI).

    uv run python benchmarks/bench.py            # all four, medians of interleaved runs
    uv run python benchmarks/bench.py --quick    # fewer repeats

(a) `get --color never > /dev/null` of a 200,000-line log in pages of 1,000, against a bare loop
    (httpx + json + write) over the same pages; target within 1.3x.
(b) the same with `--ndjson`, against the bare loop writing json.dumps per line; within 1.3x.
(c) `cf-buildlogs --version` and `--help` against `python -c pass`; --version within 5x.
(d) peak RSS of `get` for 10,000 against 500,000 lines; under 20 MiB of growth.
(e) `get --errors` of the 200,000-line log against plain `get`; within 1.2x.
(f) `get` of 10,000 lines drawn on a pseudo-terminal (rules, colours) against the same piped;
    the absolute time should stay well under a second.
(g) re-reading a kept 200,000-line build from the local store against its first read, with
    20 ms added to every API answer; target 0.1x.
(h) reading a kept build against rendering the same lines from memory; target 1.2x.
(i) `view` of the 200,000-line build's --ndjson file against `get` of it; target 1.0x.

Every network case runs with CF_BUILDLOGS_NO_CACHE=1 unless it measures the store.

The fake API runs in its own process, so the server's cost is the same for both sides; every
side is a fresh process, start-up included, as a user would run it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cloudflare_buildlogs.fake_api import DEMO_ACCOUNT, DEMO_TOKEN, generated_uuid

BIN = str(Path(sys.executable).parent / "cf-buildlogs")
BIG, SMALL, HUGE = 200_000, 10_000, 500_000

BARE_LOOP = """
import json, sys, httpx
url, token, fmt = sys.argv[1], sys.argv[2], sys.argv[3]
out = sys.stdout
with httpx.Client(headers={"Authorization": "Bearer " + token}, timeout=30) as http:
    cursor = None
    while True:
        params = {"cursor": cursor} if cursor else None
        result = http.get(url, params=params).json()["result"]
        if fmt == "ndjson":
            out.write("".join([json.dumps({"type": "line", "epoch": ts, "message": m}) + "\\n"
                               for ts, m in result["lines"]]))
        else:
            out.write("".join([f"{ts}  {m}\\n" for ts, m in result["lines"]]))
        cursor = result.get("cursor")
        if not (result.get("truncated") and cursor):
            break
"""


def compile_bytecode() -> None:
    """Installed tools run from bytecode; where PYTHONDONTWRITEBYTECODE is set (as on our
    machines) nothing would be cached, and every run would pay ~150 ms of compiling."""
    import sysconfig

    import cloudflare_buildlogs

    paths = [sysconfig.get_paths()["purelib"], str(Path(cloudflare_buildlogs.__file__).parent)]
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "-j0", *paths],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def start_fake(latency_ms: float = 0) -> tuple[subprocess.Popen[str], str]:
    cmd = [sys.executable, "-m", "cloudflare_buildlogs.fake_api", "--page-size", "1000"]
    cmd += ["--latency-ms", str(latency_ms)]
    for count in (BIG, SMALL, HUGE):
        cmd += ["--lines", str(count)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def timed(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    with open(os.devnull, "w") as sink:
        subprocess.run(cmd, stdout=sink, env=env, check=True)
    return time.perf_counter() - started


def timed_on_a_terminal(cmd: list[str], env: dict[str, str]) -> float:
    """The command with stdout on a pseudo-terminal, drained as a terminal would read it."""
    import pty

    started = time.perf_counter()
    leader, follower = pty.openpty()
    proc = subprocess.Popen(cmd, stdout=follower, env={**env, "TERM": "xterm"})
    os.close(follower)
    while True:
        try:
            if not os.read(leader, 1 << 16):
                break
        except OSError:
            break
    proc.wait()
    os.close(leader)
    return time.perf_counter() - started


def peak_rss_mib(cmd: list[str], env: dict[str, str]) -> float:
    """Peak RSS of one child, measured by a fresh wrapper so no earlier child counts."""
    probe = (
        "import resource, subprocess, sys, os\n"
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, *cmd], env=env, capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip()) / 1024


FROM_MEMORY = """
import sys
from cloudflare_buildlogs.fake_api import GeneratedLines
from cloudflare_buildlogs.models import parse_lines
from cloudflare_buildlogs.render import TextWriter, TimestampMode
lines = GeneratedLines(int(sys.argv[1]))
pages = [parse_lines(lines[i : i + 1000]) for i in range(0, len(lines), 1000)]
writer = TextWriter(sys.stdout, TimestampMode.LOCAL, color=False)
for page in pages:
    writer.write(page)
writer.close()
"""


def fresh_store(cmd: list[str], env: dict[str, str]) -> float:
    """The command with an empty store: a first read, writing its entry."""
    with tempfile.TemporaryDirectory() as folder:
        return timed(cmd, {**env, "CF_BUILDLOGS_CACHE_DIR": folder})


def compare(
    name: str,
    ours: list[str],
    base: list[str],
    env: dict[str, str],
    repeats: int,
    run_ours: Callable[[list[str], dict[str, str]], float] = timed,
    run_base: Callable[[list[str], dict[str, str]], float] = timed,
    base_env: dict[str, str] | None = None,
) -> float:
    a: list[float] = []
    b: list[float] = []
    for _ in range(repeats):  # interleaved, so drift on a shared machine hits both sides
        a.append(run_ours(ours, env))
        b.append(run_base(base, base_env or env))
    ma, mb = statistics.median(a), statistics.median(b)
    print(
        f"{name:<44} ours {ma * 1000:8.1f} ms  baseline {mb * 1000:8.1f} ms  ratio {ma / mb:.2f}x"
    )
    return ma / mb


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    repeats, start_repeats = (3, 7) if args.quick else (7, 21)
    compile_bytecode()
    fake, url = start_fake()
    env = {
        **os.environ,
        "CLOUDFLARE_API_TOKEN": DEMO_TOKEN,
        "CLOUDFLARE_ACCOUNT_ID": DEMO_ACCOUNT,
        "CLOUDFLARE_API_BASE_URL": url,
        "CF_BUILDLOGS_CONFIG_DIR": "/nonexistent",
        "CF_BUILDLOGS_NO_CACHE": "1",
    }
    slow, slow_url = start_fake(latency_ms=20)
    try:
        big = generated_uuid(BIG)
        logs = f"{url}/accounts/{DEMO_ACCOUNT}/builds/builds/{big}/logs"
        bare = [sys.executable, "-c", BARE_LOOP, logs, DEMO_TOKEN]
        print(
            f"python {sys.version.split()[0]}, {os.cpu_count()} cores; medians of {repeats}"
            f" (start-up: {start_repeats}) interleaved runs"
        )
        compare(
            "(a) get --color never, 200k lines",
            [BIN, "get", big, "--color", "never"],
            [*bare, "text"],
            env,
            repeats,
        )
        compare(
            "(b) get --ndjson, 200k lines",
            [BIN, "get", big, "--ndjson"],
            [*bare, "ndjson"],
            env,
            repeats,
        )
        floor = [sys.executable, "-c", "pass"]
        compare("(c) --version vs python -c pass", [BIN, "--version"], floor, env, start_repeats)
        compare("(c) --help vs python -c pass", [BIN, "--help"], floor, env, start_repeats)
        small = peak_rss_mib([BIN, "get", generated_uuid(SMALL), "--color", "never"], env)
        huge = peak_rss_mib([BIN, "get", generated_uuid(HUGE), "--color", "never"], env)
        print(
            f"(d) peak RSS: 10k lines {small:.1f} MiB, 500k lines {huge:.1f} MiB, "
            f"growth {huge - small:.1f} MiB"
        )
        huge_json = peak_rss_mib([BIN, "get", generated_uuid(HUGE), "--json"], env)
        print(f"    peak RSS with --json, 500k lines: {huge_json:.1f} MiB")
        plain = [BIN, "get", big, "--color", "never"]
        compare("(e) get --errors vs get, 200k lines", [*plain, "--errors"], plain, env, repeats)
        small_get = [BIN, "get", generated_uuid(SMALL)]
        compare(
            "(f) 10k lines on a terminal vs piped",
            small_get,
            small_get,
            env,
            repeats,
            run_ours=timed_on_a_terminal,
        )
        store_cases(env, slow_url, big, repeats)
    finally:
        for proc in (fake, slow):
            proc.terminate()
            proc.wait()


def store_cases(env: dict[str, str], slow_url: str, big: str, repeats: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        kept = {**env, "CF_BUILDLOGS_CACHE_DIR": folder, "CLOUDFLARE_API_BASE_URL": slow_url}
        kept.pop("CF_BUILDLOGS_NO_CACHE")
        get = [BIN, "get", big, "--color", "never"]
        timed(get, kept)  # the first read keeps it
        compare(
            "(g) kept re-read vs first read, 20 ms/page",
            get,
            get,
            kept,
            repeats,
            run_base=fresh_store,
        )
        memory = [sys.executable, "-c", FROM_MEMORY, str(BIG)]
        compare("(h) kept read vs rendering from memory", get, memory, kept, repeats)
        ndjson = Path(folder) / "build.ndjson"
        with ndjson.open("w") as sink:
            subprocess.run([*get, "--ndjson"], stdout=sink, env=kept, check=True)
        view = [BIN, "view", str(ndjson), "--color", "never"]
        compare("(i) view of its ndjson vs get", view, get, env, repeats)


if __name__ == "__main__":
    main()
