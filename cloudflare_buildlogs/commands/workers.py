"""The Workers a command names: a tag as given, a name through the scripts list, or the one
named by the folder's wrangler configuration; and, from their triggers, why a push may not have
built them (README, "latest")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from ..analysis.untrusted import field
from ..env import Env
from ..errors import AuthError, CliError, NotFoundError, UsageError, WaitTimeout
from ..models import Trigger, is_hex32
from ..settings.session import Session


class Worker(NamedTuple):
    name: str | None
    tag: str

    @property
    def label(self) -> str:
        return self.name or self.tag


def worker_from_folder(env: Env) -> str:
    """The Worker named by the nearest wrangler configuration, for commands given none."""
    from ..settings.wrangler import find_config

    found = find_config(env.cwd)
    if found is None:
        raise UsageError(
            "no WORKER given, and no wrangler.json, wrangler.jsonc or wrangler.toml found from "
            "here up to the repository root",
            "name the Worker (or its 32-hex tag), or run this from the Worker's folder",
        )
    if found.problem is not None:
        raise UsageError(found.problem, "fix the file, or name the Worker explicitly")
    if found.name is None:
        raise UsageError(f"{found.path} has no top-level `name`", "name the Worker explicitly")
    return found.name


def named_workers(workers: Sequence[str], all_workers: bool, env: Env) -> list[str]:
    """The Workers named, or with --all every one named under the repository root, each once."""
    if not all_workers:
        return list(dict.fromkeys(workers)) or [worker_from_folder(env)]
    from ..settings.wrangler import find_all, repository_root

    root = repository_root(env.cwd)
    configs = find_all(root)
    for broken in (c for c in configs if c.problem is not None):
        env.error_line(f"warning: {broken.problem}; its Worker is left out")
    names = list(dict.fromkeys(c.name for c in configs if c.name))
    if not names:
        raise UsageError(
            f"--all found no Worker: no wrangler.json, wrangler.jsonc or wrangler.toml with a "
            f"`name` under {root}",
            "name the Workers, or run this inside the repository",
        )
    return names


def resolve_worker(session: Session, given: str | None, env: Env) -> Worker:
    """A Worker's tag, from a tag, a name (through the scripts list), or the folder."""
    return resolve_workers(session, [given or worker_from_folder(env)])[0]


def resolve_workers(session: Session, names: Sequence[str]) -> list[Worker]:
    """Each Worker's tag: a tag as given, names through one read of the scripts list."""
    tags: dict[str, str] = {}
    named = [n for n in names if not is_hex32(n.lower())]
    if named:
        try:
            scripts = session.client.list_scripts(session.account_id)
        except AuthError as exc:
            raise AuthError(
                f"cannot map the Worker name {named[0]!r} to its tag: {exc.message}",
                'the token also needs "Workers Scripts Read" to use names; or pass the '
                "Worker's 32-hex tag (dashboard: Workers & Pages, the Worker, Settings)",
            ) from exc
        tags = {script.name: script.tag for script in scripts}
    workers = []
    for name in names:
        if is_hex32(name.lower()):
            workers.append(Worker(None, name.lower()))
        elif name in tags:
            workers.append(Worker(name, tags[name]))
        else:
            raise NotFoundError(
                f"no Worker named {name!r} in account {session.account_id}",
                "check the name and the account id",
            )
    return workers


def explained(
    session: Session, exc: WaitTimeout, missing: Sequence[Worker], branch: str | None
) -> WaitTimeout:
    """The wait's timeout, with why those Workers may not have built (after it: the deadline
    has passed, so the triggers are read with a fresh one)."""
    session.client.deadline = None
    why = why_not_built(session, missing, branch)
    return WaitTimeout(exc.message + (f"\n{why}" if why else ""), exc.hint)


def why_not_built(session: Session, workers: Sequence[Worker], branch: str | None) -> str:
    """Why a push may not have built (README, "latest"), from each Worker's triggers: which
    take the branch and which paths they watch, or that none does."""
    said = []
    for worker in workers:
        try:
            triggers = session.client.worker_triggers(session.account_id, worker.tag)
        except CliError:  # the explanation is a courtesy: the wait's own message stands
            continue
        name = field(worker.label)
        every = "; ".join(described(t) for t in triggers) or "no trigger at all"
        taking = [t for t in triggers if branch is not None and t.takes(branch)]
        if branch is None:
            said.append(f"{name} builds ({every})")
        elif not taking:
            said.append(f"no trigger of {name} builds branch {field(branch)} ({every})")
        else:
            said.append(
                f"{name} builds branch {field(branch)} by {'; '.join(map(described, taking))}"
                ": a push that changes no watched path does not build"
            )
    return "\n".join(said)


def described(trigger: Trigger) -> str:
    """`production: main` or `preview: all but main, paths src/**`: a trigger's name and rules
    in one clean line."""
    from ..output.table import rules

    paths = field(rules(trigger.path_includes, trigger.path_excludes))
    branches = field(rules(trigger.branch_includes, trigger.branch_excludes))
    watched = "" if paths == "all" else f", paths {paths}"
    return f"{field(trigger.trigger_name or trigger.trigger_uuid)}: {branches}{watched}"
