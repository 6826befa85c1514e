"""Acting on builds (README, "Acting on builds"): `rerun` a build, `build` a branch, `cancel` a
build. They need "Workers CI Write"; `--dry-run` prints each write instead of making it.

A command starts at most one build: the request that starts it is never repeated once it may
have reached the API, and when its answer is lost, the build it may have started is looked for
among the Worker's builds before the command gives up saying it does not know.
"""

from __future__ import annotations

import json
from typing import NamedTuple

from ..analysis.untrusted import field
from ..env import Env
from ..errors import ApiError, CliError, ExitCode, NotFoundError, Unanswered, UsageError
from ..models import Build, Trigger, parse_time
from ..settings.buildref import BuildRef, dashboard_url
from ..settings.session import Session, open_session
from .get import whole
from .log import print_log
from .options import ActOptions, BuildOptions, RerunOptions, Target
from .workers import described, resolve_worker

# How far a build's `created_on` may be before the command began (the API's clock against this
# machine's) and still be the build this command may have started.
CLOCK_SLACK = 60.0


class Plan(NamedTuple):
    """The build a command would start, and where to look for it if the answer is lost."""

    trigger_uuid: str
    trigger_name: str
    branch: str | None
    commit: str | None
    worker_tag: str | None
    label: str | None  # the Worker as shown: its name when known, else its tag
    name: str | None  # the Worker's name, for the dashboard URL
    clear_cache: bool = False
    instead_of: str | None = None  # the build a rerun repeats: never taken for the new one


def run_rerun(opts: RerunOptions, env: Env) -> ExitCode:
    """A new build on a build's trigger, with its branch and commit."""
    began = env.now()
    with open_session(opts.act.api, env) as session:
        ref = whole(session, env, opts.build, opts.act.worker)
        old = session.client.get_build(session.account_id, ref.uuid)
        if old.trigger_uuid is None:
            raise ApiError(
                f"the API gave build {ref.uuid} no trigger to start again",
                "start a build by branch: `cf-buildlogs build WORKER --branch NAME`",
            )
        if not (old.branch or old.commit_hash):
            raise ApiError(f"the API gave build {ref.uuid} neither a branch nor a commit")
        name = ref.worker or _worker_name(session, old.worker_tag)
        plan = Plan(
            old.trigger_uuid,
            old.trigger_name or old.trigger_uuid,
            old.branch,
            old.commit_hash,
            old.worker_tag,
            name or old.worker_tag,
            name,
            opts.clear_cache,
            instead_of=old.build_uuid,
        )
        return start(session, env, plan, opts.act, began, ref.environment)


def run_build(opts: BuildOptions, env: Env) -> ExitCode:
    """A build of a branch (and commit) on the Worker's trigger that takes that branch."""
    began = env.now()
    commit = env.git_head() if opts.commit == "head" else opts.commit
    with open_session(opts.act.api, env) as session:
        worker = resolve_worker(session, opts.worker, env)
        triggers = session.client.worker_triggers(session.account_id, worker.tag)
        trigger = choose_trigger(env, worker.label, triggers, opts.branch, opts.trigger)
        plan = Plan(
            trigger.trigger_uuid,
            trigger.trigger_name or trigger.trigger_uuid,
            opts.branch,
            commit,
            worker.tag,
            worker.label,
            worker.name,
        )
        return start(session, env, plan, opts.act, began)


def choose_trigger(
    env: Env, worker: str, triggers: list[Trigger], branch: str, chosen: str | None
) -> Trigger:
    """The trigger whose branch rules take `branch`, or the one `--trigger` names."""
    every = "; ".join(described(t) for t in triggers) or "no trigger at all"
    if chosen is not None:
        named = [t for t in triggers if chosen in (t.trigger_name, t.trigger_uuid)]
        if not named:
            raise NotFoundError(
                f"{field(worker)} has no trigger named {field(chosen)} ({every})",
                f"`cf-buildlogs triggers {field(worker)}` lists them",
            )
        if not named[0].takes(branch):
            env.error_line(
                f"note: the rules of trigger {field(chosen)} do not take branch {field(branch)}; "
                "starting it as asked"
            )
        return named[0]
    taking = [t for t in triggers if t.takes(branch)]
    if not taking:
        raise NotFoundError(
            f"no trigger of {field(worker)} builds branch {field(branch)} ({every})",
            "--trigger NAME starts one of them anyway",
        )
    if len(taking) > 1:
        raise UsageError(
            f"{len(taking)} triggers of {field(worker)} build branch {field(branch)}: "
            + "; ".join(described(t) for t in taking),
            "pick one with --trigger NAME",
        )
    return taking[0]


def start(
    session: Session,
    env: Env,
    plan: Plan,
    act: ActOptions,
    began: float,
    environment: str | None = None,
) -> ExitCode:
    """Purge the cache if asked, start the build (at most once), say which it is, and follow
    it when asked."""
    from ..api.client import build_body, build_path, purge_path

    client, account = session.client, session.account_id
    body = build_body(plan.branch, plan.commit)
    if act.dry_run:
        if plan.clear_cache:
            env.error_line(f"dry run: POST {purge_path(account, plan.trigger_uuid)}")
        env.error_line(f"dry run: POST {build_path(account, plan.trigger_uuid)} {json.dumps(body)}")
        env.error_line("dry run: nothing was written")
        return ExitCode.OK
    if plan.clear_cache:
        client.purge_build_cache(account, plan.trigger_uuid)
        env.error_line(f"purged the build cache of trigger {field(plan.trigger_name)}")
    try:
        build = client.start_build(account, plan.trigger_uuid, plan.branch, plan.commit)
    except Unanswered as exc:
        build = _found(session, env, plan, began, exc)
    where = ", ".join(
        part
        for part in (
            f"branch {field(plan.branch)}" if plan.branch else "",
            f"commit {field(plan.commit[:12])}" if plan.commit else "",
        )
        if part
    )
    env.error_line(
        f"started build {build.build_uuid} of {field(plan.label or 'the Worker')} on trigger "
        f"{field(plan.trigger_name)} ({where})"
    )
    url = dashboard_url(account, plan.name, build.build_uuid, environment)
    env.error_line(f"  {url}" if url else f"  cf-buildlogs get {build.build_uuid} --follow")
    if act.follow is None:
        env.stdout.write(build.build_uuid + "\n")
        env.stdout.flush()
        return ExitCode.OK
    target = Target(build.build_uuid, plan.label, plan.name, environment)
    return print_log(session, env, target, act.follow)


def _found(session: Session, env: Env, plan: Plan, began: float, exc: Unanswered) -> Build:
    """The build a lost answer may have started: the newest of the Worker's builds created
    since the command began, on the same trigger, branch and commit. None found: exit 5."""
    hint = (
        f"check with `cf-buildlogs list {field(plan.label or 'WORKER')}` before starting it again"
    )
    unknown = f"{exc.message}: the build may or may not have started"
    if plan.worker_tag is None:
        raise Unanswered(unknown, hint)
    try:
        builds = list(
            session.client.worker_builds(
                session.account_id, plan.worker_tag, per_page=20, max_pages=1
            )
        )
    except CliError as failed:
        raise Unanswered(f"{unknown} (looking for it failed: {failed.message})", hint) from None
    for build in builds:
        if _may_be_ours(build, plan, began):
            env.error_line(
                f"note: {exc.message}; the build it started was found in the Worker's builds"
            )
            return build
    raise Unanswered(unknown, hint)


def _may_be_ours(build: Build, plan: Plan, began: float) -> bool:
    created = parse_time(build.created_on)
    if created is None or created < began - CLOCK_SLACK:
        return False
    if build.build_uuid == plan.instead_of or build.trigger_source in ("push", "pull_request"):
        return False
    if build.trigger_uuid is not None and build.trigger_uuid != plan.trigger_uuid:
        return False
    if plan.branch is not None and build.branch != plan.branch:
        return False
    return plan.commit is None or (build.commit_hash or "").startswith(plan.commit)


def _worker_name(session: Session, tag: str | None) -> str | None:
    """A Worker's name from its tag, for the dashboard URL; None when it cannot be read."""
    if tag is None:
        return None
    try:
        scripts = session.client.list_scripts(session.account_id)
    except CliError:  # a courtesy: the build's UUID and `get` do without it
        return None
    return next((s.name for s in scripts if s.tag == tag), None)


def run_cancel(build: BuildRef, act: ActOptions, env: Env) -> ExitCode:
    """Cancel a queued or running build; one that has stopped is a note, not an error."""
    with open_session(act.api, env) as session:
        client, account = session.client, session.account_id
        uuid = whole(session, env, build, act.worker).uuid
        before = client.get_build(account, uuid)
        if before.stopped:
            return _stopped(env, before, "had already stopped")
        if act.dry_run:
            from ..api.client import cancel_path

            env.error_line(f"dry run: PUT {cancel_path(account, uuid)}")
            env.error_line("dry run: nothing was written")
            return ExitCode.OK
        try:
            outcome = client.cancel_build(account, uuid)
        except (ApiError, NotFoundError):
            after = client.get_build(account, uuid)
            if after.stopped:  # it ended while the cancel was on its way
                return _stopped(env, after, "stopped before the cancel reached it")
            raise
        if outcome is None:
            after = client.get_build(account, uuid)
            outcome = after.outcome if after.stopped else None
        if outcome is None:
            env.error_line(f"cancelling build {uuid}: the API took the request")
            outcome = "cancelling"
        else:
            ended = "cancelled" if outcome == "cancelled" else f"stopped: {field(outcome)}"
            env.error_line(f"build {uuid} {ended}")
        env.stdout.write(field(outcome) + "\n")
        env.stdout.flush()
        return ExitCode.OK


def _stopped(env: Env, build: Build, how: str) -> ExitCode:
    outcome = field(build.outcome or "unknown")
    env.error_line(f"note: build {build.build_uuid} {how}: {outcome}; nothing to cancel")
    env.stdout.write(outcome + "\n")
    env.stdout.flush()
    return ExitCode.OK
