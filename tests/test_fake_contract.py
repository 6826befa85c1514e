"""The fake API is faithful: every kind of answer it gives validates against the official schema."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from cloudflare_buildlogs import fake_api

from .conftest import ACCOUNT, BUILD, SENTINEL

SPEC = json.loads((Path(__file__).parent / "cloudflare-builds-openapi.json").read_text())
# Two known flaws of the official schema, relaxed here and nowhere else; everything else is
# checked as published.
# 1. `build_outcome` is typed ["string", "null"] but also `allOf` an enum of strings, which makes
#    null invalid, while the API (and Cloudflare's docs) send null until a build stops.
# 2. The shared envelope types `result` as object or null, and listBuildsByScript's `allOf` adds
#    an array: no list of builds could satisfy both.
SPEC["components"]["schemas"]["builds_APIResponse"]["properties"]["result"]["type"].append("array")
_OUTCOME = SPEC["components"]["schemas"]["builds_BuildResponse"]["properties"]["build_outcome"]
assert _OUTCOME.pop("allOf") == [{"$ref": "#/components/schemas/builds_BuildOutcome"}]
_OUTCOME["enum"] = [*SPEC["components"]["schemas"]["builds_BuildOutcome"]["enum"], None]
URI = "urn:cloudflare-builds-openapi"
REGISTRY: Registry = Registry().with_resource(
    URI, Resource.from_contents(SPEC, default_specification=DRAFT202012)
)
PREFIX = "/accounts/{account_id}/builds"
LIVE = "11111111-2222-4333-8444-555555555555"
TAG = fake_api.DEMO_WORKER_TAG
DEFAULT_TRIGGER = fake_api.DEFAULT_TRIGGER


def schema_at(pointer: str) -> dict[str, Any]:
    return {"$ref": f"{URI}#{pointer}"}


def response_schema(path: str, status: str = "200", method: str = "get") -> dict[str, Any]:
    response = SPEC["paths"][PREFIX + path][method]["responses"][status]
    if "$ref" in response:  # a shared response under components/responses
        response = SPEC["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    schema: dict[str, Any] = response["content"]["application/json"]["schema"]
    return _inline(schema)


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """A schema taken out of the document, its references still pointing into it."""
    text = json.dumps(schema).replace('"#/components/', f'"{URI}#/components/')
    result: dict[str, Any] = json.loads(text)
    return result


ERROR_SCHEMA = schema_at("/components/schemas/builds_ErrorResponse")
ENVELOPE_SCHEMA = schema_at("/components/schemas/builds_APIResponse")


def validate(body: Any, schema: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(schema, registry=REGISTRY).validate(body)


@pytest.fixture
def client(state: fake_api.State, server: fake_api.FakeServer) -> Iterator[httpx.Client]:
    state.page_size = 3
    state.add(
        fake_api.FakeBuild(
            BUILD,
            [[1700000000 + i, f"line {i}"] for i in range(7)],
            preview_url="https://0a1b2c3d-my-worker.acme.workers.dev",
        )
    )
    state.add(
        fake_api.FakeBuild(
            "99999999-2222-4333-8444-555555555555", [[1, 2], ["a", "b"], [1.5, -2]], millis=True
        )
    )
    clock = [100.0]
    state.clock = lambda: clock[0]
    state.add(
        fake_api.FakeBuild(
            LIVE, fake_api.GeneratedLines(50), live=fake_api.Live(started=99.0, lines_per_s=5)
        )
    )
    state.scripts.append({"id": "my-worker", "tag": TAG})
    with httpx.Client(
        base_url=server.url + f"/accounts/{ACCOUNT}",
        headers={"Authorization": f"Bearer {SENTINEL}"},
    ) as http:
        yield http


@pytest.fixture
def bare(server: fake_api.FakeServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url) as http:
        yield http


def test_every_success_answer_matches_the_schema(
    client: httpx.Client, state: fake_api.State
) -> None:
    answers = []
    cursor = None
    for _ in range(4):  # first, middle and last pages of a stopped build
        body = client.get(
            f"/builds/builds/{BUILD}/logs", params={"cursor": cursor} if cursor else None
        ).json()
        answers.append(("/builds/{build_uuid}/logs", body))
        cursor = body["result"].get("cursor")
        if not body["result"]["truncated"]:
            break
    assert not body["result"]["truncated"] and len(answers) == 3
    answers.append(
        (
            "/builds/{build_uuid}/logs",
            client.get("/builds/builds/99999999-2222-4333-8444-555555555555/logs").json(),
        )
    )
    for caught_up in ("cursor", "none"):
        assert state.builds[LIVE].live is not None
        state.builds[LIVE].live.caught_up = caught_up
        answers.append(
            ("/builds/{build_uuid}/logs", client.get(f"/builds/builds/{LIVE}/logs").json())
        )
    answers.append(("/builds/{build_uuid}", client.get(f"/builds/builds/{BUILD}").json()))
    assert answers[-1][1]["result"]["preview_url"].startswith("https://")  # checked below
    answers.append(("/builds/{build_uuid}", client.get(f"/builds/builds/{LIVE}").json()))
    answers.append(
        (
            "/workers/{external_script_id}/builds",
            client.get(f"/builds/workers/{TAG}/builds", params={"per_page": 1}).json(),
        )
    )
    answers.append(
        (
            "/workers/{external_script_id}/triggers",
            client.get(f"/builds/workers/{TAG}/triggers").json(),
        )
    )
    answers.append(
        (
            "/builds/latest",
            client.get("/builds/builds/latest", params={"external_script_ids": TAG}).json(),
        )
    )
    for path, body in answers:
        assert body["success"] is True
        validate(body, response_schema(path))


@pytest.mark.parametrize("kind", ["endless", "repeat-cursor"])
def test_misbehaving_log_pages_still_match_the_schema(
    client: httpx.Client, state: fake_api.State, kind: str
) -> None:
    state.faults.append(fake_api.Fault(kind))
    body = client.get(f"/builds/builds/{BUILD}/logs").json()
    validate(body, response_schema("/builds/{build_uuid}/logs"))
    assert body["result"]["truncated"] is True


@pytest.mark.parametrize("kind", ["429", "500", "502", "503", "unsuccessful"])
def test_fault_answers_match_the_error_schema(
    client: httpx.Client, state: fake_api.State, kind: str
) -> None:
    state.faults.append(fake_api.Fault(kind, retry_after="3"))
    response = client.get(f"/builds/builds/{BUILD}/logs")
    assert response.status_code == (200 if kind == "unsuccessful" else int(kind))
    validate(response.json(), ERROR_SCHEMA)
    assert response.json()["success"] is False
    if kind == "429":
        assert response.headers["retry-after"] == "3"


def test_error_answers_match_the_schema(
    client: httpx.Client, state: fake_api.State, bare: httpx.Client
) -> None:
    state.tokens["owned"] = fake_api.Token(account_owned=True)
    state.tokens["noperm"] = fake_api.Token(can_read_builds=False)
    cases = [
        (
            client.get("/builds/builds/00000000-0000-4000-8000-000000000000"),
            404,
            "/builds/{build_uuid}",
        ),
        (
            bare.get(f"/accounts/{ACCOUNT}/builds/builds/{BUILD}/logs"),
            401,
            "/builds/{build_uuid}/logs",
        ),
        (
            bare.get(
                f"/accounts/{ACCOUNT}/builds/builds/{BUILD}",
                headers={"Authorization": "Bearer nope"},
            ),
            401,
            None,
        ),
        (
            bare.get(
                f"/accounts/{ACCOUNT}/builds/builds/{BUILD}",
                headers={"Authorization": "Bearer owned"},
            ),
            401,
            None,
        ),
        (
            bare.get(
                f"/accounts/{ACCOUNT}/builds/builds/{BUILD}",
                headers={"Authorization": "Bearer noperm"},
            ),
            403,
            None,
        ),
        (
            bare.get(
                f"/accounts/{ACCOUNT}/builds/builds/{BUILD}", headers={"Authorization": "Basic x"}
            ),
            400,
            None,
        ),
        (client.get("/../../accounts/ffffffffffffffffffffffffffffffff/builds/builds/x"), 404, None),
    ]
    for response, status, path in cases:
        assert response.status_code == status, response.text
        validate(response.json(), ERROR_SCHEMA)
        if path is not None:
            validate(response.json(), response_schema(path, str(status)))


def test_the_writes_answer_as_the_schema_says(
    client: httpx.Client, state: fake_api.State, bare: httpx.Client
) -> None:
    trigger = f"/builds/triggers/{fake_api.DEFAULT_TRIGGER}"
    body = {"branch": "main", "commit_hash": "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432"}
    request = SPEC["paths"][PREFIX + "/triggers/{trigger_uuid}/builds"]["post"]["requestBody"]
    validate(body, _inline(request["content"]["application/json"]["schema"]))
    started = client.post(f"{trigger}/builds", json=body)
    assert started.status_code == 200, started.text
    validate(started.json(), response_schema("/triggers/{trigger_uuid}/builds", method="post"))
    new = started.json()["result"]
    assert new["status"] == "queued" and new["trigger"]["trigger_uuid"] == DEFAULT_TRIGGER
    purged = client.post(f"{trigger}/purge_build_cache")
    validate(
        purged.json(), response_schema("/triggers/{trigger_uuid}/purge_build_cache", method="post")
    )
    cancelled = client.put(f"/builds/builds/{new['build_uuid']}/cancel")
    assert cancelled.json()["result"]["build_outcome"] == "cancelled"
    validate(cancelled.json(), response_schema("/builds/{build_uuid}/cancel", method="put"))
    assert [kind for kind, _, _ in state.writes] == ["start_build", "purge", "cancel"]

    again = client.put(f"/builds/builds/{new['build_uuid']}/cancel")  # it has stopped
    assert again.status_code == 400
    validate(again.json(), ERROR_SCHEMA)
    state.tokens["read-only"] = fake_api.Token(can_write_builds=False)
    refused = bare.post(
        f"/accounts/{ACCOUNT}{trigger}/builds",
        json=body,
        headers={"Authorization": "Bearer read-only"},
    )
    assert refused.status_code == 403
    validate(refused.json(), ERROR_SCHEMA)
    for answer in (
        client.post("/builds/triggers/00000000-0000-4000-8000-000000000000/builds", json=body),
        client.put("/builds/builds/00000000-0000-4000-8000-000000000000/cancel"),
    ):
        assert answer.status_code == 404
        validate(answer.json(), ERROR_SCHEMA)
    assert client.post(f"{trigger}/builds", json={}).status_code == 400
    assert len(state.writes) == 3


def test_answers_outside_the_builds_schema_are_still_envelopes(bare: httpx.Client) -> None:
    auth = {"Authorization": f"Bearer {SENTINEL}"}
    validate(bare.get("/user/tokens/verify", headers=auth).json(), ENVELOPE_SCHEMA)
    accounts = bare.get("/accounts", params={"page": 1, "per_page": 20}, headers=auth).json()
    assert accounts["success"] is True and accounts["result"][0]["id"] == ACCOUNT
    assert accounts["result_info"]["total_pages"] == 1


def test_the_contract_check_can_fail() -> None:
    broken = {
        "success": True,
        "errors": [],
        "messages": [],
        "result": {"lines": [[1, "a", "extra"]]},
    }
    with pytest.raises(jsonschema.ValidationError):
        validate(broken, response_schema("/builds/{build_uuid}/logs"))
    with pytest.raises(jsonschema.ValidationError):
        validate(
            {"success": True, "errors": [], "messages": [], "result": {"status": "exploded"}},
            response_schema("/builds/{build_uuid}"),
        )
