"""The command line in-process: parsing, the error edge, and commands against the fake API."""

from __future__ import annotations

import json

import pytest

from cloudflare_buildlogs import cli, fake_api
from cloudflare_buildlogs.errors import ApiError, ExitCode

from .conftest import ACCOUNT, BUILD, COMMANDS, SENTINEL, Captured, make_env

LINES = [[1636472400, "one"], [1636472401, "two [red]not markup[/red]"]]


@pytest.fixture
def api(state: fake_api.State, server: fake_api.FakeServer) -> dict[str, str]:
    state.page_size = 1
    state.add(fake_api.FakeBuild(BUILD, LINES))
    return {
        "CLOUDFLARE_API_TOKEN": SENTINEL,
        "CLOUDFLARE_ACCOUNT_ID": ACCOUNT,
        "CLOUDFLARE_API_BASE_URL": server.url,
        "CF_BUILDLOGS_CONFIG_DIR": str(server.scratch_dir),
    }


def run(args: list[str], environ: dict[str, str], tty: bool = False) -> tuple[int, Captured]:
    captured = make_env(environ, tty=tty)
    code = cli.run(args, captured.env)
    assert SENTINEL not in captured.out.getvalue() + captured.err.getvalue()
    return code, captured


def test_get_prints_the_log(api: dict[str, str]) -> None:
    code, io = run(["get", BUILD, "--timestamps", "utc"], api)
    assert code == 0
    assert io.out.getvalue() == (
        "2021-11-09T15:40:00Z  one\n2021-11-09T15:40:01Z  two [red]not markup[/red]\n"
    )


def test_colour_on_a_terminal_by_default(api: dict[str, str]) -> None:
    _, io = run(["get", BUILD, "--timestamps", "epoch"], api, tty=True)
    rule, first = io.out.getvalue().splitlines()[:2]  # the terminal view: a rule per phase
    assert rule.startswith(" initialize  \x1b[36m───") and first == "\x1b[2m1636472400\x1b[0m  one"
    _, io = run(["get", BUILD, "--timestamps", "epoch"], {**api, "NO_COLOR": "1"}, tty=True)
    assert io.out.getvalue().splitlines()[1] == "1636472400  one"
    assert "\x1b" not in io.out.getvalue()
    _, io = run(["get", BUILD], {**api, "TERM": "dumb"}, tty=True)
    assert "\x1b" not in io.out.getvalue()


def test_json_shorthands_agree_with_output(api: dict[str, str]) -> None:
    _, short = run(["get", BUILD, "--ndjson"], api)
    _, long = run(["get", BUILD, "-o", "ndjson"], api)
    assert short.out.getvalue() == long.out.getvalue()
    assert [json.loads(x)["message"] for x in short.out.getvalue().splitlines()] == [
        "one",
        LINES[1][1],
    ]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["get", "1234"], "not a build UUID"),
        (["get", BUILD, "--json", "-o", "text", "--ndjson"], "cannot be used together"),
        (["get", BUILD, "--json", "-o", "ndjson"], "--output cannot be combined"),
        (["get", BUILD, "--no-timestamps", "--timestamps", "utc"], "cannot be combined"),
        (["get", BUILD, "--color", "sometimes"], "--color must be one of auto, always, never"),
        (["nope"], "No such command"),
    ],
)
def test_usage_errors_are_exit_2_before_any_request(
    api: dict[str, str], state: fake_api.State, args: list[str], words: str
) -> None:
    code, io = run(args, api)
    assert code == ExitCode.USAGE
    assert words in io.err.getvalue()
    assert state.requests == []


def test_no_arguments_shows_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, io = run([], {})
    assert code == 0 and "Usage: cf-buildlogs" in io.out.getvalue()


def test_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run(["--help"], {})
    out = capsys.readouterr().out
    assert code == 0 and "get" in out and "demo" in out
    code, _ = run(["get", "-h"], {})
    assert code == 0 and "--timestamps" in capsys.readouterr().out


def test_an_unexpected_error_is_one_line_and_no_traceback(
    api: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_: object) -> int:
        raise RuntimeError("kaboom")

    monkeypatch.setattr("cloudflare_buildlogs.commands.get.run_get", boom)
    code, io = run(["get", BUILD], api)
    assert code == ExitCode.API
    assert io.err.getvalue().splitlines()[0] == "cf-buildlogs: internal error: RuntimeError: kaboom"
    assert "Traceback" not in io.err.getvalue()


def test_a_secret_in_an_error_message_is_masked(
    api: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def leaky(*_: object) -> int:
        raise ApiError(f"the server echoed {SENTINEL}")

    monkeypatch.setattr("cloudflare_buildlogs.commands.get.run_get", leaky)
    captured = make_env(api)
    captured.env.secrets.add(SENTINEL)
    assert cli.run(["get", BUILD], captured.env) == ExitCode.API
    assert "echoed ****" in captured.err.getvalue()


def test_demo_in_process() -> None:
    code, io = run(["demo"], {"CLOUDFLARE_API_TOKEN": "someone-elses", "TERM": "xterm"}, tty=True)
    assert code == 0
    assert "\x1b[32m\x1b[1m✓ Success: Finished cloning repository files\x1b[0m" in io.out.getvalue()
    assert "fake Cloudflare API" in io.err.getvalue()


def walk_commands() -> list[tuple[str, object]]:
    import typer

    root = typer.main.get_command(cli.app)
    found: list[tuple[str, object]] = []

    def visit(path: str, command: object) -> None:
        subcommands = getattr(command, "commands", {})
        if subcommands:
            for name, sub in subcommands.items():
                visit(f"{path} {name}", sub)
        else:
            found.append((path, command))

    visit("cf-buildlogs", root)
    return found


def test_every_command_has_a_summary_option_help_and_examples() -> None:
    commands = walk_commands()
    names = {path for path, _ in commands}
    assert names == {f"cf-buildlogs {c}" for c in COMMANDS}
    for path, command in commands:
        assert getattr(command, "help", None), f"{path} has no help"
        epilog = getattr(command, "epilog", "") or ""
        assert "Examples:" in epilog and "cf-buildlogs" in epilog, f"{path} has no examples"
        for param in getattr(command, "params", []):
            if getattr(param, "param_type_name", "") == "option" and not param.hidden:
                assert param.help, f"{path} {param.opts} has no help text"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("10m", 600),
        ("1h", 3600),
        ("1h30m", 5400),
        ("2.5", 2.5),
        ("500ms", 0.5),
        (" 5M ", 300),
    ],
)
def test_durations(text: str, seconds: float) -> None:
    assert cli.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "10x", "1h 30m", "-5s", "0", "nan", "m"])
def test_bad_durations_are_usage_errors(text: str) -> None:
    from cloudflare_buildlogs.errors import UsageError

    with pytest.raises(UsageError):
        cli.parse_duration(text)


@pytest.mark.parametrize("interval", ["0", "-1", "nan", "inf", "4000"])
def test_bad_intervals_are_usage_errors(api: dict[str, str], interval: str) -> None:
    code, io = run(["get", BUILD, "--follow", "--interval", interval], api)
    assert code == ExitCode.USAGE and "--interval" in io.err.getvalue()


def test_ctrl_c_during_start_up_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Start-up imports (~100 ms) run before the error edge exists: Ctrl-C there still gets the
    documented line and status, and the collector is left on."""
    import gc
    import types

    from cloudflare_buildlogs import __main__ as entry

    def interrupted(name: str) -> object:
        raise KeyboardInterrupt

    fake = types.ModuleType("cloudflare_buildlogs.cli")
    fake.__getattr__ = interrupted  # type: ignore[method-assign]
    monkeypatch.setitem(__import__("sys").modules, "cloudflare_buildlogs.cli", fake)
    monkeypatch.setattr("sys.argv", ["cf-buildlogs", "get", BUILD])
    try:
        with pytest.raises(SystemExit) as stop:
            entry.main()
    finally:
        gc.unfreeze()
    assert stop.value.code == ExitCode.INTERRUPTED
    assert capsys.readouterr().err == "cf-buildlogs: interrupted\n"
    assert gc.isenabled()
