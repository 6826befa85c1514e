"""`diff` side by side with logreduce (OpenStack Zuul's log anomaly finder) on the same logs:
what each reports of the planted root causes (precision and recall) and how long each takes,
whole process. By hand, not in CI: logreduce is not a dependency.

    python3 -m venv /tmp/lr && /tmp/lr/bin/pip install logreduce
    uv run python benchmarks/side_by_side.py /tmp/lr/bin/logreduce
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))

from cloudflare_buildlogs.fake_api import RealisticLines
from cloudflare_buildlogs.fake_api.lines import PlantedLines
from tests.noisy import PLANTED, noisy_lines

BIN = str(Path(sys.executable).parent / "cf-buildlogs")


def write(path: Path, lines: list[list[object]]) -> None:
    """The dashboard's download form: an RFC 3339 time, a tab, the message (no colour)."""
    with path.open("w") as out:
        for stamp, text in lines:
            when = datetime.fromtimestamp(float(stamp), timezone.utc)  # type: ignore[arg-type]
            plain = str(text).replace("\x1b[32m", "").replace("\x1b[39m", "")
            out.write(when.isoformat().replace("+00:00", "Z") + "\t" + plain + "\n")


def message(line: str) -> str:
    return line.split("\t", 1)[1] if "\t" in line else line


def ours(failed: Path, good: Path) -> tuple[set[str], float]:
    started = time.perf_counter()
    done = subprocess.run(
        [BIN, "diff", str(failed), str(good), "-o", "json", "--no-cache"],
        capture_output=True, text=True, check=True, env={"CF_BUILDLOGS_CONFIG_DIR": "/nonexistent"},
    )  # fmt: skip
    took = time.perf_counter() - started
    return {line["message"] for line in json.loads(done.stdout)["new"]}, took


def theirs(tool: str, failed: Path, good: Path, folder: Path) -> tuple[set[str], float]:
    report = folder / "logreduce.json"
    started = time.perf_counter()
    subprocess.run(
        [tool, "diff", str(good), str(failed), "--json", str(report), "-C", "0"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    took = time.perf_counter() - started
    files = json.loads(report.read_text())["files"]
    return {message(line) for f in files.values() for line in f["lines"]}, took


def scores(found: set[str], planted: set[str]) -> str:
    hit = len(found & planted)
    return f"recall {hit / len(planted):.2f}, precision {hit / max(1, len(found)):.2f}"


def main() -> None:
    tool = sys.argv[1] if len(sys.argv) > 1 else "logreduce"
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        cases = []
        small_good, small_failed = folder / "good.log", folder / "failed.log"
        write(small_good, noisy_lines(3))
        failed = noisy_lines(99, tools="nodejs@24.1.0, npm@10.9.2", planted=list(PLANTED),
                             install_seconds=60)  # fmt: skip
        write(small_failed, failed)
        cases.append(("test fixture (50 lines)", small_failed, small_good, {t for _, t in PLANTED}))
        count = 200_000
        planted = {
            count // 3: "npm warn EBADENGINE Unsupported engine { package: 'sharp@0.34.1' }",
            count // 2: "Using the legacy config file vite.config.js; ignoring vite.config.ts",
            count - 2: "No routes configured for this environment, deploying to workers.dev only",
        }
        big_good, big_failed = folder / "big-good.log", folder / "big-failed.log"
        write(big_good, RealisticLines(count, start=1_700_000_000)[:])
        write(big_failed, PlantedLines(count, planted, start=1_700_500_000)[:])
        cases.append(("realistic, 200,000 lines", big_failed, big_good, set(planted.values())))
        print("| logs | cf-buildlogs diff | logreduce diff |\n| --- | --- | --- |")
        for label, bad, good, truth in cases:
            mine, mine_s = ours(bad, good)
            other, other_s = theirs(tool, bad, good, folder)
            print(f"| {label} | {scores(mine, truth)}, {mine_s:.2f} s | "
                  f"{scores(other, truth)}, {other_s:.2f} s |")  # fmt: skip


if __name__ == "__main__":
    main()
