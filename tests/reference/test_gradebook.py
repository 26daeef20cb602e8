"""Gradebook behaviour: upsert, round trip, server-set fields, soft delete, POST creates and
sourcedIdPairs, the scoped routes and PATCH."""

from __future__ import annotations

import re
import time

import pytest

from conformance.contract.operations import ENTITIES, Entity

from ._records import assessment_result, line_item, record, result, score_scale
from ._support import Api, G, assert_imsx, assert_valid, uid

pytestmark = pytest.mark.network
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
BY_ENTITY = pytest.mark.parametrize("entity", ENTITIES, ids=lambda e: e.singular)


def _url(entity: Entity, sourced_id: str) -> str:
    return f"{G}/{entity.plural}/{sourced_id}"


@BY_ENTITY
def test_put_is_201_with_the_stored_record_under_the_path_id(api: Api, entity: Entity) -> None:
    sourced_id = uid()
    sent = record(entity.singular, sourcedId="body-id-ignored")
    response = api.put(_url(entity, sourced_id), {entity.singular: sent})
    assert response.status_code == 201
    stored = response.json()[entity.singular]
    assert stored["sourcedId"] == sourced_id
    assert STAMP.fullmatch(stored["dateLastModified"])
    assert {k: v for k, v in stored.items() if k not in ("sourcedId", "dateLastModified")} == {
        k: v for k, v in sent.items() if k != "sourcedId"
    }
    assert api.get(_url(entity, sourced_id)).json() == {entity.singular: stored}
    assert api.get(_url(entity, "body-id-ignored")).status_code == 404


def test_records_round_trip_exactly(api: Api) -> None:
    sent = result(
        score=87.125,
        scoreStatus="partially graded",
        textScore=None,
        comment=None,
        inProgress="false",
        metadata={"nested": {"list": [1, 2.5, None, "x"], "unicode": "é日本"}, "flag": False},
        learningObjectiveSet=[
            {
                "source": "case",
                "learningObjectiveResults": [{"learningObjectiveId": "lo-1", "score": 0.75, "textScore": "B"}],
            }
        ],
        scoreScale=None,
    )
    sent["class"] = None
    sourced_id = uid()
    api.put(f"{G}/results/{sourced_id}", {"result": sent})
    stored = api.get(f"{G}/results/{sourced_id}").json()["result"]
    assert stored.pop("dateLastModified")
    assert stored == {**sent, "sourcedId": sourced_id}
    assert list(stored)[: len(sent)] == list(sent)  # and in the order sent


def test_status_defaults_to_active_and_put_replaces_the_whole_record(api: Api) -> None:
    sourced_id = uid()
    body = result(comment="first")
    del body["status"]
    assert api.put(f"{G}/results/{sourced_id}", {"result": body}).json()["result"]["status"] == "active"
    second = result(score=10)
    stored = api.put(f"{G}/results/{sourced_id}", {"result": second}).json()["result"]
    assert "comment" not in stored and stored["score"] == 10


def test_date_last_modified_never_goes_back(api: Api) -> None:
    sourced_id = uid()
    url = f"{G}/assessmentLineItems/{sourced_id}"
    stamps = [
        api.put(url, {"assessmentLineItem": record("assessmentLineItem", title=str(i))}).json()["assessmentLineItem"][
            "dateLastModified"
        ]
        for i in range(5)
    ]
    time.sleep(0.01)
    stamps.append(
        api.patch(url, {"assessmentLineItem": {"title": "p"}}).json()["assessmentLineItem"]["dateLastModified"]
    )
    api.delete(url)
    stamps.append(api.get(url).json()["assessmentLineItem"]["dateLastModified"])
    assert stamps == sorted(stamps) and stamps[0] < stamps[-1]
    assert all(STAMP.fullmatch(s) for s in stamps)


@BY_ENTITY
def test_delete_is_soft_and_answers_404_afterwards(api: Api, entity: Entity) -> None:
    sourced_id = uid()
    created = api.put(_url(entity, sourced_id), {entity.singular: record(entity.singular)}).json()[entity.singular]
    response = api.delete(_url(entity, sourced_id))
    assert response.status_code == 204 and response.content == b""
    after = api.get(_url(entity, sourced_id))
    assert after.status_code == 200
    deleted = after.json()[entity.singular]
    assert deleted["status"] == "tobedeleted" and deleted["dateLastModified"] >= created["dateLastModified"]
    message = entity.not_found or "Score scale not found."
    assert_imsx(api.delete(_url(entity, sourced_id)), 404, "unknownobject", message)
    assert_imsx(api.get(_url(entity, uid("never"))), 404, "unknownobject", message)
    assert_imsx(api.delete(_url(entity, uid("never"))), 404, "unknownobject", message)
    listed = api.get(f"{G}/{entity.plural}", params={"filter": f"sourcedId='{sourced_id}'"}).json()
    assert listed[entity.plural] == []
    wanted = api.get(f"{G}/{entity.plural}", params={"filter": f"sourcedId='{sourced_id}' AND status='tobedeleted'"})
    assert [r["sourcedId"] for r in wanted.json()[entity.plural]] == [sourced_id]
    revived = api.put(_url(entity, sourced_id), {entity.singular: record(entity.singular)})
    assert revived.status_code == 201 and revived.json()[entity.singular]["status"] == "active"


@BY_ENTITY
def test_post_create_keeps_a_supplied_id_and_allocates_a_missing_one(api: Api, entity: Entity) -> None:
    supplied = uid()
    response = api.post(f"{G}/{entity.plural}/", {entity.singular: record(entity.singular, sourcedId=supplied)})
    assert response.status_code == 201
    assert response.json() == {"sourcedIdPairs": {"suppliedSourcedId": supplied, "allocatedSourcedId": supplied}}
    allocated = api.post(f"{G}/{entity.plural}", {entity.singular: record(entity.singular)}).json()["sourcedIdPairs"]
    assert allocated["suppliedSourcedId"] == "" and UUID4.fullmatch(allocated["allocatedSourcedId"])
    assert api.get(_url(entity, allocated["allocatedSourcedId"])).status_code == 200
    again = api.post(f"{G}/{entity.plural}", {entity.singular: record(entity.singular, sourcedId=supplied)})
    body = assert_imsx(again, 422, "invaliddata")
    assert body["imsx_error_details"] == [
        {"pointer": f"/{entity.singular}/sourcedId", "message": f"sourcedId {supplied!r} already exists"}
    ]


def test_bulk_post_stores_all_and_reports_every_pair(api: Api) -> None:
    line_item_id = uid("li")
    api.put(f"{G}/lineItems/{line_item_id}", {"lineItem": line_item()})
    supplied = uid()
    response = api.post(
        f"{G}/lineItems/{line_item_id}/results",
        {"results": [result(sourcedId=supplied), result(), result(student="fx-student-2")]},
    )
    assert response.status_code == 201
    body = response.json()
    assert_valid("sourcedIdPairs", body)
    pairs = body["sourcedIdPairsAll"]
    assert body["sourcedIdPairs"] == pairs[0] == {"suppliedSourcedId": supplied, "allocatedSourcedId": supplied}
    assert (
        len(pairs) == 3
        and pairs[1]["suppliedSourcedId"] == ""
        and pairs[1]["allocatedSourcedId"] != pairs[2]["allocatedSourcedId"]
    )
    for pair in pairs:
        stored = api.get(f"{G}/results/{pair['allocatedSourcedId']}").json()["result"]
        assert stored["lineItem"] == {"sourcedId": line_item_id}


def test_a_bulk_post_with_a_taken_id_stores_nothing(api: Api) -> None:
    line_item_id, taken, fresh = uid("li"), uid(), uid()
    api.put(f"{G}/lineItems/{line_item_id}", {"lineItem": line_item()})
    api.put(f"{G}/results/{taken}", {"result": result()})
    response = api.post(
        f"{G}/lineItems/{line_item_id}/results", {"results": [result(sourcedId=fresh), result(sourcedId=taken)]}
    )
    assert assert_imsx(response, 422)["imsx_error_details"][0]["pointer"] == "/results/1/sourcedId"
    assert api.get(f"{G}/results/{fresh}").status_code == 404
    empty = api.post(f"{G}/lineItems/{line_item_id}/results", {"results": []})
    assert assert_imsx(empty, 422)["imsx_error_details"][0]["pointer"] == "/results"


def test_the_path_line_item_wins_and_an_unknown_one_stores_nothing(api: Api) -> None:
    line_item_id, sourced_id = uid("li"), uid()
    api.put(f"{G}/lineItems/{line_item_id}", {"lineItem": line_item()})
    body = {"results": [result(sourced_id, line_item_id="some-other-line-item")]}
    unknown = api.post(f"{G}/lineItems/{uid('nope')}/results", body)
    assert_imsx(unknown, 404, "unknownobject", "Line item not found.")
    assert api.get(f"{G}/results/{sourced_id}").status_code == 404
    api.delete(f"{G}/lineItems/{line_item_id}")
    assert_imsx(api.post(f"{G}/lineItems/{line_item_id}/results", body), 404, description="Line item not found.")
    api.put(f"{G}/lineItems/{line_item_id}", {"lineItem": line_item()})
    assert api.post(f"{G}/lineItems/{line_item_id}/results", body).status_code == 201
    assert api.get(f"{G}/results/{sourced_id}").json()["result"]["lineItem"] == {"sourcedId": line_item_id}


@pytest.mark.parametrize(
    ("path", "plural", "field", "message"),
    [
        ("/classes/{}/lineItems", "lineItems", "class", "Class not found."),
        ("/schools/{}/lineItems", "lineItems", "school", "School not found."),
        ("/classes/{}/academicSessions/fx-term-1/results", "results", "class", "Class or academic session not found."),
    ],
)
def test_scoped_posts_take_the_parent_from_the_path(api: Api, path: str, plural: str, field: str, message: str) -> None:
    parent = "fx-school-2" if field == "school" else "fx-class-2"
    item = line_item() if plural == "lineItems" else result()
    sourced_id = uid()
    assert_imsx(
        api.post(G + path.format(uid("nope")), {plural: [{**item, "sourcedId": sourced_id}]}),
        404,
        "unknownobject",
        message,
    )
    response = api.post(G + path.format(parent), {plural: [{**item, "sourcedId": sourced_id}]})
    assert response.status_code == 201
    stored = api.get(f"{G}/{plural}/{sourced_id}").json()
    assert next(iter(stored.values()))[field] == {"sourcedId": parent}


def test_unknown_academic_session_is_404(api: Api) -> None:
    response = api.post(f"{G}/classes/fx-class-1/academicSessions/nope/results", {"results": [result()]})
    assert_imsx(response, 404, "unknownobject", "Class or academic session not found.")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/classes/nope/categories", "Class not found."),
        ("/classes/nope/lineItems", "Class not found."),
        ("/classes/nope/results", "Class not found."),
        ("/classes/nope/scoreScales", "Class not found."),
        ("/classes/nope/lineItems/x/results", "Class or line item not found."),
        ("/classes/fx-class-1/lineItems/nope/results", "Class or line item not found."),
        ("/classes/nope/students/fx-student-1/results", "Class or student not found."),
        ("/classes/fx-class-1/students/nope/results", "Class or student not found."),
        ("/schools/nope/lineItems", "School not found."),
        ("/schools/nope/scoreScales", "School not found."),
    ],
)
def test_scoped_gets_with_an_unknown_parent_are_404(api: Api, path: str, message: str) -> None:
    assert_imsx(api.get(G + path), 404, "unknownobject", message)


def _ids(api: Api, path: str) -> set[str]:
    response = api.get(G + path, params={"limit": 3000})
    assert response.status_code == 200, response.text
    body = response.json()
    plural = next(key for key in body if isinstance(body[key], list))
    return {r["sourcedId"] for r in body[plural]}


def test_scoped_gets_select_by_membership(fresh: Api) -> None:
    api = fresh
    api.put(f"{G}/categories/cat-a", {"category": record("category")})
    api.put(f"{G}/categories/cat-b", {"category": record("category")})
    api.put(f"{G}/lineItems/li-1", {"lineItem": line_item(category={"sourcedId": "cat-a"})})
    api.put(
        f"{G}/lineItems/li-2",
        {"lineItem": {**line_item(school={"sourcedId": "fx-school-2"}), "class": {"sourcedId": "fx-class-2"}}},
    )
    own = result(line_item_id="li-2")
    own["class"] = {"sourcedId": "fx-class-1"}
    api.put(f"{G}/results/r-own", {"result": own})
    api.put(f"{G}/results/r-via-li", {"result": result(line_item_id="li-1")})
    api.put(f"{G}/results/r-other", {"result": result(line_item_id="li-2", student="fx-student-2")})
    api.put(f"{G}/scoreScales/s-1", {"scoreScale": score_scale(class_id="fx-class-1")})
    api.put(f"{G}/scoreScales/s-2", {"scoreScale": score_scale(class_id="fx-class-2")})
    assert _ids(api, "/classes/fx-class-1/results") == {"r-own", "r-via-li"}
    assert _ids(api, "/classes/fx-class-2/results") == {"r-other"}
    assert _ids(api, "/classes/fx-class-1/lineItems") == {"li-1"}
    assert _ids(api, "/schools/fx-school-2/lineItems") == {"li-2"}
    assert _ids(api, "/classes/fx-class-1/categories") == {"cat-a"}
    assert _ids(api, "/classes/fx-class-2/categories") == {"fx-category-1"}
    assert _ids(api, "/classes/fx-class-1/scoreScales") == {"s-1"}
    assert _ids(api, "/schools/fx-school-2/scoreScales") == {"s-2"}
    assert _ids(api, "/classes/fx-class-1/lineItems/li-1/results") == {"r-via-li"}
    assert _ids(api, "/classes/fx-class-2/students/fx-student-2/results") == {"r-other"}
    assert _ids(api, "/classes/fx-class-2/students/fx-student-1/results") == set()


def test_fixture_categories_are_seeded(fresh: Api) -> None:
    stored = fresh.get(f"{G}/categories/fx-category-2").json()["category"]
    assert stored["title"] == "Tests" and stored["status"] == "active"


@pytest.mark.parametrize("plural", ["assessmentLineItems", "assessmentResults"])
def test_patch_merges_metadata_and_replaces_other_fields(api: Api, plural: str) -> None:
    singular = plural[:-1]
    sourced_id = uid()
    api.put(f"{G}/{plural}/{sourced_id}", {singular: record(singular, metadata={"a": 1, "b": {"x": 1}})})
    response = api.patch(f"{G}/{plural}/{sourced_id}", {singular: {"title": "new", "metadata": {"b": 2, "c": None}}})
    assert response.status_code == 200
    patched = response.json()[singular]
    assert patched["metadata"] == {"a": 1, "b": 2, "c": None} and patched["title"] == "new"
    assert api.get(f"{G}/{plural}/{sourced_id}").json()[singular] == patched
    assert_imsx(api.patch(f"{G}/{plural}/{uid()}", {singular: {"title": "x"}}), 404, "unknownobject")
    invalid = api.patch(f"{G}/{plural}/{sourced_id}", {singular: {"status": "gone"}})
    assert assert_imsx(invalid, 422)["imsx_error_details"][0]["pointer"] == f"/{singular}/status"


def test_assessment_results_accept_null_flags_and_percentiles(api: Api) -> None:
    sent = assessment_result(inProgress=None, late=None, scorePercentile=55.5, score=None)
    sourced_id = uid()
    assert api.put(f"{G}/assessmentResults/{sourced_id}", {"assessmentResult": sent}).status_code == 201
    stored = api.get(f"{G}/assessmentResults/{sourced_id}").json()["assessmentResult"]
    assert stored["inProgress"] is None and stored["scorePercentile"] == 55.5 and stored["score"] is None
