"""A build as people name it: its UUID, or its page in the dashboard (README, "get").

    https://dash.cloudflare.com/ACCOUNT_ID/workers/services/view/WORKER/ENVIRONMENT/builds/UUID

The other way round, `dashboard_url` gives a build's page when its account and Worker are known.
"""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import quote, unquote, urlsplit

from ..errors import UsageError

DASHBOARD = "https://dash.cloudflare.com"
DEFAULT_ENVIRONMENT = "production"


UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
ACCOUNT_RE = re.compile(r"[0-9a-f]{32}", re.I)


URL_HINT = (
    "give the build's UUID (5b1d8f2e-7c3a-4e9b-a6d0-1f2e3d4c5b6a) or its dashboard URL "
    f"({DASHBOARD}/ACCOUNT_ID/workers/services/view/WORKER/ENVIRONMENT/builds/UUID)"
)


class BuildRef(NamedTuple):
    """A build as named: `short` when `uuid` is only the start of one (8 hex digits or more),
    to be found among the kept builds and a Worker's recent ones."""

    uuid: str
    account_id: str | None = None
    worker: str | None = None
    environment: str | None = None
    short: bool = False


_TEMPLATE = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
_HEX = frozenset("0123456789abcdef")


def _is_start(text: str) -> bool:
    """Whether `text` is the start of a canonical UUID, of 8 hex digits at least."""
    if not 8 <= len(text) < len(_TEMPLATE):
        return False
    return all((c in _HEX) if t == "x" else c == "-" for c, t in zip(text, _TEMPLATE, strict=False))


def parse_build(value: str, account_flag: str | None = None) -> BuildRef:
    """A UUID or a dashboard URL; a usage error for anything else, before any request."""
    text = value.strip()
    if UUID_RE.fullmatch(text):
        return BuildRef(text.lower())
    if _is_start(text.lower()):
        return BuildRef(text.lower(), short=True)
    if not text.lower().startswith(("https://", "http://", "dash.cloudflare.com/")):
        raise UsageError(f"not a build UUID or dashboard URL: {value!r}", URL_HINT)
    ref = _from_url(text if "://" in text else f"https://{text}", value)
    if account_flag is not None and account_flag.lower() != ref.account_id:
        raise UsageError(
            f"--account-id {account_flag} differs from the account in the build's URL "
            f"({ref.account_id})",
            "leave out --account-id: the URL's account is used",
        )
    return ref


def _from_url(url: str, given: str) -> BuildRef:
    parts = urlsplit(url)
    if (parts.hostname or "").lower() != "dash.cloudflare.com":
        raise UsageError(f"not a Cloudflare dashboard URL: {given!r}", URL_HINT)
    segments = [unquote(s) for s in parts.path.split("/") if s]
    shape = len(segments) == 8 and segments[1:4] == ["workers", "services", "view"]
    if not shape or segments[6] != "builds":
        raise UsageError(f"not the dashboard URL of a build: {given!r}", URL_HINT)
    account, worker, environment, uuid = segments[0], segments[4], segments[5], segments[7]
    if not ACCOUNT_RE.fullmatch(account):
        raise UsageError(f"the URL's account id is not 32 hex digits: {account!r}", URL_HINT)
    if not UUID_RE.fullmatch(uuid):
        raise UsageError(f"the URL's build UUID is malformed: {uuid!r}", URL_HINT)
    return BuildRef(uuid.lower(), account.lower(), worker, environment)


def dashboard_url(
    account_id: str | None, worker: str | None, build_uuid: str, environment: str | None = None
) -> str | None:
    """The build's page in the dashboard, when its account and Worker name are known."""
    if not account_id or not worker:
        return None
    parts = [quote(p, safe="") for p in (account_id, worker, environment or DEFAULT_ENVIRONMENT)]
    return (
        f"{DASHBOARD}/{parts[0]}/workers/services/view/{parts[1]}/{parts[2]}"
        f"/builds/{quote(build_uuid, safe='')}"
    )
