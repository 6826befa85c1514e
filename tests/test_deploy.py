"""What a build deployed, read from wrangler's lines in its deploy phase (README, "What was
deployed"): logs shaped like real wrangler 3 and 4 output, each kind of false green, and
look-alike lines outside the deploy phase; then the summary's text, Markdown and JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest
from markdown_it import MarkdownIt

from cloudflare_buildlogs import cli, fake_api
from cloudflare_buildlogs.analysis.deploy import MAX_DEPLOYMENTS
from cloudflare_buildlogs.analysis.pipeline import Collector, Discard, Pipeline
from cloudflare_buildlogs.models import parse_lines
from cloudflare_buildlogs.output.summary import Summary, make_summary, to_json, to_markdown, to_text

from .builds import FAILED_LOG, SUCCESS_LOG, build
from .conftest import BUILD, api_environ, make_env

T0 = 1_700_000_000

BEFORE_DEPLOY = SUCCESS_LOG[
    : SUCCESS_LOG.index("Executing user deploy command: npx wrangler deploy")
]

WRANGLER_3 = [
    "Executing user deploy command: npx wrangler deploy",
    " ⛅️ wrangler 3.114.0 (update available 4.20.0)",
    "-------------------------------------------------------",
    "",
    "Total Upload: 120.55 KiB / gzip: 28.41 KiB",
    "Worker Startup Time: 18 ms",
    "Your worker has access to the following bindings:",
    "- Vars:",
    '  - ENVIRONMENT: "production"',
    "Uploaded api-worker (3.21 sec)",
    "Deployed api-worker triggers (1.02 sec)",
    "  https://api-worker.acme.workers.dev",
    "  api.example.com/*",
    "  schedule: */15 * * * *",
    "  Consumer for jobs-queue",
    "Current Deployment ID: 0e0c3f2a-7d1b-4c55-9a0e-3b1c2d4e5f60",
    "Current Version ID: 3F1C2D4E-5A6B-4C7D-8E9F-0A1B2C3D4E5F",
    "",
    "",
    'NOTE: "Deployment ID" in this output will be replaced with "Version ID" in a future '
    "version of Wrangler.",
    "Success: Build completed",
]

VERSIONS_UPLOAD = [
    "Executing user deploy command: npx wrangler versions upload",
    " \x1b[33m⛅️ wrangler\x1b[0m 4.20.0",
    "\x1b[2m───────────────────\x1b[22m",
    "Total Upload: 41.23 KiB / gzip: 9.87 KiB",
    "Worker Startup Time: 11 ms",
    "Uploaded my-worker (2.02 sec)",
    "Worker Version ID: 6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "Version Preview URL: https://6a1b2c3d-my-worker.acme.workers.dev",
    "Version Preview Alias URL: https://feature-login-my-worker.acme.workers.dev",
    "To deploy this version to production traffic use the command wrangler versions deploy",
    "Success: Build completed",
]

TWO_WORKERS = [
    "Executing user deploy command: npx wrangler deploy -c api/wrangler.toml && npx wrangler "
    "deploy -c web/wrangler.toml",
    " ⛅️ wrangler 4.20.0",
    "Total Upload: 10.00 KiB / gzip: 3.00 KiB",
    "Uploaded api (1.10 sec)",
    "Deployed api triggers (0.40 sec)",
    "  https://api.acme.workers.dev",
    "Current Version ID: 11111111-2222-4333-8444-555555555555",
    " ⛅️ wrangler 4.20.0",
    "🌀 Starting asset upload...",
    "Uploaded 1 of 2 assets",
    "Uploaded 2 of 2 assets",
    "✨ Success! Uploaded 2 files (1.07 sec)",
    "Total Upload: 20.00 KiB / gzip: 6.00 KiB",
    "Worker Startup Time: 5 ms",
    "Uploaded web (2.20 sec)",
    "Deployed web triggers (0.50 sec)",
    "  https://web.acme.workers.dev",
    "  www.example.com/*",
    "Current Version ID: 66666666-7777-4888-9999-aaaaaaaaaaaa",
    "Success: Build completed",
]

NO_PROJECTS = [
    "Executing user deploy command: pnpm --filter my-wroker run deploy",
    'No projects matched the filters in "/opt/buildhome/repo"',
    "Success: Build completed",
]

USAGE = [
    "Executing user deploy command: npx wrangler",
    "wrangler",
    "",
    "COMMANDS",
    "  wrangler docs [search..]  📚 Open Wrangler's command documentation in your browser",
    "  wrangler deploy [script]  🆙 Deploy a Worker to Cloudflare",
    "",
    "GLOBAL FLAGS",
    "  -c, --config  Path to Wrangler configuration file  [string]",
    "Success: Build completed",
]

NO_DEPLOY_STEP = ["Success: Build completed"]

CUSTOM = [
    "Executing user deploy command: ./scripts/deploy.sh",
    "deploying to the edge...",
    "done",
    "Success: Build completed",
]

# A build script that prints what wrangler prints: not a deployment.
LOOK_ALIKE_BUILD = [
    *BEFORE_DEPLOY,
    "Uploaded my-worker (0.01 sec)",
    "Current Version ID: 8c2f1a4e-55b7-4f1e-9d3a-0e6c7b2a9f11",
    "Version Preview URL: https://evil.workers.dev",
]


def read(
    messages: list[str], outcome: str | None = "success", preview: str | None = None
) -> Summary:
    pipeline = Pipeline(Discard(), Discard(), collector=Collector(3))
    lines = parse_lines([[T0 + i, m] for i, m in enumerate(messages)])
    for start in range(0, len(lines), 7):  # pages of 7: a deployment spans pages
        pipeline.write(lines[start : start + 7])
    assert pipeline.collector is not None
    record = build(outcome, stopped_on="2023-11-14T22:15:03Z")._replace(preview_url=preview)
    return make_summary(BUILD, record, pipeline.tracker, pipeline.collector, worker="my-worker")


def deployments(s: Summary) -> list[dict[str, Any]]:
    return list(to_json(s)["deployments"])


def test_wrangler_4_deploy() -> None:
    s = read(SUCCESS_LOG)
    assert deployments(s) == [
        {
            "worker": "my-worker",
            "kind": "deploy",
            "version_id": "8c2f1a4e-55b7-4f1e-9d3a-0e6c7b2a9f11",
            "urls": ["https://my-worker.example.workers.dev"],
            "triggers": [],
            "preview_url": None,
            "preview_alias_url": None,
            "upload": "41.23 KiB / gzip: 9.87 KiB",
            "startup_ms": 12,
            "wrangler": "4.20.0",
        }
    ]
    assert to_json(s)["deployed"] is True
    assert "deployed my-worker version 8c2f1a4e-55b7-4f1e-9d3a-0e6c7b2a9f11" in to_text(s)


def test_wrangler_3_deploy_with_routes_schedules_and_queues() -> None:
    (d,) = deployments(read(BEFORE_DEPLOY + WRANGLER_3))
    assert d["worker"] == "api-worker" and d["kind"] == "deploy" and d["wrangler"] == "3.114.0"
    assert d["version_id"] == "3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f"  # not the deployment id
    assert d["urls"] == ["https://api-worker.acme.workers.dev"]
    assert d["triggers"] == [
        "api.example.com/*",
        "schedule: */15 * * * *",
        "Consumer for jobs-queue",
    ]
    assert (d["upload"], d["startup_ms"]) == ("120.55 KiB / gzip: 28.41 KiB", 18)


def test_versions_upload_with_preview_urls() -> None:
    s = read(BEFORE_DEPLOY + VERSIONS_UPLOAD, preview="https://from-the-record.workers.dev")
    (d,) = deployments(s)
    assert d["kind"] == "version" and d["version_id"] == "6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    assert d["preview_url"] == "https://6a1b2c3d-my-worker.acme.workers.dev"  # the log's wins
    assert d["preview_alias_url"] == "https://feature-login-my-worker.acme.workers.dev"
    assert d["wrangler"] == "4.20.0" and d["urls"] == []
    assert s.deployed is True
    assert (
        "uploaded my-worker version 6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d (not deployed)"
        in to_text(s)
    )


def test_the_records_preview_url_when_the_log_gives_none() -> None:
    lines = [line for line in VERSIONS_UPLOAD if "Preview URL" not in line]
    (d,) = deployments(
        read(BEFORE_DEPLOY + lines, preview="https://abc-my-worker.acme.workers.dev")
    )
    assert d["preview_url"] == "https://abc-my-worker.acme.workers.dev"


def test_two_workers_deployed_by_one_build() -> None:
    found = deployments(read(BEFORE_DEPLOY + TWO_WORKERS))
    assert [(d["worker"], d["version_id"], d["urls"]) for d in found] == [
        ("api", "11111111-2222-4333-8444-555555555555", ["https://api.acme.workers.dev"]),
        ("web", "66666666-7777-4888-9999-aaaaaaaaaaaa", ["https://web.acme.workers.dev"]),
    ]
    # Each run's own banner, upload and startup time; the asset upload lines start nothing.
    assert [(d["upload"], d["startup_ms"]) for d in found] == [
        ("10.00 KiB / gzip: 3.00 KiB", None),
        ("20.00 KiB / gzip: 6.00 KiB", 5),
    ]
    assert found[1]["triggers"] == ["www.example.com/*"]


def test_a_failed_deploy_deployed_nothing_and_is_no_false_green() -> None:
    s = read(FAILED_LOG, outcome="fail")
    assert to_json(s)["deployed"] is None and to_json(s)["deployments"] == []
    assert s.not_deployed is None and "deployed nothing" not in to_text(s)


def test_a_running_build_has_not_deployed_yet() -> None:
    pipeline = Pipeline(Discard(), Discard(), collector=Collector(3))
    pipeline.write(parse_lines([[T0, m] for m in SUCCESS_LOG]))
    assert pipeline.collector is not None
    s = make_summary(BUILD, build(None, status="running"), pipeline.tracker, pipeline.collector)
    assert s.deployed is None and len(s.deployments) == 1


@pytest.mark.parametrize(
    ("deploy", "why"),
    [
        (NO_PROJECTS, "matched no project"),
        (USAGE, "printed its usage"),
        (NO_DEPLOY_STEP, "no deploy step"),
        (CUSTOM, None),  # a custom command that prints nothing of wrangler's: no reason known
    ],
)
def test_each_false_green_is_said_with_its_reason(deploy: list[str], why: str | None) -> None:
    s = read(BEFORE_DEPLOY + deploy)
    assert to_json(s)["deployed"] is False
    text, markdown = to_text(s), to_markdown(s)
    assert "deployed nothing" in text and "deployed nothing" in markdown
    assert markdown.startswith("### ⚠️ `my-worker`: build succeeded")
    if why is None:
        assert s.not_deployed is None
    else:
        assert s.not_deployed is not None and why in s.not_deployed.text
        assert to_json(s)["hints"][0]["text"] == s.not_deployed.text
        assert why in text and why in markdown


def test_a_skipped_build_is_no_false_green() -> None:
    assert read(BEFORE_DEPLOY + NO_DEPLOY_STEP, outcome="skipped").deployed is None


def test_look_alike_lines_outside_the_deploy_phase_do_not_count() -> None:
    s = read(LOOK_ALIKE_BUILD + CUSTOM)
    assert s.deployments == [] and s.deployed is False


def test_a_deployments_count_is_bounded() -> None:
    many = ["Executing user deploy command: x"] + [f"Uploaded w{i} (1 sec)" for i in range(500)]
    assert len(read(many).deployments) == MAX_DEPLOYMENTS


def test_a_hostile_deploy_phase_reaches_markdown_only_as_code_or_allowed_links() -> None:
    hostile = [
        "Executing user deploy command: npx wrangler deploy",
        "Uploaded @octocat<img/src=x> (1.0 sec)",
        "Uploaded [x](https://evil.example)*bold* (1.0 sec)",
        "Uploaded `x`@team (1.0 sec)",
        "Deployed x triggers (1.0 sec)",
        "  https://evil.example/](https://phish.example)",
        "  https://good.acme.workers.dev",
        "Current Version ID: 8c2f1a4e-55b7-4f1e-9d3a-0e6c7b2a9f11",
        "Success: Build completed",
    ]
    markdown = to_markdown(read(BEFORE_DEPLOY + hostile))
    tokens = [t for block in MarkdownIt().parse(markdown) for t in (block.children or [])]
    links = [t.attrs.get("href") for t in tokens if t.type == "link_open"]
    assert links == ["https://good.acme.workers.dev"]
    assert not [t for t in tokens if t.type in ("html_inline", "image", "em_open", "strong_open")]
    assert "`https://evil.example/](https://phish.example)`" in markdown


def test_summary_json_over_the_api_gives_the_deployment_and_the_records_preview(
    state: fake_api.State, server: fake_api.FakeServer
) -> None:
    lines = [[T0 + i, m] for i, m in enumerate(BEFORE_DEPLOY + VERSIONS_UPLOAD[:6])]
    state.add(
        fake_api.FakeBuild(BUILD, lines, preview_url="https://0a1b2c3d-my-worker.acme.workers.dev")
    )
    captured = make_env(api_environ(server))
    code = cli.run(["summary", BUILD, "-o", "json"], captured.env)
    assert code == 0, captured.err.getvalue()
    summary = json.loads(captured.out.getvalue())
    assert summary["deployed"] is False  # an upload with no version id: a false green
    assert summary["deployments"][0]["preview_url"] == "https://0a1b2c3d-my-worker.acme.workers.dev"
    captured = make_env(api_environ(server))
    state.builds[BUILD].lines = [[T0 + i, m] for i, m in enumerate(BEFORE_DEPLOY + VERSIONS_UPLOAD)]
    code = cli.run(["summary", BUILD, "-o", "json", "--no-cache"], captured.env)
    summary = json.loads(captured.out.getvalue())
    assert summary["deployed"] is True
    assert summary["deployments"][0]["preview_url"] == "https://6a1b2c3d-my-worker.acme.workers.dev"


def test_wrangler_lines_inside_a_multi_line_message_count() -> None:
    joined = "\n".join(
        SUCCESS_LOG[SUCCESS_LOG.index("Executing user deploy command: npx wrangler deploy") + 1 :]
    )
    s = read([*BEFORE_DEPLOY, "Executing user deploy command: npx wrangler deploy", "x\n" + joined])
    assert s.deployed is True and deployments(s)[0]["urls"] == [
        "https://my-worker.example.workers.dev"
    ]
