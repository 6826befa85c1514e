"""cf-buildlogs against its baselines, side by side in one run (by hand, not in CI).

    uv run python benchmarks/bench.py            # every case, medians of interleaved runs
    uv run python benchmarks/bench.py --quick    # fewer repeats
    uv run python benchmarks/bench.py --only GitHub   # the cases whose name holds GitHub

Every side is a fresh process, start-up included, as a user would run it; the fake API runs in
processes of its own, serving a finished log's pages from memory, so the server's cost is small
and the same for both sides (its time per page is printed). The logs are shaped like real
Workers builds (`fake_api.RealisticLines`: ANSI colour on one line in ten, non-ASCII text, long
lines, carriage returns, repeated runs) unless a case says "clean". The first reads run as a
user's do, the store on and an empty store folder each run; other network cases run with
CF_BUILDLOGS_NO_CACHE=1 unless they measure the store. The last lines print one table:

  case                                                  target
  first read, store on: get --color never, 200k lines   1.15x  (stretch 1.05x)
  first read, store on: get --ndjson vs the bare loop   1.15x
    of the records
  --no-cache: get --color never vs bare loop            1.05x
  overlap, store on: 200 pages at 20 ms vs fetching     1.05x
  one page (300 lines), whole process, store on         1.1x
  --version vs python -c pass                           2.5x
  peak RSS growth, 10k -> 500k lines                    < 10 MiB
  clean text (no colour) vs bare loop                   -
  --errors vs plain get                                 1.2x
  --redact vs plain get                                 -   (no slower than before)
  1 MiB hostile lines: --redact, summary -o markdown,   < 1 s each
  --follow (absolute times against python -c pass)
  10k lines on a pseudo-terminal vs piped               - (well under a second)
  kept re-read (no request) vs bare loop, loopback      0.7x
  kept re-read vs first read, 20 ms a page              0.1x
  kept read vs rendering from memory                    1.2x
  view of its ndjson vs get                             1.0x
  GitHub mode: get --ci github vs plain get, store on   1.1x
  deployment analysis: its cost (with - without, in one  1.05x
  process, 99% of the log deploying) over summary
  diff: 200k lines vs 3 kept baselines, vs kept get     3x
  peak RSS: diff --baseline 3 vs --baseline 1           flat
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
from dataclasses import dataclass
from pathlib import Path

from cloudflare_buildlogs.fake_api import DEMO_ACCOUNT, DEMO_TOKEN, generated_uuid
from cloudflare_buildlogs.fake_api.lines import diff_set_uuid

try:  # absent from versions before the hostile-input cases: run them where they exist
    from cloudflare_buildlogs.fake_api import ADVERSARIAL_BUILD
except ImportError:  # pragma: no cover
    ADVERSARIAL_BUILD = ""

BIN = str(Path(sys.executable).parent / "cf-buildlogs")
BIG, SMALL, HUGE, ONE_PAGE = 200_000, 10_000, 500_000, 300

# What a competent script would write: one request a page, escape sequences stripped from the
# lines that have any, local time formatted once a second.
BARE_TEXT = r"""
import json, re, sys, time, httpx
url, token = sys.argv[1], sys.argv[2]
ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[ -/]*[0-~]?")
ESC, seen = "\x1b", {}
def local(ts):
    text = seen.get(ts)
    if text is None:
        text = seen[ts] = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))
    return text
out = sys.stdout
with httpx.Client(headers={"Authorization": "Bearer " + token}, timeout=30) as http:
    cursor = None
    while True:
        params = {"cursor": cursor} if cursor else None
        result = http.get(url, params=params).json()["result"]
        out.write("".join([f"{local(ts)}  {ESCAPES.sub('', m) if ESC in m else m}\n"
                           for ts, m in result["lines"]]))
        cursor = result.get("cursor")
        if not (result.get("truncated") and cursor):
            break
"""

# The ndjson records the README's "Output" section gives, a json.dumps a line.
BARE_NDJSON = r"""
import json, sys, time, httpx
url, token = sys.argv[1], sys.argv[2]
MARKERS = (("Initializing build environment", "initialize"),
           ("Cloning repository", "clone"), ("Installing project dependencies", "install"),
           ("Executing user build command", "build"), ("Executing user deploy command", "deploy"))
out, number, phase = sys.stdout, 0, "initialize"
with httpx.Client(headers={"Authorization": "Bearer " + token}, timeout=30) as http:
    cursor = None
    while True:
        params = {"cursor": cursor} if cursor else None
        result = http.get(url, params=params).json()["result"]
        records = []
        for ts, m in result["lines"]:
            number += 1
            for marker, name in MARKERS:
                if m.startswith(marker):
                    phase = name
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
            records.append(json.dumps({"type": "line", "timestamp": stamp, "epoch": ts,
                                       "message": m, "line": number, "phase": phase}) + "\n")
        out.write("".join(records))
        out.flush()
        cursor = result.get("cursor")
        if not (result.get("truncated") and cursor):
            break
"""

# The server's own time per page: each page asked for and read whole, nothing decoded (the
# cursors are the fake's own, made here), over one kept-alive connection.
SERVER_TIME = r"""
import base64, http.client, json, sys, time
from urllib.parse import urlsplit, quote
url, token, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
parts = urlsplit(url)
conn = http.client.HTTPConnection(parts.hostname, parts.port)
def cursor(line):
    raw = json.dumps({"line": line, "timestamp": 1_700_000_000}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
started = time.perf_counter()
for page in range(count // 1000):
    query = "" if page == 0 else "?cursor=" + quote(cursor(page * 1000))
    conn.request("GET", parts.path + query, headers={"Authorization": "Bearer " + token})
    conn.getresponse().read()
print((time.perf_counter() - started) / (count // 1000))
"""

# The floor of a paged read: fetch and decode every page, render nothing.
BARE_FETCH = r"""
import sys, httpx
url, token = sys.argv[1], sys.argv[2]
with httpx.Client(headers={"Authorization": "Bearer " + token}, timeout=30) as http:
    cursor = None
    while True:
        params = {"cursor": cursor} if cursor else None
        result = http.get(url, params=params).json()["result"]
        cursor = result.get("cursor")
        if not (result.get("truncated") and cursor):
            break
"""

# The bare one-request script: what a user would write for a build of one page.
BARE_ONE = r"""
import sys, httpx
url, token = sys.argv[1], sys.argv[2]
result = httpx.get(url, headers={"Authorization": "Bearer " + token}, timeout=30).json()["result"]
sys.stdout.write("".join([f"{ts}  {m}\n" for ts, m in result["lines"]]))
"""

FROM_MEMORY = """
import sys
from cloudflare_buildlogs.fake_api import RealisticLines
from cloudflare_buildlogs.models import parse_lines
from cloudflare_buildlogs.output.timestamps import TimestampMode
from cloudflare_buildlogs.output.writers import TextWriter
lines = RealisticLines(int(sys.argv[1]))
pages = [parse_lines(lines[i : i + 1000]) for i in range(0, len(lines), 1000)]
writer = TextWriter(sys.stdout, TimestampMode.LOCAL, color=False)
for page in pages:
    writer.write(page)
writer.close()
"""


# The summary's one pass over a 200,000-line log whose deploy phase holds all but its first
# 1,000 lines (and ends with wrangler's real lines), with the deployment analysis and with it
# switched off, interleaved in one process: what the analysis adds to a summary.
DEPLOY_ANALYSIS = """
import statistics, sys, time
from cloudflare_buildlogs.analysis import deploy
from cloudflare_buildlogs.analysis.pipeline import Collector, Discard, Pipeline
from cloudflare_buildlogs.fake_api import RealisticLines, _DEMO_LOG
from cloudflare_buildlogs.models import parse_lines
raw = RealisticLines(int(sys.argv[1]))[:]
raw[0][1] = "Initializing build environment..."
raw[1000][1] = "Executing user deploy command: npx wrangler deploy"
wrangler = _DEMO_LOG.splitlines()[-12:]
for index, text in enumerate(wrangler):
    raw[index - len(wrangler)][1] = text
pages = [parse_lines(raw[i : i + 1000]) for i in range(0, len(raw), 1000)]
def summary():
    pipeline = Pipeline(Discard(), Discard(), collector=Collector(3))
    for page in pages:
        pipeline.write(page)
    return pipeline
real = deploy.DeployReader.observe
on, off = [], []
for _ in range(int(sys.argv[2])):
    for times, observe in ((on, real), (off, lambda *args: None)):
        deploy.DeployReader.observe = observe
        started = time.perf_counter()
        summary()
        times.append(time.perf_counter() - started)
deploy.DeployReader.observe = real
assert summary().collector.deploys.deployments[0].version_id  # it read the deployment
print(statistics.median(on), statistics.median(off))
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


def start_fake(*counts: str, latency_ms: float = 0) -> tuple[subprocess.Popen[str], str]:
    """A fake API that encodes each page of a finished log once and serves it from memory
    after (`warm` asks for each page once), so that its own time per page is small."""
    cmd = [sys.executable, "-m", "cloudflare_buildlogs.fake_api", "--page-size", "1000"]
    cmd += ["--from-memory"]
    cmd += ["--latency-ms", str(latency_ms), *counts]
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


def fresh_store(cmd: list[str], env: dict[str, str]) -> float:
    """The command with an empty store: a first read, writing its entry."""
    with tempfile.TemporaryDirectory() as folder:
        return timed(cmd, {**env, "CF_BUILDLOGS_CACHE_DIR": folder})


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


Runner = Callable[[list[str], dict[str, str]], float]


@dataclass
class Row:
    name: str
    ours: float
    base: float
    target: str

    @property
    def ratio(self) -> float:
        return self.ours / self.base


ROWS: list[Row] = []
SERVER_PAGE: list[float] = []  # the fake's own time per page, measured once
ONLY: list[str] = []  # --only: the cases whose name holds this


def wanted(name: str) -> bool:
    return not ONLY or ONLY[0].lower() in name.lower()


def compare(
    name: str,
    target: str,
    ours: list[str],
    base: list[str],
    env: dict[str, str],
    repeats: int,
    run_ours: Runner = timed,
    run_base: Runner = timed,
) -> None:
    if not wanted(name):
        return
    a: list[float] = []
    b: list[float] = []
    for _ in range(repeats):  # interleaved, so drift on a shared machine hits both sides
        a.append(run_ours(ours, env))
        b.append(run_base(base, env))
    row = Row(name, statistics.median(a), statistics.median(b), target)
    ROWS.append(row)
    print(f"{name:<52} {row.ours * 1000:8.1f} ms vs {row.base * 1000:8.1f} ms  {row.ratio:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", metavar="TEXT", help="only the cases whose name holds TEXT")
    parser.add_argument("--repeats", type=int, help="runs of each side (default 7, --quick 3)")
    args = parser.parse_args()
    ONLY.extend([args.only] if args.only else [])
    repeats, start_repeats = (3, 7) if args.quick else (7, 21)
    repeats = args.repeats or repeats
    compile_bytecode()
    counts = ["--lines", str(BIG)]
    for count in (BIG, SMALL, HUGE, ONE_PAGE):
        counts += ["--realistic", str(count)]
    if ADVERSARIAL_BUILD:
        counts += ["--adversarial", str(1 << 20)]
    fake, url = start_fake(*counts)
    slow, slow_url = start_fake("--realistic", str(BIG), latency_ms=20)
    real = generated_uuid(BIG, realistic=True)
    for base, uuid in ((url, real), (url, generated_uuid(BIG)), (slow_url, real)):
        warm = [sys.executable, "-c", BARE_FETCH, logs_url(base, uuid), DEMO_TOKEN]
        subprocess.run(warm, check=True)  # every page encoded once: served from memory after
    per_page = subprocess.run(
        [sys.executable, "-c", SERVER_TIME, logs_url(url, real), DEMO_TOKEN, str(BIG)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    SERVER_PAGE.append(float(per_page.stdout))
    print(f"the fake's own time per page of 1,000 lines: {SERVER_PAGE[0] * 1000:.2f} ms")
    env = {
        **os.environ,
        "CLOUDFLARE_API_TOKEN": DEMO_TOKEN,
        "CLOUDFLARE_ACCOUNT_ID": DEMO_ACCOUNT,
        "CLOUDFLARE_API_BASE_URL": url,
        "CF_BUILDLOGS_CONFIG_DIR": "/nonexistent",
        "CF_BUILDLOGS_NO_CACHE": "1",
    }
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores; medians of {repeats}"
        f" (start-up: {start_repeats}) interleaved runs"
    )
    try:
        network_cases(env, url, slow_url, repeats, start_repeats)
        store_cases(env, slow_url, repeats)
        diff_cases(env, repeats)
    finally:
        for proc in (fake, slow):
            proc.terminate()
            proc.wait()
    print_table()


def logs_url(base: str, uuid: str) -> str:
    return f"{base}/accounts/{DEMO_ACCOUNT}/builds/builds/{uuid}/logs"


def network_cases(
    env: dict[str, str], url: str, slow_url: str, repeats: int, start_repeats: int
) -> None:
    real = generated_uuid(BIG, realistic=True)
    bare = [sys.executable, "-c"]
    get = [BIN, "get", real, "--color", "never"]
    # The default path a user runs: the store on, an empty store folder each run.
    store_on = {k: v for k, v in env.items() if k != "CF_BUILDLOGS_NO_CACHE"}
    first = {"run_ours": fresh_store}
    compare("first read, store on: get --color never, 200k lines", "1.15x (1.05x)", get,
            [*bare, BARE_TEXT, logs_url(url, real), DEMO_TOKEN], store_on, repeats,
            **first)  # fmt: skip
    compare("first read, store on: get --ndjson, 200k lines", "1.15x",
            [BIN, "get", real, "--ndjson"],
            [*bare, BARE_NDJSON, logs_url(url, real), DEMO_TOKEN], store_on, repeats,
            **first)  # fmt: skip
    compare("--no-cache: get --color never, 200k lines", "1.05x", get,
            [*bare, BARE_TEXT, logs_url(url, real), DEMO_TOKEN], env, repeats)  # fmt: skip
    slow_store = {**store_on, "CLOUDFLARE_API_BASE_URL": slow_url}
    fetch = [*bare, BARE_FETCH, logs_url(slow_url, real), DEMO_TOKEN]
    compare("overlap, store on: 200 pages at 20 ms vs fetching alone", "1.05x", get, fetch,
            slow_store, repeats, **first)  # fmt: skip
    one = generated_uuid(ONE_PAGE, realistic=True)
    compare("one page (300 lines), whole process, store on", "1.1x",
            [BIN, "get", one, "--color", "never"],
            [*bare, BARE_ONE, logs_url(url, one), DEMO_TOKEN], store_on, start_repeats,
            **first)  # fmt: skip
    floor = [sys.executable, "-c", "pass"]
    compare("--version vs python -c pass", "2.5x", [BIN, "--version"], floor, env, start_repeats)
    compare("--help vs python -c pass", "-", [BIN, "--help"], floor, env, start_repeats)
    clean = generated_uuid(BIG)
    compare("clean text (no colour), 200k lines", "-", [BIN, "get", clean, "--color", "never"],
            [*bare, BARE_TEXT, logs_url(url, clean), DEMO_TOKEN], env, repeats)  # fmt: skip
    compare("--errors vs plain get, 200k realistic lines", "1.2x", [*get, "--errors"], get,
            env, repeats)  # fmt: skip
    compare("--redact vs plain get, 200k realistic lines", "-", [*get, "--redact"], get,
            env, repeats)  # fmt: skip
    hostile_cases(env, repeats)
    small = [BIN, "get", generated_uuid(SMALL, realistic=True)]
    compare("10k lines on a pseudo-terminal vs piped", "< 1 s", small, small, env, repeats,
            run_ours=timed_on_a_terminal)  # fmt: skip
    if not wanted("peak RSS"):
        return
    low = peak_rss_mib([BIN, "get", generated_uuid(SMALL, realistic=True), "--color", "never"], env)
    high = peak_rss_mib([BIN, "get", generated_uuid(HUGE, realistic=True), "--color", "never"], env)
    ROWS.append(Row("peak RSS (MiB), 500k vs 10k lines", high, low, "+10 MiB"))
    print(f"peak RSS: 10k lines {low:.1f} MiB, 500k lines {high:.1f} MiB, +{high - low:.1f} MiB")


def hostile_cases(env: dict[str, str], repeats: int) -> None:
    """Six lines of 1 MiB each made to trip patterns that backtrack; each whole command,
    start-up included, against `python -c pass` (the target is an absolute second)."""
    if not ADVERSARIAL_BUILD:
        return
    floor = [sys.executable, "-c", "pass"]
    for name, args in (
        ("--redact", ["get", ADVERSARIAL_BUILD, "--redact"]),
        ("summary -o markdown", ["summary", ADVERSARIAL_BUILD, "-o", "markdown"]),
        ("--follow --errors", ["get", ADVERSARIAL_BUILD, "--follow", "--errors"]),
    ):
        compare(f"1 MiB hostile lines x6: {name}", "< 1 s", [BIN, *args], floor, env, repeats,
                run_ours=allow_failure)  # fmt: skip


def allow_failure(cmd: list[str], env: dict[str, str]) -> float:
    """`timed` for a command that exits 1 (a followed build that failed)."""
    started = time.perf_counter()
    with open(os.devnull, "w") as sink:
        subprocess.run(cmd, stdout=sink, env=env, check=False)
    return time.perf_counter() - started


def store_cases(env: dict[str, str], slow_url: str, repeats: int) -> None:
    real = generated_uuid(BIG, realistic=True)
    with tempfile.TemporaryDirectory() as folder:
        fast = {**env, "CF_BUILDLOGS_CACHE_DIR": folder}
        fast.pop("CF_BUILDLOGS_NO_CACHE")
        get = [BIN, "get", real, "--color", "never"]
        timed(get, fast)  # kept
        bare = [sys.executable, "-c", BARE_TEXT, logs_url(env["CLOUDFLARE_API_BASE_URL"], real),
                DEMO_TOKEN]  # fmt: skip
        compare("kept re-read (no request) vs bare loop, loopback", "0.7x", get, bare, fast,
                repeats)  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        kept = {**env, "CF_BUILDLOGS_CACHE_DIR": folder, "CLOUDFLARE_API_BASE_URL": slow_url}
        kept.pop("CF_BUILDLOGS_NO_CACHE")
        get = [BIN, "get", real, "--color", "never"]
        timed(get, kept)  # the first read keeps it
        compare("store: kept re-read vs first read, 20 ms a page", "0.1x", get, get, kept,
                repeats, run_base=fresh_store)  # fmt: skip
        memory = [sys.executable, "-c", FROM_MEMORY, str(BIG)]
        compare("store: kept read vs rendering from memory", "1.2x", get, memory, kept, repeats)
        ndjson = Path(folder) / "build.ndjson"
        with ndjson.open("w") as sink:
            subprocess.run([*get, "--ndjson"], stdout=sink, env=kept, check=True)
        view = [BIN, "view", str(ndjson), "--color", "never"]
        compare("view of its ndjson vs get", "1.0x", view, get, env, repeats)
    ci_cases(env, repeats)


def ci_cases(env: dict[str, str], repeats: int) -> None:
    """GitHub mode on the default path a user runs (the store on, an empty store folder), and
    what the deployment analysis adds to a summary's pass."""
    store_on = {k: v for k, v in env.items() if k != "CF_BUILDLOGS_NO_CACHE"}
    get = [BIN, "get", generated_uuid(BIG, realistic=True), "--color", "never"]
    compare("GitHub mode: get --ci github vs get, store on", "1.1x", [*get, "--ci", "github"],
            get, store_on, repeats, run_ours=fresh_store, run_base=fresh_store)  # fmt: skip
    compare("GitHub mode --exit-status vs get --exit-status", "-",
            [*get, "--ci", "github", "--exit-status"], [*get, "--exit-status"], store_on,
            repeats, run_ours=fresh_store, run_base=fresh_store)  # fmt: skip
    if not wanted("deployment analysis"):
        return
    out = subprocess.run(
        [sys.executable, "-c", DEPLOY_ANALYSIS, str(BIG), str(repeats)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    on, off = map(float, out.stdout.split())
    summary = [BIN, "summary", generated_uuid(BIG, realistic=True)]
    whole = statistics.median(fresh_store(summary, store_on) for _ in range(repeats))
    ROWS.append(Row("deployment analysis: summary + its cost vs summary", whole + on - off,
                    whole, "1.05x"))  # fmt: skip
    ROWS.append(Row("deployment analysis: the summary pass alone, with vs without", on, off,
                    "-"))  # fmt: skip
    print(f"deployment analysis: {on * 1000:.1f} ms with, {off * 1000:.1f} ms without; "
          f"summary of 200k lines {whole * 1000:.0f} ms")  # fmt: skip


def diff_cases(env: dict[str, str], repeats: int) -> None:
    """`diff` of a 200k-line failed build against 3 kept good ones (logs shaped alike, with
    other timestamps and a few lines changed), against a kept `get` of the same log; and the
    peak memory of 1 baseline against 3."""
    if not wanted("diff"):
        return
    fake, url = start_fake("--diff-set", str(BIG))
    failed = diff_set_uuid(9)
    try:
        with tempfile.TemporaryDirectory() as folder:
            kept = {**env, "CF_BUILDLOGS_CACHE_DIR": folder, "CLOUDFLARE_API_BASE_URL": url}
            kept.pop("CF_BUILDLOGS_NO_CACHE")
            for uuid in (failed, *(diff_set_uuid(n) for n in range(3))):
                timed([BIN, "get", uuid], kept)  # each log kept
            diff = [BIN, "diff", failed, "--baseline", "3"]
            found = subprocess.run(diff, env=kept, capture_output=True, text=True, check=True)
            print(f"diff found: {found.stderr.strip()}")
            get = [BIN, "get", failed, "--color", "never"]
            compare("diff: 200k lines vs 3 kept baselines, vs kept get", "3x", diff, get, kept,
                    repeats)  # fmt: skip
            one = [BIN, "diff", failed, "--baseline", "1"]
            rss = [peak_rss_mib(cmd, kept) for cmd in (diff, one)]
            ROWS.append(Row("peak RSS: diff --baseline 3 vs --baseline 1", rss[0], rss[1], "flat"))
            print(f"peak RSS: {rss[0]:.1f} MiB with 3 baselines, {rss[1]:.1f} MiB with 1")
    finally:
        fake.terminate()
        fake.wait()


def print_table() -> None:
    if SERVER_PAGE:
        print(f"\nThe fake serves a page of 1,000 lines in {SERVER_PAGE[0] * 1000:.2f} ms "
              f"({SERVER_PAGE[0] * 200:.2f} s for the 200 pages of 200k lines).")  # fmt: skip
    print(
        "\n| case | cf-buildlogs | baseline | ratio | target |\n| --- | ---: | ---: | ---: | --- |"
    )
    for row in ROWS:
        if row.name.startswith("peak RSS"):
            print(f"| {row.name} | {row.ours:.1f} MiB | {row.base:.1f} MiB | "
                  f"+{row.ours - row.base:.1f} MiB | {row.target} |")  # fmt: skip
            continue
        print(f"| {row.name} | {row.ours * 1000:.0f} ms | {row.base * 1000:.0f} ms | "
              f"{row.ratio:.2f}x | {row.target} |")  # fmt: skip


if __name__ == "__main__":
    main()
