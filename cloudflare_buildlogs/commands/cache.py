"""`cache path|list|clear`: the local store of finished builds' logs."""

from __future__ import annotations

import json
from collections.abc import Sequence

from ..env import Env
from ..errors import ExitCode
from ..settings import config
from ..settings.session import ApiOptions, resolve
from ..store.entries import Store


def _store(env: Env, opts: ApiOptions) -> tuple[Store, config.CacheSettings]:
    settings = resolve(opts, env)
    cache = settings.cache
    return Store(cache.directory, cache.max_bytes), cache


def run_cache_path(env: Env, opts: ApiOptions) -> ExitCode:
    store, cache = _store(env, opts)
    env.stdout.write(f"{store.directory}\n")
    if not cache.enabled:
        env.error_line(f"note: the store is off ({cache.source}): no log is kept")
    return ExitCode.OK


def run_cache_list(env: Env, opts: ApiOptions, as_json: bool) -> ExitCode:
    store, _ = _store(env, opts)
    entries = store.entries()
    if as_json:
        records = [
            {"build_uuid": e.build_uuid, "account_id": e.account_id, "worker_tag": e.worker_tag,
             "api_url": e.api_url, "lines": e.lines, "bytes": e.bytes, "kept_at": e.kept_at}
            for e in entries
        ]  # fmt: skip
        env.stdout.write(json.dumps(records, indent=2) + "\n")
        return ExitCode.OK
    rows = [("build_uuid", "worker_tag", "lines", "size", "kept_at")]
    rows += [
        (e.build_uuid, e.worker_tag or "-", str(e.lines), _size(e.bytes), e.kept_at)
        for e in entries
    ]
    sep = "  " if env.stdout_tty else "\t"
    widths = [max(len(r[i]) for r in rows) for i in range(5)] if env.stdout_tty else [0] * 5
    env.stdout.write(
        "".join(
            sep.join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() + "\n"
            for r in rows
        )
    )
    total = sum(e.bytes for e in entries)
    count = f"{len(entries)} kept build{'s' * (len(entries) != 1)}"
    env.error_line(f"{count}, {_size(total)} in {store.directory}")
    return ExitCode.OK


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KiB"
    return f"{count / 1024 / 1024:.1f} MiB"


def run_cache_clear(env: Env, opts: ApiOptions, builds: Sequence[str]) -> ExitCode:
    from ..settings.buildref import parse_build

    uuids = [parse_build(b).uuid for b in builds]  # every name checked before anything goes
    store, _ = _store(env, opts)
    removed = store.remove(uuids)
    what = "every kept build" if not uuids else f"{len(uuids)} build{'s' * (len(uuids) > 1)}"
    env.error_line(f"removed {removed} kept {'entry' if removed == 1 else 'entries'} ({what})")
    return ExitCode.OK
