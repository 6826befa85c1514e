"""Accounts found from a token, kept without a profile: `accounts.json` beside the config, a
digest of the credential mapped to its account id (README, "Commands": found once and
remembered).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..models import Credentials
from .config import Setting
from .files import write_private


def _fingerprint(api_url: str | None, credentials: Credentials) -> str:
    """Names a credential without holding it: a digest of the API URL and the secret."""
    import hashlib  # only when an account must be looked up or remembered

    secret = credentials.token or f"{credentials.email}:{credentials.api_key}"
    return hashlib.sha256(f"{api_url}\n{secret}".encode()).hexdigest()[:32]


def _known_accounts(path: Path) -> dict[str, Any]:
    """accounts.json: credential digest -> account id; empty when missing or unreadable."""
    try:
        known = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return known if isinstance(known, dict) else {}


def remembered_account(path: Path, api_url: str | None, credentials: Credentials) -> Setting:
    """The account found earlier for this credential (README, "Commands": found once and
    remembered), when no profile exists to hold it."""
    value = _known_accounts(path).get(_fingerprint(api_url, credentials))
    if isinstance(value, str) and value:
        return Setting(value, f"remembered for this credential in {path}")
    return Setting(None, "unset")


def remember_account(
    path: Path, api_url: str | None, credentials: Credentials, account_id: str
) -> None:
    """Keep the account found for a credential (its digest, never the secret); mode 0600."""
    known = _known_accounts(path)
    known[_fingerprint(api_url, credentials)] = account_id
    write_private(path, json.dumps(known, indent=1) + "\n")
