"""The local store of finished builds (README, "Offline and repeated reads") and `view` (README, "view"): against
the fake API over real HTTP, in-process for the many cases and as the installed command for
pipes and processes."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import threading
from pathlib import Path

import httpx
import pytest

from cloudflare_buildlogs import cli, fake_api
from cloudflare_buildlogs.errors import CliError
from cloudflare_buildlogs.models import Build, BuildStatus, PageLines, parse_lines
from cloudflare_buildlogs.store import entries as entry_files
from cloudflare_buildlogs.store.entries import MAGIC, Store, entry_name

from .builds import FAILED_LOG
from .conftest import ACCOUNT, BIN, BUILD, SENTINEL, Captured, Cli, api_environ, make_env
from .test_follow import FakeClock

T0 = 1_700_000_000
OTHER = "0f0e0d0c-0b0a-4908-8706-0504030201ff"


def log(messages: list[str]) -> list[list[object]]:
    return [[T0 + i, m] for i, m in enumerate(messages)]


@pytest.fixture
def cache(isolated: Path) -> Path:
    return Path(os.environ["CF_BUILDLOGS_CACHE_DIR"])


@pytest.fixture
def api(state: fake_api.State, server: fake_api.FakeServer) -> dict[str, str]:
    state.page_size = 7
    state.add(fake_api.FakeBuild(BUILD, log(FAILED_LOG), outcome="fail"))
    return api_environ(server)


def run(args: list[str], environ: dict[str, str], **kw: object) -> tuple[int, Captured]:
    captured = make_env(environ)
    for name, value in kw.items():
        setattr(captured.env, name, value)
    code = cli.run(args, captured.env)
    return code, captured


def log_requests(state: fake_api.State) -> int:
    return sum(1 for _, path, _ in state.requests if "/builds/builds/" in path)


def entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.cfbl")) if cache.exists() else []


# -- hits and misses ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["get", BUILD],
        ["get", BUILD, "--json"],
        ["get", BUILD, "--ndjson", "--exit-status"],
        ["get", BUILD, "--errors", "-C", "1", "--timestamps", "elapsed"],
        ["get", BUILD, "--phase", "deploy", "--tail", "3"],
        ["get", BUILD, "--follow"],
        ["summary", BUILD, "-o", "json"],
    ],
)
def test_a_kept_build_prints_the_same_bytes_with_no_request(
    args: list[str], state: fake_api.State, api: dict[str, str], cache: Path
) -> None:
    first_code, first = run(args, api)
    before = len(state.requests)
    assert len(entries(cache)) == 1
    code, again = run(args, api)
    assert (code, again.out.getvalue(), again.err.getvalue()) == (
        first_code,
        first.out.getvalue(),
        first.err.getvalue(),
    )
    assert len(state.requests) == before, "a kept build costs no request"


def test_without_an_account_id_the_one_found_is_remembered_so_a_hit_is_free(
    state: fake_api.State, api: dict[str, str], cache: Path
) -> None:
    environ = {k: v for k, v in api.items() if k != "CLOUDFLARE_ACCOUNT_ID"}
    run(["get", BUILD], environ)
    assert any(path.endswith("/accounts") for _, path, _ in state.requests)
    accounts = Path(api["CF_BUILDLOGS_CONFIG_DIR"]) / "accounts.json"
    assert stat.S_IMODE(accounts.stat().st_mode) == 0o600
    assert SENTINEL not in accounts.read_text() and ACCOUNT in accounts.read_text()
    state.requests.clear()
    code, io = run(["get", BUILD, "-v"], environ)
    assert (code, state.requests) == (0, [])
    assert "(no request)" in io.err.getvalue() and io.err.getvalue().endswith("0 requests\n")
    _, shown = run(["config", "show", "--json"], environ)
    assert (
        "remembered for this credential" in json.loads(shown.out.getvalue())["account_id"]["source"]
    )


def test_a_running_build_is_not_kept(
    state: fake_api.State, api: dict[str, str], cache: Path
) -> None:
    clock = FakeClock()
    state.clock = clock.monotonic
    state.add(fake_api.FakeBuild(OTHER, log(FAILED_LOG), live=fake_api.Live(started=clock.now)))
    clock.now += 2
    code, io = run(["get", OTHER], api)
    assert code == 0 and io.out.getvalue() and entries(cache) == []
    clock.now += 100  # now it has stopped: the next read keeps it
    run(["get", OTHER], api)
    assert [p.name for p in entries(cache)] == [
        entry_name(api["CLOUDFLARE_API_BASE_URL"], ACCOUNT, OTHER)
    ]


def test_a_followed_build_is_kept_once_it_stops(
    state: fake_api.State, api: dict[str, str], cache: Path
) -> None:
    clock = FakeClock()
    state.clock = clock.monotonic
    live = fake_api.Live(started=clock.now, lines_per_s=3, caught_up="none")
    state.add(fake_api.FakeBuild(OTHER, log(FAILED_LOG), outcome="fail", live=live))
    code, followed = run(
        ["get", OTHER, "--follow", "--no-timestamps"],
        api,
        monotonic=clock.monotonic,
        sleep=clock.sleep,
    )
    assert code == 1 and len(entries(cache)) == 1
    _, kept = run(["get", OTHER, "--no-timestamps"], api)
    assert kept.out.getvalue() == followed.out.getvalue()
    assert kept.out.getvalue().count("\n") == len(FAILED_LOG)


def test_a_read_that_fails_halfway_is_not_kept(
    state: fake_api.State, api: dict[str, str], cache: Path
) -> None:
    state.faults.append(fake_api.Fault("500", times=10, skip=2))  # the third page never comes
    code, io = run(["get", BUILD], api)
    assert code == 5 and io.out.getvalue().count("\n") == 14
    assert entries(cache) == [] and not list(cache.glob(".tmp-*"))


def test_a_reader_that_goes_away_leaves_nothing_kept(cli: Cli, state: fake_api.State) -> None:
    state.page_size = 1000
    big = state.add(fake_api.FakeBuild(OTHER, fake_api.GeneratedLines(50_000)))
    script = f"set -o pipefail; '{BIN}' get {big.uuid} | head -n 1"
    proc = cli.shell(script)
    assert (proc.code, proc.stderr) == (0, "")
    folder = Path(cli.env()["CF_BUILDLOGS_CACHE_DIR"])
    assert entries(folder) == [] and not list(folder.glob(".tmp-*"))


def test_ctrl_c_while_reading_keeps_nothing(
    state: fake_api.State, api: dict[str, str], cache: Path
) -> None:
    class Interrupting:
        def __init__(self) -> None:
            self.writes = 0

        def write(self, text: str) -> int:
            self.writes += 1
            if self.writes == 2:
                raise KeyboardInterrupt
            return len(text)

        def flush(self) -> None:
            pass

    code, _ = run(["get", BUILD], api, stdout=Interrupting())
    assert code == 130 and entries(cache) == [] and not list(cache.glob(".tmp-*"))


# -- damaged entries ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: b"",  # empty
        lambda data: data[: len(data) // 2],  # truncated
        lambda data: data[:-30] + b"x" * 30,  # its frame broken
        lambda data: data[:20] + bytes([data[20] ^ 0xFF]) + data[21:],  # a flipped byte
        lambda data: b"not an entry at all\n" * 10,
    ],
    ids=["empty", "truncated", "frame", "flipped-byte", "foreign-file"],
)
def test_a_damaged_entry_is_deleted_and_fetched_again(
    damage: object, state: fake_api.State, api: dict[str, str], cache: Path
) -> None:
    _, first = run(["get", BUILD], api)
    (path,) = entries(cache)
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    before = log_requests(state)
    code, io = run(["get", BUILD, "-v"], api)
    assert code == 0 and io.out.getvalue() == first.out.getvalue()
    assert log_requests(state) > before
    assert "is unusable" in io.err.getvalue() and "deleted" in io.err.getvalue()
    assert len(entries(cache)) == 1  # and kept again, whole


def test_an_entry_of_another_format_version_is_passed_over_not_deleted(
    state: fake_api.State, api: dict[str, str], cache: Path
) -> None:
    run(["get", BUILD], api)
    (path,) = entries(cache)
    data = path.read_bytes()
    meta_len = int(data[-11:-1])
    meta = json.loads(data[-11 - meta_len : -11])
    meta["format"] = 99
    new_meta = json.dumps(meta).encode() + b"\n"
    path.write_bytes(data[: -11 - meta_len] + new_meta + f"{len(new_meta):010d}\n".encode())
    before = log_requests(state)
    code, _ = run(["get", BUILD, "--no-cache"], api)
    run(["get", BUILD], api)
    assert code == 0 and log_requests(state) > before + 1  # read from the API, not the entry


# -- the files ---------------------------------------------------------------------------------


def test_permissions_format_and_accounts_kept_apart(
    state: fake_api.State, api: dict[str, str], cache: Path
) -> None:
    run(["get", BUILD], api)
    (path,) = entries(cache)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(MAGIC) and SENTINEL.encode() not in path.read_bytes()
    second = "fedcba9876543210fedcba9876543210"
    state.accounts.append({"id": second, "name": "Other"})
    state.requests.clear()
    run(["get", BUILD], {**api, "CLOUDFLARE_ACCOUNT_ID": second})
    assert log_requests(state) > 0, "another account's build is not this one"
    assert len(entries(cache)) == 2


def test_the_size_bound_evicts_the_least_recently_read_first(tmp_path: Path) -> None:
    store = Store(tmp_path / "store", max_bytes=1_000_000)
    lines = parse_lines([[T0 + i, f"line {i} " + "x" * (i % 50)] for i in range(300)])

    def keep(uuid: str) -> None:
        writer = store.writer("https://api", ACCOUNT, uuid)
        writer.add(lines)
        writer.commit(stopped(uuid))

    uuids = [f"00000000-0000-4000-8000-00000000000{i}" for i in range(6)]
    for index, uuid in enumerate(uuids[:3]):
        keep(uuid)
        path = store.directory / entry_name("https://api", ACCOUNT, uuid)
        os.utime(path, (1000 + index, 1000 + index))
    assert store.read("https://api", ACCOUNT, uuids[0]) is not None  # read now: most recent
    size = sum(p.stat().st_size for p in store.files())
    store.max_bytes = size + 100
    keep(uuids[3])  # over the bound: the least recently read (uuids[1]) goes
    kept = {p.name.split("-")[4][:12] for p in store.files()}
    assert {u[-12:] for u in (uuids[0], uuids[2], uuids[3])} == kept
    store.max_bytes = 10
    keep(uuids[4])  # bigger than the whole store: not kept, and nothing else removed for it
    assert len(store.files()) == 3 and not list(store.directory.glob(".tmp-*"))


def test_a_first_read_keeps_the_answers_as_the_api_sent_them(
    state: fake_api.State, api: dict[str, str], cache: Path
) -> None:
    run(["get", BUILD], api)
    (path,) = entries(cache)
    url = f"{api['CLOUDFLARE_API_BASE_URL']}/accounts/{ACCOUNT}/builds/builds/{BUILD}/logs"
    headers = {"Authorization": f"Bearer {api['CLOUDFLARE_API_TOKEN']}"}
    first_page = httpx.get(url, headers=headers).content
    assert b"\n" + first_page.replace(b"\n", b" ") + b"\n" in path.read_bytes()


def test_answers_in_any_shape_read_back_as_their_lines(tmp_path: Path) -> None:
    store = Store(tmp_path / "store", max_bytes=1 << 30)
    raw: list[list[object]] = [[T0, "plain"], [T0 * 1000 + 5, "millis"], [T0 + 0.5, "a\tb"]]
    raw += [[T0, "é ✓ \u202e"], ["x"], [T0, "\x1b[31mred\x1b[0m"]]
    lines = parse_lines(raw)
    answer = {"success": True, "result": {"lines": raw, "truncated": False}}
    pretty = json.dumps(answer, indent=2, ensure_ascii=False).encode()  # line breaks between
    utf16 = json.dumps(answer).encode("utf-16-le")  # not UTF-8: encoded again
    writer = store.writer("https://api", ACCOUNT, BUILD)
    for body in (pretty, utf16, json.dumps(answer).encode()):
        assert json.loads(body)["result"]["lines"] == raw  # as the transport read it
        writer.add_answer(body, PageLines(raw))
    writer.add(lines)
    writer.commit(stopped(BUILD))
    kept = store.read("https://api", ACCOUNT, BUILD)
    assert kept is not None and kept.lines == 4 * len(lines)
    assert [page.parsed for page in kept.pages()] == [lines] * 4


def test_pages_read_back_whole_across_reads_of_any_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "store", max_bytes=1 << 30)
    pages = [
        parse_lines([[T0 + i, f"page {p} line {i} " * p] for i in range(30)]) for p in range(5)
    ]
    writer = store.writer("https://api", ACCOUNT, BUILD)
    for page in pages:
        writer.add(page)
    writer.commit(stopped(BUILD))
    for size in (7, 64, 1000, 1 << 20):  # a page spans many reads, or many pages one
        monkeypatch.setattr(entry_files, "CHUNK", size)
        kept = store.read("https://api", ACCOUNT, BUILD)
        assert kept is not None and [page.parsed for page in kept.pages()] == pages, size


def test_an_entry_discarded_while_a_thread_adds_keeps_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path / "store", max_bytes=1 << 30)
    raw = [[T0 + i, f"line {i}"] for i in range(1000)]
    body = json.dumps({"result": {"lines": raw}})
    writer = store.writer("https://api", ACCOUNT, BUILD)
    started, stop = threading.Event(), threading.Event()

    def fetching() -> None:
        while not stop.is_set():
            writer.add_answer(body.encode(), PageLines(raw))
            started.set()

    thread = threading.Thread(target=fetching)
    thread.start()
    started.wait()
    writer.discard()  # while the other thread goes on adding
    writer.commit(stopped(BUILD))
    stop.set()
    thread.join()
    assert store.files() == [] and list(store.directory.iterdir()) == []


def stopped(uuid: str) -> Build:
    return Build(
        uuid, BuildStatus.STOPPED, "success", None, None, None, None, None, None, None, None, None
    )


def test_two_writers_of_one_entry_leave_one_whole_entry(tmp_path: Path) -> None:
    store = Store(tmp_path / "store", max_bytes=1 << 30)
    lines = parse_lines([[T0 + i, f"line {i}"] for i in range(20_000)])
    barrier = threading.Barrier(2)

    def write() -> None:
        writer = store.writer("https://api", ACCOUNT, BUILD)
        barrier.wait()
        for start in range(0, len(lines), 1000):
            writer.add(lines[start : start + 1000])
        writer.commit(stopped(BUILD))

    threads = [threading.Thread(target=write) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    kept = store.read("https://api", ACCOUNT, BUILD)
    assert kept is not None and kept.lines == 20_000
    assert [line for page in kept.pages() for line in page] == lines
    assert len(store.files()) == 1 and not list(store.directory.glob(".tmp-*"))


def test_two_processes_keeping_the_same_build_at_once(cli: Cli, state: fake_api.State) -> None:
    state.page_size = 500
    state.add(fake_api.FakeBuild(OTHER, fake_api.GeneratedLines(20_000)))
    procs = [
        subprocess.Popen(
            [str(BIN), "get", OTHER, "--no-timestamps"], stdout=subprocess.PIPE, env=cli.env()
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=60)[0] for p in procs]
    assert outputs[0] == outputs[1] and outputs[0].count(b"\n") == 20_000
    again = cli("get", OTHER, "--no-timestamps")
    assert again.stdout.encode() == outputs[0]
    assert len(entries(Path(cli.env()["CF_BUILDLOGS_CACHE_DIR"]))) == 1


# -- the off switches --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "environ", "config"),
    [
        (["--no-cache"], {}, ""),
        ([], {"CF_BUILDLOGS_NO_CACHE": "1"}, ""),
        ([], {}, "cache = false\n"),
    ],
    ids=["--no-cache", "CF_BUILDLOGS_NO_CACHE", "config"],
)
def test_every_off_switch_writes_nothing_and_reads_nothing(
    flag: list[str], environ: dict[str, str], config: str,
    state: fake_api.State, api: dict[str, str], cache: Path,
) -> None:  # fmt: skip
    Path(api["CF_BUILDLOGS_CONFIG_DIR"], "config.toml").write_text(config)
    for args in (["get", BUILD], ["summary", BUILD], ["get", BUILD, "--follow"]):
        before = log_requests(state)
        run([*args, *flag], {**api, **environ})
        assert log_requests(state) > before
    assert not cache.exists() or list(cache.iterdir()) == []
    _, status = run(["config", "show"], {**api, **environ})
    if not flag:
        assert "off (" in status.out.getvalue()
    run(["get", BUILD], api | ({"CF_BUILDLOGS_NO_CACHE": "0"} if environ else {}))
    if not config:
        assert len(entries(cache)) == 1  # "0" and no switch: on


# -- cache path, list, clear -------------------------------------------------------------------


def test_cache_commands(state: fake_api.State, api: dict[str, str], cache: Path) -> None:
    state.add(fake_api.FakeBuild(OTHER, log(["one", "two"])))
    run(["get", BUILD], api)
    run(["get", OTHER], api)
    _, path = run(["cache", "path"], api)
    assert path.out.getvalue() == f"{cache}\n"
    _, listed = run(["cache", "list", "-o", "json"], api)
    records = json.loads(listed.out.getvalue())
    assert {r["build_uuid"]: r["lines"] for r in records} == {BUILD: len(FAILED_LOG), OTHER: 2}
    assert {r["account_id"] for r in records} == {ACCOUNT}
    assert all(r["bytes"] > 0 and r["kept_at"].endswith("Z") for r in records)
    _, text = run(["cache", "list"], api)
    rows = text.out.getvalue().splitlines()
    assert rows[0].split("\t") == ["build_uuid", "worker_tag", "lines", "size", "kept_at"]
    assert "2 kept builds" in text.err.getvalue()
    url = f"https://dash.cloudflare.com/{ACCOUNT}/workers/services/view/w/production/builds/{OTHER}"
    code, cleared = run(["cache", "clear", url, "5b1d8f2e-7c3a-4e9b-a6d0-1f2e3d4c5b6a"], api)
    assert code == 0 and "removed 1 kept entry" in cleared.err.getvalue()
    assert [p.name.startswith(BUILD) for p in entries(cache)] == [True]
    code, bad = run(["cache", "clear", "nope"], api)
    assert code == 2 and "not a build UUID or dashboard URL" in bad.err.getvalue()
    assert len(entries(cache)) == 1
    run(["cache", "clear"], api)
    assert entries(cache) == []


# -- view --------------------------------------------------------------------------------------


def test_view_renders_each_saved_form_like_get(
    state: fake_api.State, api: dict[str, str], tmp_path: Path
) -> None:
    state.add(
        fake_api.FakeBuild(
            OTHER, [[T0, "a"], [T0 * 1000 + 5, "\x1b[31mb\x1b[0m"], ["x", 7], [T0 + 3, None]]
        )
    )
    for uuid in (BUILD, OTHER):
        _, text = run(["get", uuid, "--timestamps", "elapsed"], api)
        _, nd = run(["get", uuid, "--ndjson", "--exit-status"], api)
        _, js = run(["get", uuid, "--json"], api)
        pages = [
            {"success": True, "errors": [], "messages": [], "result": {"lines": lines}}
            for lines in _pages(state, uuid)
        ]
        forms = {
            "ndjson": nd.out.getvalue(),
            "json": js.out.getvalue(),
            "json-one-line": json.dumps(json.loads(js.out.getvalue())) + "\n",
            "api-pretty": json.dumps(
                pages[0]
                if len(pages) == 1
                else {"result": {"lines": [x for p in pages for x in p["result"]["lines"]]}},
                indent=2,
            ),
            "api-per-line": "".join(json.dumps(p) + "\n" for p in pages),
        }
        for form, content in forms.items():
            path = tmp_path / f"{uuid}.{form}"
            path.write_text(content)
            code, viewed = run(["view", str(path), "--timestamps", "elapsed"], {})
            assert (code, viewed.out.getvalue()) == (0, text.out.getvalue()), form
        _, nd_again = run(["view", str(tmp_path / f"{uuid}.ndjson"), "--ndjson"], {})
        assert nd_again.out.getvalue() == nd.out.getvalue()  # the end record too


def _pages(state: fake_api.State, uuid: str) -> list[list[list[object]]]:
    lines = list(state.builds[uuid].lines)
    return [lines[i : i + state.page_size] for i in range(0, len(lines), state.page_size)]


def test_view_takes_every_rendering_option_and_a_summary(
    api: dict[str, str], tmp_path: Path
) -> None:
    _, nd = run(["get", BUILD, "--ndjson", "--exit-status"], api)
    path = tmp_path / "build.ndjson"
    path.write_text(nd.out.getvalue())
    for args in (
        ["--errors", "-C", "1"],
        ["--phase", "install"],
        ["--tail", "4", "--json"],
        ["--redact", "--no-timestamps"],
    ):
        _, got = run(["get", BUILD, *args], api)
        _, viewed = run(["view", str(path), *args], {})
        assert (
            viewed.out.getvalue().replace('"build_uuid": null', f'"build_uuid": "{BUILD}"')
            == got.out.getvalue()
        ), args
    code, summary = run(["view", str(path), "--summary", "-o", "json"], {})
    doc = json.loads(summary.out.getvalue())
    assert (code, doc["build_uuid"], doc["outcome"], doc["failed_phase"], doc["errors_total"]) == (
        0,
        BUILD,
        "fail",
        "deploy",
        2,
    )
    _, bare = run(["view", str(path), "--summary", "-o", "json"], {})
    path.write_text("".join(line + "\n" for line in nd.out.getvalue().splitlines()[:-1]))
    _, bare = run(["view", str(path), "--summary", "-o", "json"], {})
    assert (
        json.loads(bare.out.getvalue())["status"],
        json.loads(bare.out.getvalue())["phases"][-1]["status"],
    ) == (None, None)


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ("", ":1: empty input"),
        ("hello\n", ":1: not a log this tool reads: not JSON"),
        (
            '{"type": "line", "epoch": 1, "message": "a"}\n{"type": "line", "epoch": 2\n',
            ":2: not valid JSON",
        ),
        (
            '{"type": "line", "epoch": 1, "message": "a"}\n\n{"type": "mystery"}\n',
            ":3: not a record of `--ndjson` output",
        ),
        ('{"type": "line", "epoch": 1}\n', ":1: not a line record"),
        (
            '{"type": "line", "epoch": 1, "message": "a"}\n{"type": "mystery", "message": "m"}\n',
            ":2: not a record of `--ndjson` output",
        ),
        (
            '{"type": "line", "epoch": 1, "message": "a"}\n{"type": "line", "epoch": 2, '
            '"message": ' + "[" * 80 + "]" * 80 + "}\n",
            ":2: a log line nested deeper than 64 levels",
        ),
        ('{"result": {"lines": [[1, "a"]]}}\n{"result": null}\n', ":2: not a logs response"),
        (
            '{"build_uuid": "0f0e0d0c-0b0a-4908-8706-050403020100", "lines": [\n{"timestamp": null, "epoch": 1, "message": "a"},\n',
            ":2: the document ends early",
        ),
        ('{\n  "result": {\n    "lines": [[1, "a"],\n', ":4: not valid JSON"),
        ("[1, 2, 3]\n", ":1: not a log document"),
    ],
)
def test_bad_view_input_is_exit_2_naming_the_line(content: str, where: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.log"
    path.write_text(content)
    code, io = run(["view", str(path)], {})
    assert code == 2 and io.err.getvalue().splitlines()[0].startswith(
        f"cf-buildlogs: {path}{where}"
    ), io.err.getvalue()
    code, io = run(["view", str(tmp_path / "missing")], {})
    assert code == 2 and "cannot read" in io.err.getvalue()


def test_get_ndjson_piped_into_view_is_get(cli: Cli, state: fake_api.State) -> None:
    state.add(fake_api.FakeBuild(BUILD, log(FAILED_LOG), outcome="fail"))
    plain = cli("get", BUILD, "--no-cache")
    script = f"'{BIN}' get {BUILD} --ndjson --no-cache | '{BIN}' view -"
    piped = cli.shell(script)
    assert (piped.code, piped.stdout, piped.stderr) == (0, plain.stdout, "")
    offline = {
        **cli.env(),
        "CLOUDFLARE_API_TOKEN": "",
        "CLOUDFLARE_API_BASE_URL": "http://127.0.0.1:9",
    }
    viewed = subprocess.run(
        [str(BIN), "view", "-"],
        input=piped.stdout and cli("get", BUILD, "--ndjson").stdout,
        capture_output=True,
        text=True,
        env=offline,
        timeout=60,
        check=False,
    )
    assert (viewed.returncode, viewed.stdout) == (0, plain.stdout)  # no network, no credentials


def test_a_kept_build_imports_no_http_client(cli: Cli, state: fake_api.State) -> None:
    state.add(fake_api.FakeBuild(BUILD, log(FAILED_LOG), outcome="fail"))
    assert cli("get", BUILD).code == 0
    code = (
        "import sys\n"
        "from cloudflare_buildlogs import cli\n"
        "from cloudflare_buildlogs.env import Env\n"
        f"status = cli.run(['get', '{BUILD}'], Env.from_process())\n"
        'sys.stderr.write(f\'{status} {sorted(m for m in ("httpx", "httpcore") if m in sys.modules)}\')\n'
    )
    proc = subprocess.run(
        [str(Path(BIN).parent / "python"), "-c", code],
        capture_output=True,
        text=True,
        env=cli.env(),
        timeout=60,
        check=False,
    )
    assert proc.stderr == "0 []" and proc.stdout.count("\n") == len(FAILED_LOG)


def test_view_tail_over_many_pages_keeps_only_the_last_lines(tmp_path: Path) -> None:
    """--tail holds its lines until the file's end, however many pages the file makes."""
    path = tmp_path / "big.ndjson"
    records = [{"type": "line", "epoch": T0 + i, "message": f"m{i}"} for i in range(2_500)]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    code, io = run(["view", str(path), "--tail", "3", "--no-timestamps"], {})
    assert (code, io.out.getvalue()) == (0, "m2497\nm2498\nm2499\n")


def test_a_kept_page_that_cf_buildlogs_did_not_write_is_an_error_naming_the_file(
    tmp_path: Path,
) -> None:
    deep: list[object] = []
    for _ in range(80):
        deep = [deep]
    raw = [[T0, "ok"], [T0 + 1, deep]]
    for body, why in ((json.dumps({"result": {"lines": raw}}), "unusable line"), ("{x", "JSON")):
        store = Store(tmp_path / why, max_bytes=1 << 30)
        writer = store.writer("https://api", ACCOUNT, BUILD)
        writer.add_answer(body.encode(), PageLines(raw))  # as a checksum made by hand allows
        writer.commit(stopped(BUILD))
        kept = store.read("https://api", ACCOUNT, BUILD)
        assert kept is not None
        with pytest.raises(CliError, match=why) as caught:
            [page.parsed for page in kept.pages()]
        assert str(kept.path) in caught.value.message and "cache clear" in str(caught.value.hint)


def test_view_of_ndjson_reads_blank_lines_odd_messages_and_the_end_in_any_batch(
    tmp_path: Path,
) -> None:
    records = [{"type": "line", "epoch": T0 + i, "message": f"line {i}"} for i in range(2500)]
    records[1500]["message"] = 5  # a number: read a line at a time, as the batch around it
    lines = [json.dumps(r) for r in records]
    end = json.dumps({"type": "end", "build_uuid": BUILD, "status": "stopped", "outcome": "fail"})
    plain, spaced = tmp_path / "plain.ndjson", tmp_path / "spaced.ndjson"
    plain.write_text("\n".join(lines) + "\n" + end + "\n")
    spaced_lines = [line + ("\n  " if i % 700 == 3 else "") for i, line in enumerate(lines)]
    spaced.write_text("\n".join([*spaced_lines[:2000], end, *spaced_lines[2000:]]) + "\n\n")
    shown = [run(["view", str(path), "--timestamps", "epoch"], {}) for path in (plain, spaced)]
    assert [code for code, _ in shown] == [0, 0]
    texts = [io.out.getvalue().splitlines() for _, io in shown]
    assert texts[0] == texts[1] and len(texts[0]) == 2500
    assert texts[0][1500] == f"{T0 + 1500}  5" and texts[0][-1] == f"{T0 + 2499}  line 2499"
