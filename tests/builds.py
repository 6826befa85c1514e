"""Logs shaped like real Workers builds (a success and a failed deploy), and builds to match."""

from __future__ import annotations

from cloudflare_buildlogs.fake_api import _DEMO_FAILED_LOG, _DEMO_LOG
from cloudflare_buildlogs.models import Build, BuildStatus

SUCCESS_LOG = _DEMO_LOG.splitlines()
FAILED_LOG = _DEMO_FAILED_LOG.splitlines()


def build(outcome: str | None, *, status: str = "stopped", stopped_on: str | None = None) -> Build:
    return Build(
        build_uuid="5b1d8f2e-7c3a-4e9b-a6d0-1f2e3d4c5b6a",
        status=BuildStatus(status),
        outcome=outcome,
        created_on="2023-11-14T22:13:20Z",
        running_on="2023-11-14T22:13:20Z",
        stopped_on=stopped_on if status == "stopped" else None,
        worker_tag="a1b2c3d4e5f60718293a4b5c6d7e8f90",
        trigger_name=None,
        branch="main",
        commit_hash="9f8e7d6c5b4a39281706f5e4d3c2b1a098765432",
        commit_message=None,
        trigger_source="push",
    )
