"""`cf-buildlogs get` end to end: the installed command, over real HTTP, against the fake API."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from cloudflare_buildlogs import fake_api

from .conftest import ACCOUNT, BIN, BUILD, SENTINEL, Cli

EPOCH = 1636472400
LINES = [
    [EPOCH, "Initializing build environment..."],
    [EPOCH + 42, "[webpack] built in [/tmp] 3s"],
    [EPOCH + 3723, "\x1b[32mSuccess:\x1b[0m deployed"],
]
HOSTILE = [
    [
        EPOCH,
        "title\x1b]0;pwned\x07 clip\x1b]52;c;ZXZpbA==\x07 clear\x1b[2J\x1b[H bell\x07 cr\r"
        " \x1b[31mred\x1b[0m osc8\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ end",
    ]
]


@pytest.fixture(autouse=True)
def builds(state: fake_api.State) -> None:
    state.page_size = 2
    state.add(fake_api.FakeBuild(BUILD, LINES))
    state.add(fake_api.FakeBuild("aaaaaaaa-0000-4000-8000-000000000001", HOSTILE))
    state.add(
        fake_api.FakeBuild(
            "bbbbbbbb-0000-4000-8000-000000000002",
            [[EPOCH * 1000 + 123, "ms line"], ["x", 5], [EPOCH, None]],
        )
    )


def test_text_in_local_time_honours_tz(cli: Cli) -> None:
    result = cli("get", BUILD)
    assert result.code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "2021-11-09 15:40:00  Initializing build environment...",
        "2021-11-09 15:40:42  [webpack] built in [/tmp] 3s",
        "2021-11-09 16:42:03  Success: deployed",
    ]
    assert result.stderr == ""
    kolkata = cli("get", BUILD.upper(), env={"TZ": "Asia/Kolkata"})
    assert (
        kolkata.stdout.splitlines()[0] == "2021-11-09 21:10:00  Initializing build environment..."
    )


@pytest.mark.parametrize(
    ("args", "first", "last"),
    [
        (
            ["--timestamps", "utc"],
            "2021-11-09T15:40:00Z  Initializing build environment...",
            "2021-11-09T16:42:03Z  Success: deployed",
        ),
        (
            ["--timestamps", "elapsed"],
            "+00:00  Initializing build environment...",
            "+1:02:03  Success: deployed",
        ),
        (
            ["--timestamps", "epoch"],
            "1636472400  Initializing build environment...",
            "1636476123  Success: deployed",
        ),
        (["--no-timestamps"], "Initializing build environment...", "Success: deployed"),
        (["--timestamps", "none", "--tail", "1"], "Success: deployed", "Success: deployed"),
    ],
)
def test_timestamp_modes(cli: Cli, args: list[str], first: str, last: str) -> None:
    result = cli("get", BUILD, *args)
    lines = result.stdout.splitlines()
    assert (result.code, lines[0], lines[-1]) == (0, first, last)


def test_milliseconds_and_odd_shapes(cli: Cli) -> None:
    result = cli("get", "bbbbbbbb-0000-4000-8000-000000000002", "--timestamps", "utc")
    assert result.stdout.splitlines() == [
        "2021-11-09T15:40:00.123Z  ms line",
        "?  5",
        "2021-11-09T15:40:00Z  ",
    ]


def test_json_is_one_document(cli: Cli) -> None:
    result = cli("get", BUILD, "--json")
    doc = json.loads(result.stdout)
    assert doc["build_uuid"] == BUILD
    assert doc["lines"][0] == {
        "timestamp": "2021-11-09T15:40:00Z",
        "epoch": EPOCH,
        "message": "Initializing build environment...",
        "line": 1,
        "phase": "initialize",
    }
    assert doc["lines"][2]["message"] == "\x1b[32mSuccess:\x1b[0m deployed"  # exactly as sent
    assert json.loads(cli("get", BUILD, "-o", "json").stdout) == doc


def at(line: int) -> dict[str, object]:
    return {"line": line, "phase": "initialize"}


def test_ndjson_is_one_object_a_line(cli: Cli) -> None:
    result = cli("get", "bbbbbbbb-0000-4000-8000-000000000002", "--ndjson")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records == [
        {
            "type": "line",
            "timestamp": "2021-11-09T15:40:00.123Z",
            "epoch": EPOCH * 1000 + 123,
            "message": "ms line",
            "line": 1,
            "phase": "initialize",
        },
        {"type": "line", "timestamp": None, "epoch": None, "message": "5", **at(2)},
        {
            "type": "line",
            "timestamp": "2021-11-09T15:40:00Z",
            "epoch": EPOCH,
            "message": "",
            **at(3),
        },
    ]


@pytest.mark.parametrize(
    ("args", "env", "colour"),
    [
        ([], {}, False),
        (["--color", "always"], {}, True),
        ([], {"FORCE_COLOR": "1"}, True),
        (["--color", "always"], {"NO_COLOR": "1"}, True),
        ([], {"NO_COLOR": "1", "FORCE_COLOR": ""}, False),
        (["--color", "never"], {"FORCE_COLOR": "1"}, False),
    ],
)
def test_colour_switches(cli: Cli, args: list[str], env: dict[str, str], colour: bool) -> None:
    result = cli("get", BUILD, "--timestamps", "utc", *args, env=env)
    last = result.stdout.splitlines()[-1]
    if colour:
        assert last == "\x1b[2m2021-11-09T16:42:03Z\x1b[0m  \x1b[32mSuccess:\x1b[0m deployed\x1b[0m"
    else:
        assert last == "2021-11-09T16:42:03Z  Success: deployed"
        assert "\x1b" not in result.stdout


@pytest.mark.parametrize("color", ["always", "never"])
def test_only_colour_sequences_ever_reach_the_terminal(cli: Cli, color: str) -> None:
    result = cli("get", "aaaaaaaa-0000-4000-8000-000000000001", "--no-timestamps", "--color", color)
    out = result.stdout
    # A carriage return redraws the line: what follows the last one is what a terminal shows.
    expected = " \x1b[31mred\x1b[0m osc8link end"
    assert (
        out.replace("\x1b[31m", "").replace("\x1b[0m", "")
        == expected.replace("\x1b[31m", "").replace("\x1b[0m", "") + "\n"
    )
    assert "\x07" not in out and "\x1b]" not in out and "\x1b[2J" not in out and "\r" not in out
    assert ("\x1b[31m" in out) == (color == "always")


def test_a_big_log_arrives_whole_and_in_order(cli: Cli, state: fake_api.State) -> None:
    state.page_size = 1000
    big = state.add(
        fake_api.FakeBuild("cccccccc-0000-4000-8000-000000000003", fake_api.GeneratedLines(50_000))
    )
    result = cli("get", big.uuid, "--ndjson")
    messages = [json.loads(line)["message"] for line in result.stdout.splitlines()]
    assert messages == [f"step {i}: compiled module {i % 97} [ok]" for i in range(50_000)]
    text = cli("get", big.uuid, "--no-timestamps")  # from the local store: no request
    assert text.stdout.count("\n") == 50_000
    assert sum(1 for _, path, _ in state.requests if path.endswith("/logs")) == 50
    again = cli("get", big.uuid, "--no-timestamps", "--no-cache")
    assert again.stdout == text.stdout
    assert sum(1 for _, path, _ in state.requests if path.endswith("/logs")) == 100


def test_closing_the_pipe_early_stops_quietly(cli: Cli, state: fake_api.State) -> None:
    state.page_size = 1000
    big = state.add(
        fake_api.FakeBuild("cccccccc-0000-4000-8000-000000000003", fake_api.GeneratedLines(50_000))
    )
    proc = subprocess.Popen(
        [str(BIN), "get", big.uuid],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli.env(),
        stdin=subprocess.DEVNULL,
    )
    with proc:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()
        proc.stdout.close()  # what `| head -1` does
        code = proc.wait(timeout=30)
        errors = proc.stderr.read()
    assert first.startswith(b"2023-11-14 22:13:20  step 0")
    assert (code, errors) == (0, b"")


def test_shell_pipe_into_head(cli: Cli, state: fake_api.State) -> None:
    state.page_size = 1000
    state.add(
        fake_api.FakeBuild("cccccccc-0000-4000-8000-000000000003", fake_api.GeneratedLines(50_000))
    )
    uuid = "cccccccc-0000-4000-8000-000000000003"
    script = f"set -o pipefail; '{BIN}' get {uuid} --no-timestamps | head -n 2"
    proc = cli.shell(script, timeout=30)
    assert (proc.code, proc.stdout, proc.stderr) == (
        0,
        "step 0: compiled module 0 [ok]\nstep 1: compiled module 1 [ok]\n",
        "",
    )


def test_the_account_is_found_when_the_token_has_one(cli: Cli) -> None:
    result = cli("get", BUILD, env={"CLOUDFLARE_ACCOUNT_ID": ""})
    assert result.code == 0 and len(result.stdout.splitlines()) == 3


@pytest.mark.parametrize(
    ("args", "env", "code", "words"),
    [
        (["get", "not-a-uuid"], {}, 2, "not a build UUID"),
        (["get", BUILD, "--output", "yaml"], {}, 2, "--output must be one of text, json, ndjson"),
        (["get", BUILD, "--json", "--ndjson"], {}, 2, "cannot be used together"),
        (["get", BUILD, "--timestamps", "weekly"], {}, 2, "--timestamps must be one of"),
        (["get", BUILD, "--tail", "-3"], {}, 2, "--tail must be 0 or more"),
        (["get", BUILD, "--tail", "many"], {}, 2, "'many' is not a valid int"),
        (["get", BUILD, "--no-such-flag"], {}, 2, "No such option"),
        (["get"], {}, 2, "Missing argument 'BUILD'"),
        (["get", BUILD, "--api-url", "http://api.example.com/client/v4"], {}, 2, "loopback"),
        (["get", BUILD], {"CLOUDFLARE_API_TOKEN": ""}, 3, "no credentials"),
        (["get", BUILD], {"CLOUDFLARE_API_TOKEN": "wrong-token"}, 3, "Workers CI Read"),
        (["get", "dddddddd-0000-4000-8000-000000000004"], {}, 4, "not found"),
        (["get", BUILD, "--account-id", "ffffffffffffffffffffffffffffffff"], {}, 4, "account id"),
    ],
)
def test_exit_codes_and_one_line_messages(
    cli: Cli, args: list[str], env: dict[str, str], code: int, words: str
) -> None:
    result = cli(*args, env=env)
    assert result.code == code, result.stderr
    assert result.stdout == ""
    assert words in result.stderr
    assert 1 <= len(result.stderr.splitlines()) <= 2  # the message, and maybe a hint


def test_tokens_that_cannot_read_builds_get_the_hint_that_fixes_them(
    cli: Cli, state: fake_api.State
) -> None:
    state.tokens["account-owned"] = fake_api.Token(account_owned=True)
    state.tokens["no-permission"] = fake_api.Token(can_read_builds=False)
    owned = cli("get", BUILD, env={"CLOUDFLARE_API_TOKEN": "account-owned"})
    assert owned.code == 3 and "user API token" in owned.stderr
    bare = cli("get", BUILD, env={"CLOUDFLARE_API_TOKEN": "no-permission"})
    assert bare.code == 3 and "Workers CI Read" in bare.stderr


def test_several_accounts_are_a_usage_error_that_lists_them(
    cli: Cli, state: fake_api.State
) -> None:
    state.accounts.append({"id": "22222222222222222222222222222222", "name": "Other"})
    result = cli("get", BUILD, env={"CLOUDFLARE_ACCOUNT_ID": ""})
    assert result.code == 2
    assert ACCOUNT in result.stderr and "22222222222222222222222222222222 (Other)" in result.stderr


def test_a_broken_config_file_is_exit_2_naming_file_and_line(cli: Cli) -> None:
    cli.config_dir.mkdir(parents=True)
    (cli.config_dir / "config.toml").write_text(
        '[profiles.default]\napi_token = "x"\naccount_id = \n'
    )
    result = cli("get", BUILD)
    assert result.code == 2
    assert str(cli.config_dir / "config.toml") in result.stderr and "line 3" in result.stderr


def test_credentials_from_a_profile(cli: Cli) -> None:
    cli.config_dir.mkdir(parents=True)
    path = cli.config_dir / "config.toml"
    path.write_text(f'[profiles.ci]\napi_token = "{SENTINEL}"\naccount_id = "{ACCOUNT}"\n')
    path.chmod(0o600)
    result = cli(
        "get",
        BUILD,
        "--profile",
        "ci",
        env={"CLOUDFLARE_API_TOKEN": "", "CLOUDFLARE_ACCOUNT_ID": ""},
    )
    assert result.code == 0 and result.stderr == ""
    path.chmod(0o644)
    loose = cli("get", BUILD, "--profile", "ci", env={"CLOUDFLARE_API_TOKEN": ""})
    assert loose.code == 0 and "chmod 600" in loose.stderr


@pytest.mark.parametrize(
    "fault",
    [
        fake_api.Fault("429", times=2, retry_after="0"),
        fake_api.Fault("429", retry_after="1"),
        fake_api.Fault("500"),
        fake_api.Fault("502", skip=1),
        fake_api.Fault("503"),
        fake_api.Fault("html502"),
        fake_api.Fault("drop", skip=1),
        fake_api.Fault("slow", delay=0.5),
    ],
    ids=lambda f: f"{f.kind}-x{f.times}-skip{f.skip}",
)
def test_transient_faults_are_retried_without_losing_or_repeating_a_line(
    cli: Cli, state: fake_api.State, fault: fake_api.Fault
) -> None:
    state.faults.append(fault)
    result = cli("get", BUILD, "--ndjson", "--verbose")
    assert result.code == 0, result.stderr
    messages = [json.loads(line)["message"] for line in result.stdout.splitlines()]
    assert messages == [message for _, message in LINES]
    assert fault.times == 0  # it did happen
    if fault.kind != "slow":
        assert "retry 1/4" in result.stderr


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        (fake_api.Fault("malformed"), "not a JSON object"),
        (fake_api.Fault("unsuccessful"), "Internal processing error"),
        (fake_api.Fault("repeat-cursor", skip=1), "same log cursor twice"),
        (fake_api.Fault("endless", times=60), "empty log pages"),
        (fake_api.Fault("429", retry_after="300"), "retry after"),
        (fake_api.Fault("503", times=5), "gave up after 5 attempts"),
    ],
    ids=lambda f: getattr(f, "kind", None),
)
def test_unusable_answers_are_exit_5_and_keep_what_was_printed(
    cli: Cli, state: fake_api.State, fault: fake_api.Fault, words: str
) -> None:
    state.faults.append(fault)
    result = cli("get", BUILD, "--json", env={"CLOUDFLARE_ACCOUNT_ID": ACCOUNT})
    assert result.code == 5, result.stderr
    assert words in result.stderr
    doc = json.loads(result.stdout)  # the document is closed even after an error
    assert [line["message"] for line in doc["lines"]] == [m for _, m in LINES][: len(doc["lines"])]


def test_verbose_logs_requests_without_the_secret(cli: Cli) -> None:
    result = cli("get", BUILD, "-v")
    assert result.code == 0
    assert "GET http://127.0.0.1" in result.stderr and "-> 200" in result.stderr
    assert "requests" in result.stderr.splitlines()[-1]
    # The Cli runner also fails if SENTINEL appears anywhere.


def test_ctrl_c_exits_130_with_what_was_printed(cli: Cli, state: fake_api.State) -> None:
    state.faults.append(fake_api.Fault("slow", skip=1, delay=20))
    proc = subprocess.Popen(
        [str(BIN), "get", BUILD, "--no-timestamps"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli.env(),
        text=True,
        stdin=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while state.faults[0].skip and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # the second page's request is now in flight
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130
    assert out.splitlines() == [LINES[0][1], LINES[1][1]]  # the first page, flushed
    assert "interrupted" in err and "Traceback" not in err


def test_python_dash_m_and_version(cli: Cli) -> None:
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "cloudflare_buildlogs", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (proc.returncode, proc.stdout.strip()) == (
        0,
        f"cf-buildlogs {__import__('cloudflare_buildlogs').__version__}",
    )
    assert cli("--version").stdout == proc.stdout


def test_demo_needs_no_credentials(cli: Cli, tmp_path: Path) -> None:
    result = cli(
        "demo",
        env={
            "CLOUDFLARE_API_TOKEN": "",
            "CLOUDFLARE_API_BASE_URL": "",
            "CLOUDFLARE_ACCOUNT_ID": "",
        },
    )
    assert result.code == 0, result.stderr
    assert "npx wrangler deploy" in result.stdout and "Success: Build completed" in result.stdout
    assert len(result.stdout.splitlines()) == 30
    assert "CLOUDFLARE_API_TOKEN" in result.stderr
