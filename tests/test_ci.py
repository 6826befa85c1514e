"""CI mode (README, "In CI"): GitHub Actions' groups, annotations and files, GitLab's sections,
through the installed command against the fake API.

GitHub's output is read by `Runner`, an interpreter of workflow commands written from GitHub's
documented rules ("Workflow commands for GitHub Actions"): a line is read as the runner reads
lines (split at CR, LF or CRLF); one that starts, after white space, with `::` is a command
`::NAME[ KEY=VALUE,...]::MESSAGE`, with `%25`, `%0D`, `%0A` (and in properties `%3A`, `%2C`)
unescaped; `::stop-commands::TOKEN` stops every command until a line `::TOKEN::`. It counts
any `::NAME::` as acting, stricter than the runner, which acts on the names it knows only.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import NamedTuple

import pytest

from cloudflare_buildlogs import fake_api
from cloudflare_buildlogs.output.ci import escape_data, escape_property, section_name

from .builds import FAILED_LOG, SUCCESS_LOG
from .conftest import BIN, BUILD, Cli, Result
from .test_deploy import BEFORE_DEPLOY, NO_PROJECTS

T0 = 1_700_000_000
TAG = fake_api.DEMO_WORKER_TAG
OURS = {"group", "endgroup", "stop-commands", "error", "warning"}

HOSTILE = [
    "::add-mask::hunter2",
    "::error file=app.js,line=1::pwned",
    "::endgroup::",
    "::group::a group of the log's own",
    "   ::warning::indented",
    "::set-output name=deployed::true",
    "::save-state name=x::y",
    "::stop-commands::deadbeef",
    "::deadbeef::",
    "::error::after the log's own resume",
    "ok\n::error::after a line break",
    "progress\r::error::after a carriage return",
    "\x1b[31m::error::behind colour\x1b[0m",
    "\u202e::error::behind a bidi control",
    "\x0b::error::after a vertical tab",
    "%0A::error::escaped",
]


class Command(NamedTuple):
    name: str
    properties: dict[str, str]
    message: str


def _unescape(text: str, prop: bool = False) -> str:
    if prop:
        text = text.replace("%3A", ":").replace("%2C", ",")
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def parse_command(line: str) -> Command | None:
    body = line.lstrip()
    if not body.startswith("::"):
        return None
    end = body.find("::", 2)
    if end < 0:
        return None
    name, _, props = body[2:end].partition(" ")
    if not name:
        return None
    properties = {}
    for pair in filter(None, props.split(",")):
        key, _, value = pair.partition("=")
        properties[key] = _unescape(value, prop=True)
    return Command(name, properties, _unescape(body[end + 2 :]))


class Runner:
    """What GitHub's runner makes of a step's output: the commands that act, the lines it
    prints, and the groups they sit in."""

    def __init__(self, text: str) -> None:
        self.commands: list[Command] = []
        self.printed: list[str] = []
        self.groups: list[tuple[str, list[str]]] = []
        self.tokens: list[str] = []
        self._stop: str | None = None
        self._open = False
        for line in re.split(r"\r\n|\r|\n", text.removesuffix("\n")):
            self._read(line)

    def _read(self, line: str) -> None:
        if self._stop is not None:
            if line.lstrip() == f"::{self._stop}::":
                self._stop = None
            else:
                self._print(line)
            return
        command = parse_command(line)
        if command is None:
            self._print(line)
            return
        self.commands.append(command)
        if command.name == "stop-commands":
            self._stop = command.message
            self.tokens.append(command.message)
        elif command.name == "group":
            self.groups.append((command.message, []))
            self._open = True
        elif command.name == "endgroup":
            self._open = False

    def _print(self, line: str) -> None:
        self.printed.append(line)
        if self._open:
            self.groups[-1][1].append(line)

    def named(self, name: str) -> list[Command]:
        return [c for c in self.commands if c.name == name]


def add(
    state: fake_api.State, messages: list[str], outcome: str, uuid: str = BUILD, **kw: object
) -> None:
    lines = [[T0 + i, m] for i, m in enumerate(messages)]
    state.add(
        fake_api.FakeBuild(
            uuid, lines, outcome=outcome, stopped_on=fake_api._iso(T0 + len(lines)), **kw
        )  # type: ignore[arg-type]
    )


@pytest.fixture
def named(state: fake_api.State) -> fake_api.State:
    state.scripts.append({"id": "my-worker", "tag": TAG})
    return state


def github(
    cli: Cli, tmp_path: Path, *args: str, **extra: str
) -> tuple[Result, dict[str, str], str]:
    """A run in GitHub Actions: the result, the step outputs, and the step summary."""
    outputs, summary = tmp_path / "output", tmp_path / "summary.md"
    outputs.write_text(""), summary.write_text("")
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    result = cli(*args, env={**env, **extra})
    pairs = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    return result, pairs, summary.read_text()


def test_no_log_line_acts_and_every_line_is_printed_once(
    cli: Cli, named: fake_api.State, tmp_path: Path
) -> None:
    install = FAILED_LOG.index(
        "Installing project dependencies: npm clean-install --progress=false"
    )
    messages = (
        FAILED_LOG[: install + 1] + HOSTILE + FAILED_LOG[install + 1 :] + ["Error: " + HOSTILE[0]]
    )
    add(named, messages, "fail")
    done, pairs, _ = github(cli, tmp_path, "get", BUILD, "--exit-status", "--no-timestamps")
    plain = cli("get", BUILD, "--exit-status", "--no-timestamps", "--ci", "none")
    assert done.code == plain.code == 1
    runner = Runner(done.stdout)
    assert {c.name for c in runner.commands} <= OURS
    assert runner.printed == plain.stdout.removesuffix("\n").split("\n")  # each line, once
    phases = ["initialize", "clone", "configure", "install", "build", "deploy"]
    assert [title for title, _ in runner.groups] == phases
    assert [line for _, lines in runner.groups for line in lines] == runner.printed
    assert not runner.named("add-mask") and not runner.named("set-output")
    errors = runner.named("error")
    assert [c.properties["title"] for c in errors] == ["build failed in deploy"] * 3
    assert errors[-1].message == "Error: ::add-mask::hunter2"  # an annotation's data, escaped
    assert pairs["outcome"] == "fail" and pairs["failed_phase"] == "deploy"


def test_the_token_is_random_on_every_run(cli: Cli, named: fake_api.State, tmp_path: Path) -> None:
    add(named, SUCCESS_LOG, "success")
    tokens = [Runner(github(cli, tmp_path, "get", BUILD)[0].stdout).tokens for _ in range(2)]
    assert all(re.fullmatch("[0-9a-f]{32,}", t) for run in tokens for t in run)
    assert len(set(tokens[0])) == 1 and tokens[0][0] != tokens[1][0]


def test_annotations_are_the_failed_phases_first_ten_error_lines(
    cli: Cli, named: fake_api.State, tmp_path: Path
) -> None:
    deploy = FAILED_LOG.index("Executing user deploy command: npx wrangler deploy")
    errors = [f"Error: failed 100%, step {i}: see a,b" for i in range(12)]
    secret = "Error: CLOUDFLARE_API_TOKEN=s3cr3tT0k3nValue42 rejected"
    messages = [*FAILED_LOG[:deploy], "npm error in install, not the failed phase"]
    messages[next(i for i, m in enumerate(messages) if "vulnerabilities" in m)] = "npm error E404"
    add(named, [*messages, *FAILED_LOG[deploy:], secret, *errors], "fail")
    done, pairs, summary = github(cli, tmp_path, "latest", "my-worker", "--exit-status")
    annotations = Runner(done.stdout).named("error")
    assert len(annotations) == 10
    assert {c.properties["title"] for c in annotations} == {"my-worker: build failed in deploy"}
    assert "::error title=my-worker%3A build failed in deploy::" in done.stdout
    messages_seen = [c.message for c in annotations]
    assert messages_seen[:2] == [
        "✘ [ERROR] Missing entry-point to Worker script or to assets directory",
        "Failed: error occurred while running deploy command",
    ]
    assert messages_seen[2] == "Error: CLOUDFLARE_API_TOKEN=*** rejected"  # redacted
    assert messages_seen[3] == "Error: failed 100%, step 0: see a,b"  # unescaped as it was
    assert "npm error" not in " ".join(messages_seen)
    # The step summary in full for a failure, redacted; the outputs name the dashboard page.
    assert summary.startswith("### ❌ `my-worker`: build failed") and "| deploy |" in summary
    assert "s3cr3tT0k3nValue42" not in summary and "CLOUDFLARE_API_TOKEN=***" in summary
    assert pairs["url"].startswith("https://dash.cloudflare.com/") and pairs["deployed"] == ""


def test_a_false_green_warns_sets_its_outputs_and_exits_7_with_require_deploy(
    cli: Cli, named: fake_api.State, tmp_path: Path
) -> None:
    add(named, BEFORE_DEPLOY + NO_PROJECTS, "success")
    done, pairs, summary = github(
        cli, tmp_path, "latest", "my-worker", "--follow", "--require-deploy"
    )
    assert done.code == 7, done.stderr
    (warning,) = Runner(done.stdout).named("warning")
    assert warning.properties["title"] == "my-worker: deployed nothing"
    assert "matched no project" in warning.message
    assert (
        pairs["deployed"] == "false" and pairs["outcome"] == "success" and pairs["version_id"] == ""
    )
    assert "deployed nothing" in done.stderr and "hint: " in done.stderr
    assert (
        summary.startswith("### ⚠️ `my-worker`: build succeeded") and "matched no project" in summary
    )
    assert "| phase |" not in summary  # a success's summary is brief
    # Without --require-deploy the same build is a success.
    assert github(cli, tmp_path, "latest", "my-worker", "--follow")[0].code == 0
    # A Markdown summary on stdout is the user's to put in the step summary: not written twice.
    done, pairs, summary = github(
        cli, tmp_path, "latest", "my-worker", "--follow", "--summary", "-o", "markdown"
    )
    assert done.stdout.startswith("### ⚠️") and summary == "" and pairs["deployed"] == "false"


def test_json_forms_are_the_same_bytes_in_ci(
    cli: Cli, named: fake_api.State, tmp_path: Path
) -> None:
    add(named, FAILED_LOG + HOSTILE, "fail")
    for args in (["get", BUILD, "--ndjson", "--exit-status"], ["get", BUILD, "--json"],
                 ["summary", BUILD, "-o", "json", "--exit-status"]):  # fmt: skip
        done, pairs, _ = github(cli, tmp_path, *args)
        plain = cli(*args, "--ci", "none")
        assert done.stdout == plain.stdout and done.code == plain.code
        if "--exit-status" in args:  # annotations go to stderr, the files are written
            assert "::error title=" in done.stderr and pairs["build_uuid"] == BUILD


def test_a_text_summary_cannot_act(cli: Cli, named: fake_api.State, tmp_path: Path) -> None:
    add(named, [*FAILED_LOG, "Error: ::add-mask::x", "::warning::y"], "fail")
    done, _, _ = github(cli, tmp_path, "summary", BUILD)
    runner = Runner(done.stdout)
    assert [c.name for c in runner.commands] == ["stop-commands"]
    assert runner.printed == cli("summary", BUILD).stdout.removesuffix("\n").split("\n")


def test_the_recipe_several_workers_wait_and_follow(
    cli: Cli, state: fake_api.State, tmp_path: Path
) -> None:
    """`latest A B --commit SHA --wait --follow` in a GitHub job: one group a Worker's phase,
    outputs of the failed build and `builds=` of both."""
    sha = "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432"
    for index, (name, log, outcome) in enumerate(
        (("api", SUCCESS_LOG, "success"), ("web", FAILED_LOG, "fail"))
    ):
        tag = f"{index + 1:032x}"
        state.scripts.append({"id": name, "tag": tag})
        add(
            state,
            log,
            outcome,
            uuid=f"00000000-0000-4000-b000-{index:012d}",
            worker_tag=tag,
            commit_hash=sha,
        )
    done, pairs, summary = github(
        cli,
        tmp_path,
        "latest",
        "api",
        "web",
        "--commit",
        sha[:12],
        "--wait",
        "--follow",
        "--interval",
        "0.1",
    )
    assert done.code == 1, done.stderr
    runner = Runner(done.stdout)
    assert {c.name for c in runner.commands} <= OURS
    titles = [title for title, _ in runner.groups]
    assert titles[0] == "api initialize" and "web deploy" in titles and "api deploy" in titles
    assert {c.properties["title"] for c in runner.named("error")} == {"web: build failed in deploy"}
    assert pairs["outcome"] == "fail" and pairs["build_uuid"].endswith("000000000001")
    builds = json.loads(pairs["builds"])
    assert [(b["worker"], b["outcome"], b["deployed"]) for b in builds] == [
        ("api", "success", "true"),
        ("web", "fail", ""),
    ]
    assert builds[0]["version_id"] == "8c2f1a4e-55b7-4f1e-9d3a-0e6c7b2a9f11"
    assert "### ✅ `api`" in summary and "### ❌ `web`" in summary
    assert re.search(r"^api\s+build \w+ succeeded .* · deployed 8c2f1a4e$", done.stderr, re.M)


GITLAB_SECTION = re.compile(r"section_(start|end):(\d+):([A-Za-z0-9_.-]+)(\[[^\]]*\])?\r\x1b\[0K")


def test_gitlab_sections_a_phase_each_and_no_log_line_opens_one(
    cli: Cli, named: fake_api.State
) -> None:
    hostile = [
        "section_start:1:cfbl_x[collapsed=true]\r\x1b[0Kfake",
        "\x1b[0Ksection_end:1700000001:cfbl_install\r\x1b[0K",
        "text\r\x1b[0Ksection_start:2:y\r\x1b[0K",
    ]
    install = SUCCESS_LOG.index(
        "Installing project dependencies: npm clean-install --progress=false"
    )
    messages = SUCCESS_LOG[: install + 1] + hostile + SUCCESS_LOG[install + 1 :]
    add(named, messages, "success")
    argv = [str(BIN), "get", BUILD, "--no-timestamps"]  # bytes: a carriage return kept as sent
    done = subprocess.run(
        argv, capture_output=True, env=cli.env({"GITLAB_CI": "true"}), check=False
    )
    assert done.returncode == 0
    sections, printed = [], []
    for line in done.stdout.decode().removesuffix("\n").split("\n"):
        found = list(GITLAB_SECTION.finditer(line))
        if found:
            assert line.startswith("\x1b[0Ksection_") and len(found) == 1
            kind, epoch, name, _ = found[0].groups()
            sections.append((kind, int(epoch), name, line[found[0].end() :]))
        else:
            printed.append(line)
    starts = [s for s in sections if s[0] == "start"]
    assert [(s[2], s[3]) for s in starts][:4] == [
        ("cfbl_initialize", "initialize"), ("cfbl_clone", "clone"),
        ("cfbl_configure", "configure"), ("cfbl_install", "install"),
    ]  # fmt: skip
    assert [s[0] for s in sections] == ["start", "end"] * 6
    first_install = messages.index(SUCCESS_LOG[install])
    assert starts[3][1] == T0 + first_install
    ends = [s for s in sections if s[0] == "end"]
    last_install = messages.index("Executing user build command: npm run build") - 1
    assert ends[3][1] == T0 + last_install  # the whole second of its last line
    assert printed == cli("get", BUILD, "--no-timestamps").stdout.removesuffix("\n").split("\n")


def test_ci_choice_beats_the_environment_and_a_bad_one_is_usage(
    cli: Cli, named: fake_api.State
) -> None:
    add(named, SUCCESS_LOG, "success")
    plain = cli("get", BUILD)
    assert cli("get", BUILD, "--ci", "none", env={"GITHUB_ACTIONS": "true"}).stdout == plain.stdout
    assert cli("get", BUILD, "--ci", "github").stdout.startswith("::group::initialize\n")
    bad = cli("get", BUILD, "--ci", "jenkins")
    assert bad.code == 2 and "--ci must be one of github, gitlab, none" in bad.stderr


def test_github_escaping_as_its_toolkit_escapes() -> None:
    assert escape_data("100%\r\nnext") == "100%25%0D%0Anext"
    assert escape_property("a: b, c%") == "a%3A b%2C c%25"
    assert escape_data("\x1b[31mred\x1b[0m") == "red"
    assert section_name("my-worker.v2", "deploy") == "cfbl_my_worker_v2_deploy"


def test_no_stderr_line_can_act_either() -> None:
    from .conftest import make_env

    captured = make_env()
    captured.env.error_line("note:\n  ::add-mask::x\n::error::y")
    runner = Runner(captured.err.getvalue())
    assert runner.commands == [] and runner.printed[0] == "note:"


def test_view_of_a_saved_several_workers_log_groups_each_workers_phases(
    cli: Cli, state: fake_api.State, tmp_path: Path
) -> None:
    for index, (name, log) in enumerate((("api", SUCCESS_LOG), ("web", FAILED_LOG))):
        tag = f"{index + 1:032x}"
        state.scripts.append({"id": name, "tag": tag})
        add(
            state,
            log + HOSTILE,
            "fail",
            uuid=f"00000000-0000-4000-b000-{index:012d}",
            worker_tag=tag,
        )
    saved = tmp_path / "both.ndjson"
    saved.write_text(cli("latest", "api", "web", "--ndjson", "--exit-status").stdout)
    # Interleaved as a followed read writes them: a few lines of one, then of the other.
    records = saved.read_text().splitlines()
    api = [r for r in records if '"worker": "api"' in r]
    web = [r for r in records if '"worker": "web"' in r]
    mixed = (
        [r for pair in zip(api, web, strict=False) for r in pair]
        + api[len(web) :]
        + web[len(api) :]
    )
    saved.write_text("\n".join(mixed) + "\n")
    done = cli("view", str(saved), "--no-timestamps", "--ci", "github")
    runner = Runner(done.stdout)
    assert {c.name for c in runner.commands} <= OURS
    depth = 0
    for command in runner.commands:  # never two groups open at once
        depth += {"group": 1, "endgroup": -1}.get(command.name, 0)
        assert depth in (0, 1)
    assert depth == 0
    assert runner.printed == cli("view", str(saved), "--no-timestamps").stdout.removesuffix(
        "\n"
    ).split("\n")
    assert {title for title, _ in runner.groups} >= {"api initialize", "web deploy"}


def test_a_live_build_followed_in_github_mode(
    cli: Cli, named: fake_api.State, tmp_path: Path
) -> None:
    """The recipe on a build still running: its phases' groups open and close as its lines
    arrive over several polls; every line once; the outputs once it stopped."""
    import time

    play = fake_api.Live(started=time.monotonic(), queued_s=0.2, lines_per_s=40)
    lines = [[T0 + i, m] for i, m in enumerate([*SUCCESS_LOG, *HOSTILE])]
    named.add(
        fake_api.FakeBuild(
            BUILD, lines, outcome="success", live=play, appears_at=time.monotonic() + 0.3
        )
    )
    args = ["latest", "my-worker", "--commit", "9f8e7d6", "--wait", "--follow", "--interval", "0.1"]
    done, pairs, summary = github(cli, tmp_path, *args, "--no-timestamps")
    assert done.code == 0, done.stderr
    runner = Runner(done.stdout)
    assert {c.name for c in runner.commands} <= OURS and not runner.named("error")
    assert runner.printed == cli(
        "get", BUILD, "--no-timestamps", "--ci", "none"
    ).stdout.removesuffix("\n").split("\n")
    assert [title for title, _ in runner.groups][-1] == "deploy"
    assert (
        pairs["deployed"] == "true"
        and pairs["version_id"] == "8c2f1a4e-55b7-4f1e-9d3a-0e6c7b2a9f11"
    )
    assert summary.startswith("### ✅ `my-worker`: build succeeded") and "| phase |" not in summary
    assert "deployed my-worker version 8c2f1a4e-55b7-4f1e-9d3a-0e6c7b2a9f11" in done.stderr


# -- the same paths in process (fast, and counted by coverage) --------------------------------


def in_process(
    server: fake_api.FakeServer, tmp_path: Path, args: list[str], **extra: str
) -> tuple[int, str, str, dict[str, str], str]:
    """`args` run in this process in a GitHub job: status, stdout, stderr, outputs, summary."""
    from cloudflare_buildlogs import cli

    from .conftest import api_environ, make_env

    outputs, summary = tmp_path / "output", tmp_path / "summary.md"
    outputs.write_text(""), summary.write_text("")
    files = {"GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary)}
    environ = api_environ(server, TZ="UTC", GITHUB_ACTIONS="true", **{**files, **extra})
    captured = make_env(environ)
    code = cli.run(args, captured.env)
    pairs = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    return code, captured.out.getvalue(), captured.err.getvalue(), pairs, summary.read_text()


def test_in_process_a_failed_build_in_github_mode(
    server: fake_api.FakeServer, named: fake_api.State, tmp_path: Path
) -> None:
    add(named, FAILED_LOG + HOSTILE, "fail")
    code, out, err, pairs, summary = in_process(
        server, tmp_path, ["latest", "my-worker", "--follow"]
    )
    assert code == 1
    runner = Runner(out)
    assert {c.name for c in runner.commands} <= OURS and len(runner.named("error")) == 2
    assert [t for t, _ in runner.groups] == [
        "initialize",
        "clone",
        "configure",
        "install",
        "build",
        "deploy",
    ]
    assert pairs["failed_phase"] == "deploy" and summary.startswith("### ❌ `my-worker`")
    assert "failed in phase deploy" in err


def test_in_process_several_workers_and_a_false_green(
    server: fake_api.FakeServer, state: fake_api.State, tmp_path: Path
) -> None:
    for index, (name, log) in enumerate(
        (("api", BEFORE_DEPLOY + NO_PROJECTS), ("web", SUCCESS_LOG))
    ):
        tag = f"{index + 1:032x}"
        state.scripts.append({"id": name, "tag": tag})
        add(state, log, "success", uuid=f"00000000-0000-4000-b000-{index:012d}", worker_tag=tag)
    args = ["latest", "api", "web", "--exit-status", "--require-deploy", "--no-timestamps"]
    code, out, err, pairs, summary = in_process(server, tmp_path, args)
    assert code == 7
    runner = Runner(out)
    assert [c.properties["title"] for c in runner.named("warning")] == ["api: deployed nothing"]
    assert json.loads(pairs["builds"])[0]["deployed"] == "false" and pairs["deployed"] == "false"
    assert "### ⚠️ `api`" in summary and "### ✅ `web`" in summary
    assert re.search(r"^api\s+build \w+ succeeded .* · deployed nothing$", err, re.M)


def test_in_process_summary_json_and_gitlab(
    server: fake_api.FakeServer, named: fake_api.State, tmp_path: Path
) -> None:
    add(named, FAILED_LOG, "fail")
    code, out, err, pairs, _ = in_process(
        server, tmp_path, ["summary", BUILD, "-o", "json", "--exit-status"]
    )
    assert code == 1 and json.loads(out)["failed_phase"] == "deploy"
    assert "::error title=build failed in deploy::" in err and pairs["outcome"] == "fail"
    code, out, _, _, _ = in_process(
        server, tmp_path, ["get", BUILD, "--ci", "gitlab", "--no-cache"]
    )
    assert out.startswith(
        "\x1b[0Ksection_start:1700000000:cfbl_initialize[collapsed=true]\r\x1b[0Kinitialize\n"
    )
    assert out.count("section_end:") == 6


def test_a_ci_file_that_cannot_be_written_is_a_warning(
    server: fake_api.FakeServer, named: fake_api.State, tmp_path: Path
) -> None:
    add(named, SUCCESS_LOG, "success")
    missing = str(tmp_path / "no" / "such" / "folder" / "output")
    code, out, err, _, _ = in_process(
        server, tmp_path, ["get", BUILD, "--exit-status"], GITHUB_OUTPUT=missing
    )
    assert code == 0 and "warning: cannot append to $GITHUB_OUTPUT" in err
    assert Runner(out).groups  # the log was printed all the same
