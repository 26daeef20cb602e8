"""Every operation of the operation table answers over real HTTP with its documented success status,
a body valid under its response schema, and JSON headers — driven from the table itself, so an
operation added to it without a route fails here."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from conformance.contract.operations import ENTITIES, OPERATIONS, Entity, Operation
from conformance.profiles import TIMEBACK
from conformance.reference import create_app

from ._support import TLS, Api, G, assert_imsx, assert_valid, call, fill, uid

LESSON = "fx-lesson-unit-test-edulastic"


def _call(api: Api, op: Operation, path: str) -> httpx.Response:
    if op.service != "powerpath":
        return call(api, op, path, TIMEBACK)
    student = "fx-student-3"
    if op.id == "makeExternalTestAssignment":
        return api.post(path, {"student": student, "lesson": LESSON})
    assert api.post("/powerpath/makeExternalTestAssignment", {"student": student, "lesson": LESSON}).status_code == 200
    return api.get(path, params={"student": student, "lesson": LESSON})


@pytest.mark.network
@pytest.mark.parametrize("op", OPERATIONS, ids=str)
def test_every_operation_succeeds_over_http(api: Api, op: Operation) -> None:
    response = _call(api, op, fill(api, op, TIMEBACK))
    assert response.status_code == op.success[0], (response.status_code, response.text[:400])
    if response.status_code == 204:
        assert response.content == b""
        return
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content)
    if op.response:
        assert_valid(op.response, response.json())


@pytest.mark.network
@pytest.mark.parametrize("entity", ENTITIES, ids=lambda e: e.plural)
def test_collections_answer_with_and_without_the_trailing_slash(api: Api, entity: Entity) -> None:
    plural = entity.plural
    with_slash, without = api.get(f"{G}/{plural}/"), api.get(f"{G}/{plural}")
    assert with_slash.status_code == without.status_code == 200
    assert with_slash.json()["totalCount"] == without.json()["totalCount"]
    assert plural in without.json()


@pytest.mark.network
def test_a_wrong_method_is_405_with_allow(api: Api) -> None:
    response = api.post(f"{G}/results/{uid()}", {"result": {}})
    body = assert_imsx(response, 405, "invaliddata")
    assert response.headers["allow"] == "DELETE, GET, PUT"
    assert "POST" in body["imsx_description"]


@pytest.mark.network
@pytest.mark.parametrize("method", ["QUERY", "PURGE"])
def test_a_method_outside_the_usual_set_is_405_with_allow_too(api: Api, method: str) -> None:
    response = api.request(method, f"{G}/lineItems")
    assert_imsx(response, 405, "invaliddata")
    assert response.headers["allow"] in ("GET, POST", "GET")


@pytest.mark.network
@pytest.mark.parametrize("path", [f"{G}/nothing", f"{G}/results/a/b", "/", f"{G}/results/x/"])
def test_unknown_paths_are_imsx_404(api: Api, path: str) -> None:
    assert_imsx(api.get(path), 404, "unknownobject", "Unknown path.")


@pytest.mark.network
def test_discovery_needs_no_token(api: Api) -> None:
    response = httpx.get(f"{api.base_url}/.well-known/oneroster-conformance", timeout=5, verify=TLS)
    assert response.status_code == 200
    assert response.json() == {
        "toolControl": "/_conformance/tools",
        "tokenControl": "/_conformance/tokens",
        "tokenPath": "/oauth2/token",
    }


def test_create_app_serves_in_process_over_asgi() -> None:
    """create_app needs no socket: httpx's ASGITransport drives it directly (for fast unit tests)."""

    async def scenario() -> tuple[int, int, dict[str, Any]]:
        app = create_app(client_id="c", client_secret="s")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://reference") as client:
            form = {"grant_type": "client_credentials", "client_id": "c", "client_secret": "s"}
            token = (await client.post("/oauth2/token", data=form)).json()["access_token"]
            client.headers["Authorization"] = f"Bearer {token}"
            put = await client.put(f"{G}/categories/in-process", json={"category": {"status": "active", "title": "x"}})
            got = await client.get(f"{G}/categories/in-process")
            return put.status_code, got.status_code, got.json()

    put, got, body = asyncio.run(scenario())
    assert (put, got) == (201, 200) and body["category"]["title"] == "x"
