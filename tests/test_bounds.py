"""The bounds and the failures of untrusted input and of the tool's own files, in process
(README, "Security"): what the end-to-end runs of test_untrusted show from outside, here by
the pieces that do it."""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path

import pytest

from cloudflare_buildlogs.errors import ConfigError, UsageError
from cloudflare_buildlogs.models import Build, BuildStatus, Credentials, Unusable, parse_line
from cloudflare_buildlogs.settings import files, wrangler
from cloudflare_buildlogs.store.entries import Store, entry_name
from cloudflare_buildlogs.store.saved import read_saved

BUILD = "0f0e0d0c-0b0a-4908-8706-050403020100"
STOPPED = Build(BUILD, BuildStatus.STOPPED, "success", *[None] * 9)


def test_an_entry_that_cannot_be_written_is_dropped_with_a_note(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("")
    notes: list[str] = []
    store = Store(afile / "store", 1 << 20, notes.append)
    writer = store.writer("https://api", "a" * 32, BUILD)
    writer.add([(1, 1.0, False, "line")])
    writer.add([(2, 2.0, False, "again")])  # after a failure: nothing more is tried
    writer.commit(STOPPED)
    assert len(notes) == 1 and "not kept" in notes[0]
    assert store.read("https://api", "a" * 32, BUILD) is None


def test_a_store_folder_is_refused_when_shared_or_not_a_folder(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o700)
    shared.chmod(0o770)
    assert "others may write" in (Store(shared, 1).unusable() or "")
    assert stat.S_IMODE(shared.stat().st_mode) == 0o770  # never changed
    afile = tmp_path / "afile"
    afile.write_text("")
    assert "is not a folder" in (Store(afile, 1).unusable() or "")
    assert Store(tmp_path / "new", 1).unusable() is None


def test_a_build_uuid_that_is_no_uuid_names_no_entry(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a build UUID"):
        entry_name("https://api", "a" * 32, "../escape/planted")
    assert Store(tmp_path, 1 << 20).read("https://api", "a" * 32, "../x") is None


def test_the_config_is_written_only_in_a_private_folder(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.raises(ConfigError, match="others may write"):
        files.write_config(shared / "config.toml", {"profiles": {"p": {"api_token": "t"}}})
    assert not (shared / "config.toml").exists()
    with pytest.raises(ConfigError, match="cannot write in the config folder"):
        files.write_config(Path("/proc/nope/config.toml"), {})


def test_a_wrangler_file_must_be_a_small_regular_file(tmp_path: Path) -> None:
    big = tmp_path / "wrangler.toml"
    big.write_text('name = "x"\n' + "#" * (wrangler.MAX_BYTES + 1))
    assert "larger than" in (wrangler.read_config(big).problem or "")
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    assert "not a regular file" in (wrangler.read_config(fifo).problem or "")
    listed = tmp_path / "wrangler.json"
    listed.write_text("[1, 2]")
    assert "not a table" in (wrangler.read_config(listed).problem or "")
    assert wrangler.read_config(tmp_path / "missing.toml").problem is not None


def test_lines_nested_too_deeply_or_numbers_past_any_instant() -> None:
    deep: object = "x"
    for _ in range(70):
        deep = [deep]
    with pytest.raises(Unusable, match="deeper than 64"):
        parse_line([1, deep])
    assert parse_line([10**400, "far"])[1] is None
    assert parse_line([float("inf"), "inf"])[1] is None


@pytest.mark.parametrize(
    ("record", "words"),
    [
        ({"type": "end", "build_uuid": {"a": 1}}, "`build_uuid` is not a build UUID"),
        ({"type": "end", "build_uuid": BUILD, "outcome": "<img>"}, "`outcome` is not a word"),
        ({"type": "line", "epoch": 1, "message": json.loads("[" * 70 + "]" * 70)}, "deeper"),
    ],
)
def test_a_saved_file_is_checked_record_by_record(record: dict[str, object], words: str) -> None:
    text = json.dumps({"type": "line", "epoch": 1, "message": "a"}) + "\n" + json.dumps(record)
    _, pages = read_saved(io.StringIO(text + "\n"), "f")
    with pytest.raises(UsageError, match=words) as caught:
        list(pages)
    assert caught.value.message.startswith("f:2:")


def test_a_credential_is_a_value_that_never_shows_its_secret() -> None:
    assert Credentials("x", token="t" * 20).secrets == ("t" * 20,)
    assert "t" * 20 not in files.dumps_toml({"profiles": {"p": {"email": "e@x"}}})


def test_view_of_several_workers_and_short_ids_in_process(tmp_path: Path) -> None:
    """The same paths as test_first_week's end-to-end runs, counted by coverage."""
    from cloudflare_buildlogs import cli

    from .conftest import make_env

    web = "aaaaaaaa-0000-4000-8000-000000000001"
    records = [
        {"type": "line", "epoch": 1, "message": "a", "worker": "api", "build_uuid": BUILD},
        {"type": "end", "build_uuid": BUILD, "status": "stopped", "outcome": "success",
         "lines": 1, "worker": "api"},
        {"type": "line", "epoch": 2, "message": "Error: b", "worker": "web", "build_uuid": web},
    ]  # fmt: skip
    saved = tmp_path / "m.ndjson"
    saved.write_text("\n" + "".join(json.dumps(r) + "\n" for r in records))
    for args, expected in (
        ([], "api  a\nweb  Error: b\n"),
        (["--summary"], "api"),
        (["--summary", "-o", "json"], '"worker": "web"'),
        (["--tail", "1"], "web  Error: b\n"),
    ):
        io = make_env()
        assert cli.run(["view", str(saved), "--no-timestamps", *args], io.env) == 0
        assert expected in io.out.getvalue(), (args, io.out.getvalue())
    saved.write_text(
        json.dumps(records[0]) + "\n" + json.dumps({"type": "line", "epoch": 1}) + "\n"
    )
    io = make_env()
    assert cli.run(["view", str(saved)], io.env) == 2 and ":2:" in io.err.getvalue()
    saved.write_text(json.dumps(records[0]) + "\n{oops\n")
    io = make_env()
    assert cli.run(["view", str(saved)], io.env) == 2 and "not valid JSON" in io.err.getvalue()


def test_short_ids_in_process(tmp_path: Path, state: object, server: object) -> None:
    from cloudflare_buildlogs import cli, fake_api

    from .conftest import api_environ, make_env

    assert isinstance(state, fake_api.State) and isinstance(server, fake_api.FakeServer)
    state.scripts.append({"id": "my-worker", "tag": fake_api.DEMO_WORKER_TAG})
    state.add(fake_api.FakeBuild(BUILD, [[1, "one"]]))
    state.add(fake_api.FakeBuild(BUILD[:8] + "-1111-4111-8111-111111111111", [[1, "two"]]))
    environ = api_environ(server)
    io = make_env(environ)
    assert cli.run(["get", BUILD[:8], "--worker", "my-worker"], io.env) == 2
    assert "2 builds start with" in io.err.getvalue()
    io = make_env(environ)
    assert cli.run(["get", BUILD[:9] + "0b0a", "--worker", "my-worker"], io.env) == 0
    assert io.out.getvalue().endswith("one\n")
    io = make_env(environ)
    assert cli.run(["summary", "ffffffff"], io.env) == 2
    assert "no build starts with ffffffff among the kept builds" in io.err.getvalue()
