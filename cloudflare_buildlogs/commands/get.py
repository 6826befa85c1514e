"""`get`: one build's log, or its summary."""

from __future__ import annotations

from ..env import Env
from ..errors import ExitCode, UsageError
from ..settings.buildref import BuildRef
from ..settings.session import Session, open_session
from .log import print_log
from .options import GetOptions, Target
from .workers import resolve_workers


def run_get(opts: GetOptions, env: Env) -> ExitCode:
    """Print one build's log, or its summary (`summary`, `get --summary`: `opts.log.summary`)."""
    with open_session(opts.api, env) as session:
        ref = whole(session, env, opts.build, opts.worker)
        return print_log(session, env, Target.of(ref), opts.log)


def whole(session: Session, env: Env, ref: BuildRef, worker: str | None) -> BuildRef:
    """A build named by the start of its UUID (`5b1d8f2e`, as the tool prints it), found among
    the kept builds and the recent builds of the Worker (`--worker`, else the folder's);
    one that is not found, or not alone, is a usage error that lists what was looked at."""
    if not ref.short:
        return ref
    found: dict[str, str | None] = {}
    if session.store is not None:
        for entry in session.store.entries():
            ours = entry.api_url == session.api_url and entry.account_id == session.account_id
            if ours and entry.build_uuid.startswith(ref.uuid):
                found[entry.build_uuid] = None
    name = worker or _folder_worker(env)
    if name is not None:
        (named,) = resolve_workers(session, [name])
        builds = session.client.worker_builds(
            session.account_id, named.tag, per_page=50, max_pages=1
        )
        found.update(
            (b.build_uuid, named.name) for b in builds if b.build_uuid.startswith(ref.uuid)
        )
    where = "the kept builds" + (f" and the 50 newest builds of {name}" if name else "")
    if len(found) == 1:
        ((uuid, label),) = found.items()
        return BuildRef(uuid, ref.account_id, label or ref.worker, ref.environment)
    if not found:
        raise UsageError(
            f"no build starts with {ref.uuid} among {where}",
            "give the whole UUID, or name the Worker with --worker",
        )
    listed = ", ".join(sorted(found)[:5]) + (", ..." if len(found) > 5 else "")
    raise UsageError(f"{len(found)} builds start with {ref.uuid}: {listed}", "give more of it")


def _folder_worker(env: Env) -> str | None:
    from ..settings.wrangler import find_config

    found = find_config(env.cwd)
    return found.name if found is not None else None
