"""The Cloudflare API client: an injected httpx.Client in, models out.

Each endpoint the tool uses, on the transport of `transport.py` (retries, the envelope, errors
mapped to `errors.py`). Knows nothing of typer or rich.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..errors import ApiError
from ..models import (
    Account,
    Build,
    LogPage,
    Script,
    TokenInfo,
    Trigger,
    Unusable,
    is_hex32,
    is_uuid,
)
from .answers import check_shape, checked, segment
from .transport import USER_AGENT, Transport

__all__ = ["USER_AGENT", "Client"]


MAX_CURSOR = 4096  # a longer log cursor is an unusable answer (README, "Security")


class Client(Transport):
    """One Cloudflare account's view of the API, with retries."""

    def get_build(self, account_id: str, build_uuid: str) -> Build:
        path = f"/accounts/{segment(account_id)}/builds/builds/{segment(build_uuid)}"
        env = self.get(path, what=f"build {build_uuid}")
        build = checked(Build.from_api(env.result), f"build {build_uuid}")
        if build.build_uuid != build_uuid.lower():
            raise ApiError(f"the API answered for build {build_uuid} with another build")
        return build

    def get_log_page(self, account_id: str, build_uuid: str, cursor: str | None) -> LogPage:
        path = f"/accounts/{segment(account_id)}/builds/builds/{segment(build_uuid)}/logs"
        params = {"cursor": cursor} if cursor else None
        answer = self.get(path, params, what=f"build {build_uuid}")

        def unusable(exc: Unusable) -> ApiError:  # found when the page is parsed, if ever
            return ApiError(f"the API sent an unusable log page of build {build_uuid}: {exc}")

        page = LogPage.from_api(answer.result, answer.body, unusable)
        if page.cursor is not None and len(page.cursor) > MAX_CURSOR:
            raise ApiError(
                f"the API sent a log cursor of {len(page.cursor):,} characters for build "
                f"{build_uuid} (at most {MAX_CURSOR:,} are taken)"
            )
        return page

    def latest_build(self, account_id: str, worker_tag: str) -> Build | None:
        """The newest build of a Worker, or None when it has none."""
        path = f"/accounts/{segment(account_id)}/builds/builds/latest"
        env = self.get(path, {"external_script_ids": worker_tag}, what=f"Worker {worker_tag}")
        builds = env.result.get("builds") if isinstance(env.result, dict) else None
        found = builds.get(worker_tag) if isinstance(builds, dict) else None
        if not isinstance(found, dict):
            return None
        return checked(Build.from_api(found), f"the newest build of Worker {worker_tag}")

    def worker_builds(
        self, account_id: str, worker_tag: str, *, per_page: int = 50, max_pages: int = 100
    ) -> Iterator[Build]:
        """A Worker's builds, newest first, fetched a page at a time as they are consumed."""
        path = f"/accounts/{segment(account_id)}/builds/workers/{segment(worker_tag)}/builds"
        what = f"Worker {worker_tag}"
        for items in self._pages(path, {}, per_page=per_page, what=what, max_pages=max_pages):
            for item in items:
                if isinstance(item, dict):
                    yield checked(Build.from_api(item), f"a build of {what}")

    def worker_triggers(self, account_id: str, worker_tag: str) -> list[Trigger]:
        """What makes a Worker build (needs "Workers CI Read")."""
        path = f"/accounts/{segment(account_id)}/builds/workers/{segment(worker_tag)}/triggers"
        env = self.get(path, what=f"Worker {worker_tag}")
        items = env.result if isinstance(env.result, list) else []
        triggers = [Trigger.from_api(item) for item in items if isinstance(item, dict)]
        for trigger in triggers:
            check_shape(is_uuid(trigger.trigger_uuid), "a trigger UUID", trigger.trigger_uuid)
        return triggers

    def list_scripts(self, account_id: str) -> list[Script]:
        """The account's Workers (needs the "Workers Scripts Read" permission)."""
        env = self.get(f"/accounts/{segment(account_id)}/workers/scripts", what="Workers")
        items = env.result if isinstance(env.result, list) else []
        scripts = [s for s in (Script.from_api(item) for item in items) if s.name and s.tag]
        for script in scripts:
            check_shape(is_hex32(script.tag), "a Worker tag", script.tag)
        return scripts

    def verify_token(self) -> TokenInfo:
        return TokenInfo.from_api(self.get("/user/tokens/verify", what="the token").result)

    def check_builds_access(self, account_id: str) -> None:
        """One cheap Builds API call, to prove the token may read builds in the account."""
        self.get(
            f"/accounts/{segment(account_id)}/builds/account/limits",
            what=f"builds of account {account_id}",
        )

    def list_accounts(self) -> list[Account]:
        accounts: list[Account] = []
        for result in self._pages("/accounts", {}, per_page=50, what="accounts"):
            accounts.extend(Account.from_api(item) for item in result)
        accounts = [a for a in accounts if a.id]
        for account in accounts:
            check_shape(is_hex32(account.id), "an account id", account.id)
        return accounts

    def _pages(
        self, path: str, params: dict[str, Any], *, per_page: int, what: str, max_pages: int = 100
    ) -> Iterator[list[Any]]:
        """Page-number paging: every page's `result` list until `total_pages` is reached."""
        for page in range(1, max_pages + 1):
            env = self.get(path, {**params, "page": page, "per_page": per_page}, what=what)
            items = env.result if isinstance(env.result, list) else []
            yield items
            total = env.result_info.get("total_pages")
            done = page >= total if isinstance(total, int) else len(items) < per_page
            if done or not items:
                return
        raise ApiError(f"the API kept paging {what} past {max_pages} pages")

    # -- writes (README, "Acting on builds": they need "Workers CI Write") -------------------

    def start_build(
        self, account_id: str, trigger_uuid: str, branch: str | None, commit: str | None
    ) -> Build:
        """A new build on a trigger. Never repeated once it may have reached the API:
        `Unanswered` then, and the caller looks for the build it may have started."""
        path = build_path(account_id, trigger_uuid)
        body = build_body(branch, commit)
        what = f"trigger {trigger_uuid}"
        env = self._request(
            "POST", path, body=body, what=what, action="start a build on", once=True
        )
        return checked(Build.from_api(env.result), f"the build started on {what}")

    def purge_build_cache(self, account_id: str, trigger_uuid: str) -> None:
        self._request(
            "POST",
            purge_path(account_id, trigger_uuid),
            what=f"trigger {trigger_uuid}",
            action="purge the build cache of",
        )

    def cancel_build(self, account_id: str, build_uuid: str) -> str | None:
        """Cancel a queued or running build; its outcome when the answer gives one."""
        env = self._request(
            "PUT", cancel_path(account_id, build_uuid), what=f"build {build_uuid}", action="cancel"
        )
        outcome = env.result.get("build_outcome") if isinstance(env.result, dict) else None
        return outcome if isinstance(outcome, str) and outcome else None


# Where each write goes, as --dry-run shows it.


def build_path(account_id: str, trigger_uuid: str) -> str:
    return f"/accounts/{segment(account_id)}/builds/triggers/{segment(trigger_uuid)}/builds"


def purge_path(account_id: str, trigger_uuid: str) -> str:
    trigger = segment(trigger_uuid)
    return f"/accounts/{segment(account_id)}/builds/triggers/{trigger}/purge_build_cache"


def cancel_path(account_id: str, build_uuid: str) -> str:
    return f"/accounts/{segment(account_id)}/builds/builds/{segment(build_uuid)}/cancel"


def build_body(branch: str | None, commit: str | None) -> dict[str, Any]:
    body = {"branch": branch, "commit_hash": commit}
    return {key: value for key, value in body.items() if value}
