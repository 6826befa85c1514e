"""Logs from anywhere: what people copy or download from the dashboard, read by `view` and
`diff` (and so by `--summary`, `--errors` and hints)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cloudflare_buildlogs.errors import ExitCode

from .conftest import make_env

LINES = [
    "Initializing build environment...",
    "Executing user deploy command: npx wrangler deploy",
    "✘ [ERROR] Missing entry-point to Worker script or to assets directory",
    "Failed: error occurred while running deploy command",
]
DOWNLOADED = "".join(f"2025-12-11T01:46:0{i}.351Z\t{text}\n" for i, text in enumerate(LINES))
TABLE = "".join(f"01:46:0{i}.351 | {text}\n" for i, text in enumerate(LINES))
TABBED = "".join(f"23:59:5{8 + i}.000\t{text}\n" if i < 2 else f"00:00:0{i}.000\t{text}\n"
                 for i, text in enumerate(LINES))  # fmt: skip
MARKDOWN = "Time | Message\n-- | --\n" + "".join(
    f"| 01:46:0{i}.351 | {text} |\n" for i, text in enumerate(LINES)
)
HTML = "<html><body>\n<pre>\n" + DOWNLOADED + "</pre>\n</body></html>\n"


def view(path: Path, *args: str) -> tuple[int, str, str]:
    from cloudflare_buildlogs import cli

    captured = make_env({"TZ": "UTC"})
    code = cli.run(["view", str(path), *args], captured.env)
    return code, captured.out.getvalue(), captured.err.getvalue()


@pytest.mark.parametrize(
    ("text", "first"),
    [
        (DOWNLOADED, 1765417560.351),
        (TABLE, 6360.351),
        (MARKDOWN, 6360.351),
        (HTML, 1765417560.351),
        (TABBED, 86398.0),
    ],
    ids=["downloaded", "table", "markdown", "html", "tabbed-past-midnight"],
)
def test_each_pasted_form_reads_as_the_log(tmp_path: Path, text: str, first: float) -> None:
    path = tmp_path / "pasted.log"
    path.write_text(text)
    code, out, err = view(path, "--ndjson")
    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["message"] for r in records] == LINES
    assert records[0]["epoch"] == pytest.approx(first)
    seconds = [r["epoch"] for r in records]
    assert seconds == sorted(seconds)  # past midnight, a day later

    code, out, _ = view(path, "--summary", "-o", "json")
    summary = json.loads(out)
    assert (code == 0 and summary["failed_phase"] is None) or summary["phases"]
    assert any("Missing entry-point" in e["message"] for e in summary["errors"])


def test_a_message_over_several_lines_and_text_input(tmp_path: Path) -> None:
    path = tmp_path / "multi.log"
    path.write_text("01:00:00.000 | first\ncontinued here\n01:00:01.000 | second\n")
    code, out, _ = view(path, "--ndjson")
    assert code == 0
    assert [json.loads(line)["message"] for line in out.splitlines()] == [
        "first\ncontinued here",
        "second",
    ]
    plain = tmp_path / "plain.txt"
    plain.write_text("hello\nError: something broke\n")
    code, out, err = view(plain)
    assert code == ExitCode.USAGE
    assert f"{plain}:1: not a log this tool reads" in err and "--input text" in err
    code, out, _ = view(plain, "--input", "text", "--errors", "-C", "0", "--no-timestamps")
    assert (code, out) == (0, "Error: something broke\n")


def test_a_file_that_looks_like_a_table_but_is_none(tmp_path: Path) -> None:
    path = tmp_path / "table.md"
    path.write_text("a | b\n-- | --\nx | y\n")
    code, _, err = view(path)
    assert code == ExitCode.USAGE and f"{path}:3: not a log this tool reads" in err
