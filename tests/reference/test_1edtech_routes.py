"""The reference server's 1edtech profile serves the official binding over real HTTP: every operation
of its table with the documented status and a body valid under the 1edtech schemas; 201 without a
body for PUT; sourcedIdPairs as an array; X-Total-Count on every collection; 405 for what the
binding does not have (PATCH, single-record POST); and nothing of PowerPath or the tool doubles."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from conformance.contract.operations import ENTITIES, ENTITY, Entity, Operation, operations

from ._official import OFFICIAL, assert_error, assert_valid, line_item, record, result
from ._support import TLS, Api, G, ThreadServer, call, fill, uid

pytestmark = pytest.mark.network
TABLE = operations(OFFICIAL)


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    with ThreadServer(profile=OFFICIAL) as server:
        client = Api(server.base_url)
        yield client
        client.close()


def test_the_table_is_the_official_one() -> None:
    assert len(TABLE) == 35
    assert not [op for op in TABLE if op.method == "PATCH" or op.service != "gradebook"]


@pytest.mark.parametrize("op", TABLE, ids=str)
def test_every_operation_succeeds_over_http(api: Api, op: Operation) -> None:
    response = call(api, op, fill(api, op, OFFICIAL), OFFICIAL)
    assert response.status_code == op.success[0], (response.status_code, response.text[:400])
    if op.response is None:  # PUT (201) and DELETE (204): no body at all
        assert response.content == b"" and "content-type" not in response.headers
        return
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content)
    assert_valid(op.response, response.json())
    if op.method == "GET" and op.response.endswith(".collection"):
        assert int(response.headers["x-total-count"]) >= len(response.json()[ENTITY[op.entity or ""].plural])


@pytest.mark.parametrize("entity", ENTITIES, ids=lambda e: e.plural)
def test_put_stores_what_was_sent_plus_the_server_fields(api: Api, entity: Entity) -> None:
    sourced_id = uid(entity.singular)
    sent = record(entity.singular, sourced_id, metadata={"k": [1, 2]})
    response = api.put(f"{G}/{entity.plural}/{sourced_id}", {entity.singular: sent})
    assert (response.status_code, response.content) == (201, b"")
    got = api.get(f"{G}/{entity.plural}/{sourced_id}")
    assert got.status_code == 200
    assert_valid(f"{entity.singular}.single", got.json())
    stored = got.json()[entity.singular]
    assert stored["dateLastModified"] != sent["dateLastModified"]  # the server's, not the client's
    assert {k: v for k, v in stored.items() if k != "dateLastModified"} == {
        k: v for k, v in sent.items() if k != "dateLastModified"
    }


def test_put_on_an_existing_record_updates_it_with_201_and_no_body(api: Api) -> None:
    sourced_id = uid("r")
    first = api.put(f"{G}/results/{sourced_id}", {"result": result(sourced_id, comment="first")})
    second = api.put(f"{G}/results/{sourced_id}", {"result": result(sourced_id, comment="second")})
    assert (first.status_code, second.status_code, second.content) == (201, 201, b"")
    assert api.get(f"{G}/results/{sourced_id}").json()["result"]["comment"] == "second"


@pytest.mark.parametrize("change", [{"late": True}, {"comment": None}], ids=["boolean flag", "explicit null"])
def test_timeback_shaped_bodies_are_422(api: Api, change: dict[str, object]) -> None:
    sourced_id = uid("r")
    response = api.put(f"{G}/results/{sourced_id}", {"result": {**result(sourced_id), **change}})
    assert_error(response, 422, "invaliddata")
    assert api.get(f"{G}/results/{sourced_id}").status_code == 404


@pytest.mark.parametrize(
    ("change", "drop"),
    [
        ({"student": {"sourcedId": "fx-student-1"}}, ()),
        ({"scoreDate": "2024-03-01T10:00:00Z"}, ()),
        ({}, ("dateLastModified", "status")),
    ],
    ids=["reference without href and type", "date-time scoreDate", "no server-set members"],
)
def test_what_real_clients_send_the_timeback_way_is_taken(
    api: Api, change: dict[str, object], drop: tuple[str, ...]
) -> None:
    """Google Classroom's grade sync writes results this way; the variants that refuse it are readings
    (test_readings.py). What is stored is the binding's shape all the same."""
    sourced_id = uid("r")
    body = {k: v for k, v in {**result(sourced_id), **change}.items() if k not in drop}
    assert api.put(f"{G}/results/{sourced_id}", {"result": body}).status_code == 201
    got = api.get(f"{G}/results/{sourced_id}").json()
    assert_valid("result.single", got)
    assert got["result"]["student"]["type"] == "user" and got["result"]["scoreDate"] == "2024-03-01"


def test_a_reference_href_that_is_not_a_uri_is_422(api: Api) -> None:
    """The binding's href is format uri; a relative or non-ASCII one is not a URI."""
    for href in ("classes/fx-class-1", "https://sis.example.org/classes/é", "https://x/%zz"):
        sourced_id = uid("li")
        sent = {**line_item(sourced_id), "class": {"href": href, "sourcedId": "fx-class-1", "type": "class"}}
        response = api.put(f"{G}/lineItems/{sourced_id}", {"lineItem": sent})
        body = assert_error(response, 422, "invaliddata")
        assert "/lineItem/class/href" in body["imsx_description"], href


def test_bulk_post_answers_one_pair_per_record_and_stores_them(api: Api) -> None:
    line_item_id = uid("li")
    assert api.put(f"{G}/lineItems/{line_item_id}", {"lineItem": line_item(line_item_id)}).status_code == 201
    ids = [uid("r") for _ in range(3)]
    response = api.post(
        f"{G}/lineItems/{line_item_id}/results", {"results": [result(i, line_item_id="other") for i in ids]}
    )
    assert response.status_code == 201
    assert_valid("sourcedIdPairs", response.json())
    assert response.json() == {"sourcedIdPairs": [{"suppliedSourcedId": i, "allocatedSourcedId": i} for i in ids]}
    stored = api.get(f"{G}/results/{ids[0]}").json()["result"]
    # The path's line item wins over the body's, written as an official reference.
    assert stored["lineItem"]["sourcedId"] == line_item_id and stored["lineItem"]["type"] == "lineItem"
    assert stored["lineItem"]["href"].endswith(f"{G}/lineItems/{line_item_id}")
    listed = api.get(f"{G}/classes/fx-class-1/lineItems/{line_item_id}/results")
    assert sorted(r["sourcedId"] for r in listed.json()["results"]) == sorted(ids)
    assert listed.headers["x-total-count"] == "3"


def test_an_empty_bulk_post_stores_nothing_and_answers_no_pairs(api: Api) -> None:
    """The binding's set types require no member and no minimum count."""
    for body in ({}, {"lineItems": []}):
        response = api.post(f"{G}/classes/fx-class-1/lineItems", body)
        assert (response.status_code, response.json()) == (201, {"sourcedIdPairs": []})


def test_scoped_routes_check_their_parents(api: Api) -> None:
    body = assert_error(api.post(f"{G}/lineItems/{uid()}/results", {"results": [result(uid())]}), 404, "unknownobject")
    assert body["imsx_description"] == "Unknown Object: Line item not found."
    body = assert_error(api.get(f"{G}/classes/fx-class-1/students/nobody/results"), 404, "unknownobject")
    assert body["imsx_description"] == "Unknown Object: Class or student not found."


def test_collections_count_in_x_total_count_whatever_the_page(api: Api) -> None:
    prefix = uid("page")
    for i in range(3):
        assert api.put(f"{G}/categories/{prefix}-{i}", {"category": record("category", f"{prefix}-{i}")}).status_code
    page = api.get(f"{G}/categories", params={"filter": f"sourcedId~'{prefix}'", "limit": 1, "offset": 1})
    assert page.headers["x-total-count"] == "3"
    assert [c["sourcedId"] for c in page.json()["categories"]] == [f"{prefix}-1"]
    assert set(page.json()) == {"categories"}  # no TimeBack page fields


@pytest.mark.parametrize("entity", ENTITIES, ids=lambda e: e.plural)
def test_collections_also_answer_with_the_trailing_slash(api: Api, entity: Entity) -> None:
    without, with_slash = api.get(f"{G}/{entity.plural}"), api.get(f"{G}/{entity.plural}/")
    assert without.status_code == with_slash.status_code == 200
    assert without.headers["x-total-count"] == with_slash.headers["x-total-count"]


@pytest.mark.parametrize(
    "params",
    [{"fields": "sourcedId,title"}, [("fields", "sourcedId"), ("fields", "title")]],
    ids=["comma-separated", "exploded"],
)
def test_fields_is_an_array_in_form_style(api: Api, params: object) -> None:
    response = api.get(f"{G}/categories", params=params)  # type: ignore[arg-type]
    assert response.status_code == 200
    assert {frozenset(c) for c in response.json()["categories"]} == {frozenset({"sourcedId", "title"})}
    one = api.get(f"{G}/categories/fx-category-1", params=params)  # type: ignore[arg-type]
    assert one.json() == {"category": {"sourcedId": "fx-category-1", "title": "Homework"}}


def test_search_is_not_a_parameter_of_the_binding(api: Api) -> None:
    assert_error(api.get(f"{G}/results", params={"search": "x"}), 400, "invaliddata")


def test_delete_is_soft_and_a_second_delete_is_404(api: Api) -> None:
    sourced_id = uid("c")
    assert api.put(f"{G}/categories/{sourced_id}", {"category": record("category", sourced_id)}).status_code == 201
    deleted = api.delete(f"{G}/categories/{sourced_id}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert api.get(f"{G}/categories/{sourced_id}").json()["category"]["status"] == "tobedeleted"
    assert_error(api.delete(f"{G}/categories/{sourced_id}"), 404, "unknownobject")


@pytest.mark.parametrize("entity", ENTITIES, ids=lambda e: e.plural)
def test_unknown_ids_are_404_unknown_object(api: Api, entity: Entity) -> None:
    for response in (api.get(f"{G}/{entity.plural}/{uid()}"), api.delete(f"{G}/{entity.plural}/{uid()}")):
        body = assert_error(response, 404, "unknownobject")
        assert body["imsx_description"].startswith("Unknown Object")


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PATCH", f"{G}/assessmentResults/x", "DELETE, GET, PUT"),
        ("PATCH", f"{G}/assessmentLineItems/x", "DELETE, GET, PUT"),
        ("POST", f"{G}/results", "GET"),
        ("POST", f"{G}/lineItems/", "GET"),
        ("GET", f"{G}/schools/fx-school-1/lineItems", "POST"),  # the binding lists a school's score scales only
    ],
)
def test_what_the_binding_does_not_have_is_405(api: Api, method: str, path: str, allow: str) -> None:
    response = api.request(method, path, json={"result": {}})
    assert_error(response, 405, "invaliddata")
    assert response.headers["allow"] == allow


@pytest.mark.parametrize(
    "path",
    [
        "/powerpath/makeExternalTestAssignment",
        "/powerpath/getAssessmentProgress",
        "/_conformance/tools/enrollments",
        f"{G}/results/x/",
    ],
)
def test_powerpath_and_the_tool_doubles_are_absent(api: Api, path: str) -> None:
    assert_error(api.get(path), 404, "unknownobject")


def test_errors_are_official_imsx_without_timeback_details(api: Api) -> None:
    anonymous = httpx.get(f"{api.base_url}{G}/results", timeout=5, verify=TLS)
    assert_error(anonymous, 401, "unauthorisedrequest")
    body = assert_error(api.put(f"{G}/results/{uid()}", {"result": {"score": "x"}}), 422, "invaliddata")
    assert "/result/score: " in body["imsx_description"]  # every problem is named in the description


def test_limit_has_no_maximum_in_the_official_binding(api: Api) -> None:
    # The binding bounds limit from below only; a consumer asks for limit=10000 to read a class at once.
    answer = api.get(f"{G}/categories", params={"limit": "10000"})
    assert answer.status_code == 200, answer.text
    assert api.get(f"{G}/categories", params={"limit": "0"}).status_code == 400
