"""Untrusted text stays data (README, "Security"): each finding of the
attack on the tool, tried again as the attacker did, through the installed command where it
was seen there, against the fake API and its hostile answers on 127.0.0.1."""

from __future__ import annotations

import gzip
import json
import os
import re
import resource
import signal
import stat
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from markdown_it import MarkdownIt

from cloudflare_buildlogs import fake_api
from cloudflare_buildlogs.analysis.untrusted import linkable
from cloudflare_buildlogs.api import Client
from cloudflare_buildlogs.errors import NetworkError
from cloudflare_buildlogs.settings import config, files

from .conftest import ACCOUNT, BIN, BUILD, SENTINEL, Cli

EPOCH = 1636472400
TAG = fake_api.DEMO_WORKER_TAG
EVIL_LINK = (
    "https://developers.cloudflare.com/workers/)**Approved**![ok](https://evil.example/p.png)"
    "[Fix](https://evil.example/phish)@octo-org/security-team"
)
INJECTION = f"Error: x. To learn more about this error, visit: {EVIL_LINK}"
# Everything a terminal could be made to do, and every way to make text lie about itself.
HOSTILE = (
    "t\x1b]0;pwned\x07 c\x1b]52;c;ZXZpbA==\x07 e\x1b[2J\x1b[H \u202egnp.exe\u2066 z\u200bw\ufeff"
)
MARKDOWN_BAIT = "x\n# heading\n<img src=x onerror=alert(1)> @octo-org/security-team #123 **bold** [l](https://evil.example)"
ESCAPE = "\x1b"
INVISIBLE = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u200b\u2060\ufeff]")


def terminal_safe(text: str) -> bool:
    """No escape but SGR colour, no other control but newline and tab (the tool's own column
    separator), nothing invisible."""
    without_colour = re.sub(r"\x1b\[[0-9;]*m", "", text)
    controls = [
        c for c in without_colour if (ord(c) < 32 and c not in "\t\n") or 0x7F <= ord(c) <= 0x9F
    ]
    return not controls and INVISIBLE.search(text) is None


# -- Markdown ------------------------------------------------------------------------------------


def markup_from_outside(markdown: str) -> list[str]:
    """What a Markdown renderer would make of text the tool did not write: links to hosts
    that may not be linked, images, HTML, headings but the tool's one, emphasis but the
    tool's own, mentions and references outside code."""
    found = []
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    headings = [t for t in tokens if t.type == "heading_open"]
    if len(headings) != 1:
        found.append(f"{len(headings)} headings")
    for token in tokens:
        if token.type in ("html_block", "html_inline"):
            found.append(f"HTML: {token.content!r}")
        for child in token.children or []:
            if child.type == "link_open" and not linkable(str(child.attrs["href"])):
                found.append(f"link to {child.attrs['href']}")
            elif child.type in ("image", "html_inline"):
                found.append(f"{child.type}: {child.content!r}")
            elif child.type == "text" and re.search(r"@[\w-]|#\d|Approved|heading", child.content):
                found.append(f"text outside code: {child.content!r}")
        children = token.children or []
        for index, child in enumerate(children):
            if child.type in ("strong_open", "em_open"):
                inner = children[index + 1].content if index + 1 < len(children) else ""
                if not inner.startswith(("Errors", "Hints", "failed")):  # the tool's own
                    found.append(f"emphasis: {inner!r}")
    return found


def test_the_checker_sees_what_an_attacker_would_plant() -> None:
    planted = "### ✅ a\n\n**Approved** ![i](https://evil.example/p.png) @octo/team <b>x</b>\n# two"
    assert len(markup_from_outside(planted)) >= 4
    assert (
        markup_from_outside("### ok\n\n`@octo/team` [d](https://developers.cloudflare.com/x)") == []
    )


def add_failed(state: fake_api.State, uuid: str, lines: list[list[Any]], **fields: Any) -> None:
    state.add(fake_api.FakeBuild(uuid, lines, outcome="fail", **fields))


def test_a_hostile_build_plants_nothing_in_the_markdown_summary(
    cli: Cli, state: fake_api.State
) -> None:
    lines = [
        [EPOCH, "Executing user deploy command: npx wrangler deploy"],
        [EPOCH + 1, INJECTION],
        [EPOCH + 2, f"✘ [ERROR] {MARKDOWN_BAIT} ``` ```` `"],
        [EPOCH + 3, "To learn more about this error, visit: https://developers.cloudflare.com/ok/"],
    ]
    add_failed(state, BUILD, lines, branch=MARKDOWN_BAIT, commit_hash="`@a/b`#1")
    worker = "x%0A%23%20heading%20%40octo-org%2Fteam%20%3Cimg%3E"
    url = f"https://dash.cloudflare.com/{ACCOUNT}/workers/services/view/{worker}/production/builds/{BUILD}"
    result = cli("summary", url, "-o", "markdown")
    assert result.code == 0, result.stderr
    assert markup_from_outside(result.stdout) == []
    assert "[docs](https://developers.cloudflare.com/ok/)" in result.stdout  # allowed: linked
    assert "evil.example/phish" in result.stdout  # shown, as code: nothing is hidden


def test_an_unknown_outcome_is_code_in_the_markdown_heading(
    cli: Cli, state: fake_api.State
) -> None:
    state.add(fake_api.FakeBuild(BUILD, [[EPOCH, "done"]], outcome="**ok** @octo/team"))
    result = cli("summary", BUILD, "-o", "markdown")
    assert result.code == 0 and markup_from_outside(result.stdout) == []
    assert result.stdout.startswith("### ⚠️ Build stopped (`**ok** @octo/team`)")


def test_a_view_file_cannot_name_its_build_with_markup(cli: Cli, tmp_path: Path) -> None:
    saved = tmp_path / "log.ndjson"
    line = {"type": "line", "timestamp": None, "epoch": EPOCH, "message": "hello"}
    for bad in (
        {"build_uuid": "# heading @octo/team"},
        {"build_uuid": {"a": 1}},
        {"outcome": "<img>"},
    ):
        end = {"type": "end", "status": "stopped", "outcome": "fail", **bad}
        saved.write_text(json.dumps(line) + "\n" + json.dumps(end) + "\n")
        result = cli("view", str(saved), "--summary", "-o", "markdown")
        assert result.code == 2 and f"{saved}:2:" in result.stderr, result.stderr
        assert "internal error" not in result.stderr


# -- terminals and stderr ------------------------------------------------------------------------


def test_an_api_error_message_reaches_stderr_clean_and_on_prefixed_lines(
    cli: Cli, state: fake_api.State
) -> None:
    state.add(fake_api.FakeBuild(BUILD, [[EPOCH, "x"]]))
    state.faults.append(fake_api.Fault("unsuccessful", message=f"{HOSTILE}\nsecond line"))
    result = cli("get", BUILD, "--no-cache")
    assert result.code == 5
    assert ESCAPE not in result.stderr and terminal_safe(result.stderr)
    assert all(line.startswith(("cf-buildlogs: ", "hint: ")) for line in result.stderr.splitlines())
    assert "gnp.exe zw second line (code 10001)" in result.stderr  # one line: no planted one


def test_fields_of_a_build_reach_the_terminal_and_pipes_clean(
    cli: Cli, state: fake_api.State
) -> None:
    add_failed(state, BUILD, [[EPOCH, "Error: no"]], branch=HOSTILE, commit_message=HOSTILE)
    for args in (["summary", BUILD], ["get", BUILD, "--exit-status"], ["list", TAG]):
        result = cli(*args)
        assert ESCAPE not in result.stdout + result.stderr, args
        assert terminal_safe(result.stdout + result.stderr), args
    assert "t c e gnp.exe zw" in cli("summary", BUILD).stdout


def test_the_terminal_summary_draws_no_control_from_the_build(
    state: fake_api.State, server: fake_api.FakeServer
) -> None:
    from .test_follow import FakeClock, run

    add_failed(state, BUILD, [[EPOCH, f"Error: {HOSTILE}"]], branch=HOSTILE)
    status, io = run(server, FakeClock(), "summary", BUILD, tty=True)
    assert status == 0 and terminal_safe(io.out.getvalue()) and terminal_safe(io.err.getvalue())
    assert "gnp.exe" in io.out.getvalue()


def test_auth_status_and_account_names_are_clean(cli: Cli, state: fake_api.State) -> None:
    state.tokens[SENTINEL] = fake_api.Token(expires_on=HOSTILE)
    status = cli("auth", "status")
    assert ESCAPE not in status.stdout and terminal_safe(status.stdout)
    state.accounts = [
        {"id": ACCOUNT, "name": HOSTILE},
        {"id": "f" * 32, "name": "second\nfake: line"},
    ]
    several = cli("get", BUILD, env={"CLOUDFLARE_ACCOUNT_ID": ""})
    assert several.code == 2 and terminal_safe(several.stderr), several.stderr
    assert len(several.stderr.splitlines()) == 2  # the message and its hint, no planted line


def test_bidi_and_invisible_characters_never_reach_the_log_output(
    cli: Cli, state: fake_api.State
) -> None:
    state.add(fake_api.FakeBuild(BUILD, [[EPOCH, HOSTILE], [EPOCH, "plain \u202elooks reversed"]]))
    for color in ("never", "always"):
        result = cli("get", BUILD, "--color", color)
        assert result.code == 0 and terminal_safe(result.stdout), color
    assert cli("get", BUILD, "--ndjson").stdout.count("\u202e") == 2  # JSON keeps what was sent


def test_a_line_break_in_a_message_repeats_the_lines_prefix(
    cli: Cli, state: fake_api.State
) -> None:
    state.add(fake_api.FakeBuild(BUILD, [[EPOCH, "first\nsecond\r\nthird"], [EPOCH + 1, "next"]]))
    assert cli("get", BUILD).stdout.splitlines() == [
        "2021-11-09 15:40:00  first",
        "2021-11-09 15:40:00  second",
        "2021-11-09 15:40:00  third",
        "2021-11-09 15:40:01  next",
    ]


def test_several_workers_labels_and_continuations_are_clean(
    cli: Cli, state: fake_api.State, tmp_path: Path
) -> None:
    other = "b" * 32
    state.scripts += [{"id": "api", "tag": TAG}, {"id": "w\x1b]0;x\x07eb", "tag": other}]
    state.add(fake_api.FakeBuild(BUILD, [[EPOCH, "one\ntwo"]]))
    state.add(
        fake_api.FakeBuild("aaaaaaaa-0000-4000-8000-000000000001", [[EPOCH, "x"]], worker_tag=other)
    )
    result = cli("latest", "api", "w\x1b]0;x\x07eb", "--timestamps", "none")
    assert result.code == 0, result.stderr
    assert terminal_safe(result.stdout + result.stderr)
    assert result.stdout == "api  one\napi  two\nweb  x\n"


# -- time ----------------------------------------------------------------------------------------


def test_a_megabyte_of_adversarial_text_is_summarised_redacted_and_followed_quickly(
    cli: Cli, state: fake_api.State
) -> None:
    """The old patterns took hours on these lines; the subprocess's time limit fails them."""
    size = 1 << 20
    lines = [
        [EPOCH, "token " + "a." * (size // 2)],
        [EPOCH, "eyJ-" * (size // 4)],
        [EPOCH, "Error: build token " * (size // 19)],
        [EPOCH, "Pages project " * (size // 14)],
    ]
    add_failed(state, BUILD, lines)
    started = time.monotonic()
    for args in (["summary", BUILD, "-o", "markdown"], ["get", BUILD, "--redact", "--no-cache"],
                 ["get", BUILD, "--follow", "--no-cache", "--errors"]):  # fmt: skip
        result = cli(*args, timeout=60)
        assert result.code in (0, 1), result.stderr
        assert len(result.stderr) < 1000  # the first error line is shortened there
    assert time.monotonic() - started < 60
    summary = cli("summary", BUILD, "-o", "markdown").stdout
    assert len(summary) < 20_000 and "more characters)" in summary  # room in a PR comment


def test_a_wrangler_jsonc_of_comment_repeats_reads_at_once(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    # After the comma, comments and then no closing bracket: the old pattern tried every way
    # to split the comments (140 bytes took 20 s, each 4 more doubling it).
    (tmp_path / "wrangler.jsonc").write_text('{"name": "w",' + "/**/" * 5000 + ' "main": "x"}')
    state_env = {"CLOUDFLARE_API_BASE_URL": cli.server.url}
    result = subprocess.run(
        [str(BIN), "latest", "--no-cache"],
        cwd=tmp_path, capture_output=True, text=True, timeout=30, check=False,
        env=cli.env(state_env),
    )  # fmt: skip
    assert result.returncode == 4 and "'w'" in result.stderr  # read, then not found by the API


# -- size ----------------------------------------------------------------------------------------


def test_latest_all_reads_no_device_behind_a_wrangler_toml(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "wrangler.toml").symlink_to("/dev/zero")
    fifo = tmp_path / "fifo"
    fifo.mkdir()
    os.mkfifo(fifo / "wrangler.toml")
    result = subprocess.run(
        [str(BIN), "latest", "--all"],
        cwd=tmp_path, capture_output=True, text=True, timeout=30, check=False, env=cli.env(),
    )  # fmt: skip
    assert result.returncode == 2 and "found no Worker" in result.stderr


def gzipped(envelope: dict[str, Any], padding: int) -> bytes:
    text = json.dumps(envelope)
    return gzip.compress((text[:-1] + ', "pad": "' + " " * padding + '"}').encode(), 9)


def test_a_compressed_answer_is_read_to_64_mib_at_most(cli: Cli, state: fake_api.State) -> None:
    body = gzipped(fake_api.envelope({"lines": [[EPOCH, "x"]]}), 100 << 20)
    assert len(body) < 1 << 20  # a megabyte on the wire, 100 MiB decoded
    state.add(fake_api.FakeBuild(BUILD, [[EPOCH, "x"]]))
    state.faults.append(
        fake_api.Fault(
            "raw",
            body=body,
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        )
    )
    proc = subprocess.Popen(
        [str(BIN), "get", BUILD, "--no-cache"], env=cli.env(), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    peak = 0
    while proc.poll() is None:
        try:
            peak = max(peak, _rss(proc.pid))
        except OSError:
            break
        time.sleep(0.01)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 5 and "larger than 64 MiB" in err, err
    assert peak < 400 << 20


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (
            b'{"success": true, "errors": [], "result": ' + b"[" * 5000 + b"]" * 5000 + b"}",
            "nested",
        ),
        (
            json.dumps(
                fake_api.envelope({"lines": [], "cursor": "c" * (1 << 20), "truncated": True})
            ).encode(),
            "cursor of 1,048,576 characters",
        ),
        (
            b'{"success": true, "errors": [], "result": {"lines": [[1, '
            + b"[" * 80
            + b"]" * 80
            + b"]]}}",
            "deeper than 64 levels",
        ),
    ],
    ids=["nested-envelope", "megabyte-cursor", "nested-line"],
)
def test_unusable_answers_are_exit_5_naming_what_was_wrong(
    cli: Cli, state: fake_api.State, body: bytes, words: str
) -> None:
    state.add(fake_api.FakeBuild(BUILD, [[EPOCH, "x"]]))
    state.faults.append(
        fake_api.Fault("raw", body=body, headers={"Content-Type": "application/json"})
    )
    result = cli("get", BUILD, "--no-cache")
    assert result.code == 5 and words in result.stderr, result.stderr
    assert "internal error" not in result.stderr


def test_a_400_digit_epoch_is_a_question_mark(cli: Cli, state: fake_api.State) -> None:
    state.add(fake_api.FakeBuild(BUILD, [[int("9" * 400), "far"], [EPOCH, "near"]]))
    result = cli("get", BUILD)
    assert result.code == 0 and result.stdout.splitlines() == [
        "?  far",
        "2021-11-09 15:40:00  near",
    ]
    assert json.loads(cli("get", BUILD, "--ndjson").stdout.splitlines()[0])["timestamp"] is None


def test_retry_after_inf_is_reported_not_waited(cli: Cli, state: fake_api.State) -> None:
    state.add(fake_api.FakeBuild(BUILD, [[EPOCH, "x"]]))
    state.faults.append(fake_api.Fault("429", retry_after="inf"))
    result = cli("get", BUILD, "--no-cache")
    assert (
        result.code == 5
        and "rate limited by Cloudflare for longer than the tool waits" in result.stderr
    )


# -- deadlines -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["trickle", "trickle-body"])
def test_a_trickling_answer_is_a_timeout_at_the_request_deadline(
    state: fake_api.State, server: fake_api.FakeServer, kind: str
) -> None:
    """Each byte comes well within httpx's read timeout; the whole answer never does."""
    state.faults.append(fake_api.Fault(kind, path="/user/tokens/verify", delay=0.05, times=5))
    http = httpx.Client(timeout=httpx.Timeout(10.0))
    creds = config.Credentials("test", token=SENTINEL)
    client = Client(http, server.url, creds, max_attempts=1, request_deadline=1.0)
    started = time.monotonic()
    with pytest.raises(NetworkError, match="no full answer in 1s"):
        client.verify_token()
    assert time.monotonic() - started < 4
    http.close()


def test_timeout_bounds_the_retry_pauses_of_a_failing_api(
    state: fake_api.State, server: fake_api.FakeServer
) -> None:
    from .test_follow import FakeClock, run

    clock = FakeClock()
    state.clock = clock.monotonic
    state.add(
        fake_api.FakeBuild(
            BUILD, [[EPOCH, "x"]], live=fake_api.Live(started=clock.now, queued_s=1e6)
        )
    )
    state.faults.append(fake_api.Fault("429", path="/builds/", retry_after="50", times=100, skip=1))
    status, io = run(server, clock, "get", BUILD, "--follow", "--timeout", "20s")
    assert status == 6, io.err.getvalue()
    assert sum(clock.sleeps) <= 20 and "gave up after 20s" in io.err.getvalue()


# -- identifiers and files ------------------------------------------------------------------------


def test_a_build_uuid_from_the_api_that_could_climb_out_is_unusable(
    cli: Cli, state: fake_api.State, tmp_path: Path
) -> None:
    state.add(fake_api.FakeBuild("../escape/planted", [[EPOCH, "x"]]))
    result = cli("latest", TAG)
    assert result.code == 5 and "wrong shape" in result.stderr, result.stderr
    assert not any("escape" in path for _, path, _ in state.requests)
    assert not list(tmp_path.rglob("planted*")) and not list(tmp_path.parent.rglob("planted*"))


def test_a_shared_store_folder_is_never_chmodded_nor_used(
    cli: Cli, state: fake_api.State, tmp_path: Path
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    state.add(fake_api.FakeBuild(BUILD, [[EPOCH, "x"]]))
    result = cli("get", BUILD, env={"CF_BUILDLOGS_CACHE_DIR": str(shared)})
    assert result.code == 0 and result.stdout.endswith("  x\n")
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777 and not list(shared.iterdir())
    assert result.stderr.count("warning:") == 1 and "others may write" in result.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to make a folder someone else's")
def test_a_store_folder_of_another_user_is_not_used(
    cli: Cli, state: fake_api.State, tmp_path: Path
) -> None:
    foreign = tmp_path / "foreign"
    foreign.mkdir(mode=0o700)
    os.chown(foreign, 65534, 65534)
    state.add(fake_api.FakeBuild(BUILD, [[EPOCH, "x"]]))
    result = cli("get", BUILD, env={"CF_BUILDLOGS_CACHE_DIR": str(foreign)})
    assert result.code == 0 and result.stdout.endswith("  x\n")
    assert "belongs to another user" in result.stderr and not list(foreign.iterdir())


def test_a_store_path_that_is_a_file_is_a_warning_and_the_log(
    cli: Cli, state: fake_api.State, tmp_path: Path
) -> None:
    afile = tmp_path / "afile"
    afile.write_text("mine")
    state.add(fake_api.FakeBuild(BUILD, [[EPOCH, "x"]]))
    result = cli("get", BUILD, env={"CF_BUILDLOGS_CACHE_DIR": str(afile)})
    assert result.code == 0 and result.stdout.endswith("  x\n")
    assert "is not a folder" in result.stderr and afile.read_text() == "mine"


def test_the_config_is_written_through_no_planted_link(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folder = tmp_path / "cfg"
    folder.mkdir(mode=0o700)
    planted = tmp_path / "planted"
    planted.write_text("")
    monkeypatch.setattr(os, "getpid", lambda: 4242)
    for name in (".config.toml.4242.tmp", ".config.toml.tmp"):  # the names a writer could guess
        (folder / name).symlink_to(planted)
    files.write_config(folder / "config.toml", {"profiles": {"p": {"api_token": SENTINEL}}})
    assert planted.read_text() == ""
    assert SENTINEL in (folder / "config.toml").read_text()
    assert stat.S_IMODE((folder / "config.toml").stat().st_mode) == 0o600


def test_a_full_disk_never_cuts_the_log(cli: Cli, state: fake_api.State) -> None:
    """RLIMIT_FSIZE makes every file write past 64 KiB fail as a full disk would; the log goes
    to a pipe, which the limit does not touch."""
    state.add(fake_api.FakeBuild(BUILD, fake_api.GeneratedLines(20_000)))

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 10, 64 << 10))

    proc = subprocess.run(
        [str(BIN), "get", BUILD, "-v"], env=cli.env(), capture_output=True, text=True,
        timeout=60, check=False, preexec_fn=small_files,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 20_000
    assert "not kept" in proc.stderr and "internal error" not in proc.stderr
    assert not list((cli.config_dir.parent / "cache").glob("*.cfbl"))
