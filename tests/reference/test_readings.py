"""Each question the documents leave open has a default answer in the reference server and a benign
variant that gives the other one (conformance/reference/faults.toml, "The other legitimate reading").
Each test here shows both: what the correct server does by default, and what it does with the variant
on. The kill matrix checks that the suite passes either; these look at the behaviour itself."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import httpx
import pytest

from conformance import profiles
from conformance.reference.faults import registry

from ._records import category, line_item, result, score_scale
from ._scenarios import Serve
from ._support import Api, G, assert_imsx, assert_valid, uid

pytestmark = pytest.mark.network
TIMEBACK, OFFICIAL = profiles.TIMEBACK, profiles.ONEEDTECH
BOTH = pytest.mark.parametrize("profile", [TIMEBACK, OFFICIAL])
READINGS = (
    "benign-null-metadata-rejected",
    "benign-null-as-absent",
    "benign-server-members-required",
    "benign-score-date-time-refused",
    "benign-empty-strings-rejected",
    "benign-numeric-strings-coerced",
    "benign-unknown-fields-ignored",
    "benign-date-only-accepted",
    "benign-body-id-mismatch-refused",
    "benign-query-ignored",
    "benign-limit-clamped",
    "benign-post-duplicate-allocates",
    "benign-unanchored-patterns",
    "benign-utc-offset-dates",
    "benign-value-limits",
    "benign-unknown-members-refused",
    "benign-powerpath-422",
    "benign-any-content-type",
)


def _servers(serve: Serve, fault: str, profile: str) -> tuple[Api, Api]:
    """A correct server and one with ``fault`` on, both of ``profile``."""
    return serve(profile=profile)[1], serve([fault], profile=profile)[1]


def _put(api: Api, plural: str, singular: str, body: dict[str, Any], sourced_id: str) -> httpx.Response:
    return api.put(f"{G}/{plural}/{sourced_id}", {singular: body})


def _stored(api: Api, plural: str, singular: str, sourced_id: str) -> dict[str, Any]:
    answer = api.get(f"{G}/{plural}/{sourced_id}")
    assert answer.status_code == 200, answer.text
    stored: dict[str, Any] = answer.json()[singular]
    return stored


def _pointers(response: httpx.Response) -> list[str]:
    """The failing pointers a 422 names: TimeBack's details, or the official description."""
    body = response.json()
    if "imsx_error_details" in body:
        return [detail["pointer"] for detail in body["imsx_error_details"]]
    return [body["imsx_description"]]


def _refused_at(response: httpx.Response, pointer: str) -> None:
    assert_imsx(response, 422, "invaliddata")
    assert any(pointer in shown for shown in _pointers(response)), response.text


def test_every_reading_is_a_declared_benign_fault() -> None:
    declared = {**registry(TIMEBACK), **registry(OFFICIAL)}
    assert [name for name in READINGS if name not in declared or declared[name].harmful] == []


def test_null_metadata_is_stored_by_default_and_refused_by_the_variant(serve: Serve) -> None:
    correct, variant = _servers(serve, "benign-null-metadata-rejected", TIMEBACK)
    sourced_id = uid("r")
    assert _put(correct, "results", "result", result(metadata=None), sourced_id).status_code == 201
    assert _stored(correct, "results", "result", sourced_id)["metadata"] is None
    _refused_at(_put(variant, "results", "result", result(metadata=None), sourced_id), "/result/metadata")
    assert variant.get(f"{G}/results/{sourced_id}").status_code == 404
    _refused_at(variant.post(f"{G}/results", {"result": result(metadata=None)}), "/result/metadata")
    ali = uid("ali")
    created = variant.put(f"{G}/assessmentLineItems/{ali}", {"assessmentLineItem": {"status": "active", "title": "t"}})
    assert created.status_code == 201
    _refused_at(
        variant.patch(f"{G}/assessmentLineItems/{ali}", {"assessmentLineItem": {"metadata": None}}),
        "/assessmentLineItem/metadata",
    )


@BOTH
def test_a_null_optional_member_is_read_as_absent_by_the_variant(serve: Serve, profile: str) -> None:
    correct, variant = _servers(serve, "benign-null-as-absent", profile)
    sourced_id = uid("r")
    sent = result(sourced_id, profile=profile, comment=None)
    if profile == TIMEBACK:  # comment is nullable there: stored as sent
        assert _put(correct, "results", "result", sent, sourced_id).status_code == 201
        assert _stored(correct, "results", "result", sourced_id)["comment"] is None
    else:  # nothing is nullable in the official binding
        assert_imsx(_put(correct, "results", "result", sent, sourced_id), 422, "invaliddata")
    assert _put(variant, "results", "result", sent, sourced_id).status_code == 201
    assert "comment" not in _stored(variant, "results", "result", sourced_id)
    # At any depth, but not inside metadata, which is the client's own data.
    nested = score_scale(
        sourced_id, profile=profile, scoreScaleValue=[{"itemValueLHS": "90", "itemValueRHS": "A", "value": None}]
    )
    assert _put(variant, "scoreScales", "scoreScale", nested, sourced_id).status_code == 201
    stored = _stored(variant, "scoreScales", "scoreScale", sourced_id)
    assert stored["scoreScaleValue"] == [{"itemValueLHS": "90", "itemValueRHS": "A"}]
    kept = result(sourced_id, profile=profile, metadata={"k": None})
    assert _put(variant, "results", "result", kept, sourced_id).status_code == 201
    assert _stored(variant, "results", "result", sourced_id)["metadata"] == {"k": None}
    # A required member is not optional: null there is still refused.
    assert_imsx(_put(variant, "results", "result", {**sent, "lineItem": None}, uid("r")), 422, "invaliddata")


def test_timeback_writes_may_leave_out_status_unless_the_variant_requires_it(serve: Serve) -> None:
    correct, variant = _servers(serve, "benign-server-members-required", TIMEBACK)
    sent = {key: value for key, value in category(title="No status").items() if key != "status"}
    sourced_id = uid("c")
    assert _put(correct, "categories", "category", sent, sourced_id).status_code == 201
    stored = _stored(correct, "categories", "category", sourced_id)
    assert stored["status"] == "active" and stored["dateLastModified"]
    _refused_at(_put(variant, "categories", "category", sent, uid("c")), "/category/status")


def test_a_google_classroom_line_item_is_taken_unless_the_official_variant_requires_every_member(
    serve: Serve,
) -> None:
    """Google Classroom's grade sync PUTs a line item with bare references and no server-set members."""
    correct, variant = _servers(serve, "benign-server-members-required", OFFICIAL)
    sourced_id = uid("li")
    sent = {
        "sourcedId": sourced_id,
        "title": "Essay 1",
        "description": "First essay",
        "resultValueMin": 0,
        "resultValueMax": 100,
        "assignDate": "2024-03-01T10:00:00Z",
        "dueDate": "2024-03-08T10:00:00Z",
        "class": {"sourcedId": "fx-class-1"},
        "category": {"sourcedId": "fx-category-1"},
        "school": {"sourcedId": "fx-school-1"},
    }
    assert_imsx(_put(variant, "lineItems", "lineItem", sent, sourced_id), 422, "invaliddata")
    assert variant.get(f"{G}/lineItems/{sourced_id}").status_code == 404
    assert _put(correct, "lineItems", "lineItem", sent, sourced_id).status_code == 201
    answer = correct.get(f"{G}/lineItems/{sourced_id}").json()
    assert_valid("lineItem.single", answer, OFFICIAL)
    stored = answer["lineItem"]
    assert stored["status"] == "active"
    base = correct.base_url + "/ims/oneroster"
    assert stored["class"] == {
        "href": f"{base}/rostering/v1p2/classes/fx-class-1",
        "sourcedId": "fx-class-1",
        "type": "class",
    }
    assert (
        stored["school"]["type"] == "org" and stored["school"]["href"] == f"{base}/rostering/v1p2/schools/fx-school-1"
    )
    assert stored["category"]["href"] == f"{base}/gradebook/v1p2/categories/fx-category-1"
    # What the client did send of a reference is kept.
    kept = {**sent, "class": {"sourcedId": "fx-class-1", "href": "https://sis.example.org/c/1"}}
    assert _put(correct, "lineItems", "lineItem", kept, sourced_id).status_code == 201
    stored = _stored(correct, "lineItems", "lineItem", sourced_id)
    assert stored["class"] == {"href": "https://sis.example.org/c/1", "sourcedId": "fx-class-1", "type": "class"}


@BOTH
def test_what_no_reading_lets_a_write_leave_out_is_still_refused(serve: Serve, profile: str) -> None:
    api = serve(profile=profile)[1]
    for plural, singular, sent, missing in (
        ("lineItems", "lineItem", line_item(uid("li"), profile=profile), "title"),
        ("results", "result", result(uid("r"), profile=profile), "lineItem"),
        ("scoreScales", "scoreScale", score_scale(uid("s"), profile=profile), "type"),  # not a reference's
    ):
        without = {key: value for key, value in sent.items() if key != missing}
        _refused_at(_put(api, plural, singular, without, uid()), f"/{singular}/{missing}")
    archived = result(uid("r"), profile=profile, status="archived")
    _refused_at(_put(api, "results", "result", archived, uid("r")), "/result/status")


def _dated(api: Api, score_date: str, sourced_id: str | None = None) -> httpx.Response:
    """PUT an official result whose scoreDate is ``score_date``."""
    sourced_id = sourced_id or uid("r")
    return _put(api, "results", "result", result(sourced_id, profile=OFFICIAL, scoreDate=score_date), sourced_id)


def test_an_official_date_time_score_date_is_stored_as_its_day_unless_the_variant_refuses_it(serve: Serve) -> None:
    """Google Classroom's grade sync sends scoreDate as a date-time; the binding types it a date."""
    correct, variant = _servers(serve, "benign-score-date-time-refused", OFFICIAL)
    for sent, day in (("2024-03-01T10:00:00.000Z", "2024-03-01"), ("2024-03-01T22:30:00-05:00", "2024-03-02")):
        sourced_id = uid("r")
        assert _dated(correct, sent, sourced_id).status_code == 201
        answer = correct.get(f"{G}/results/{sourced_id}").json()
        assert_valid("result.single", answer, OFFICIAL)
        assert answer["result"]["scoreDate"] == day  # the day in UTC
        _refused_at(_dated(variant, sent), "scoreDate")
    # A date, the documented value, is taken by both; what is neither is refused by both.
    assert _dated(variant, "2024-03-01").status_code == 201
    _refused_at(_dated(correct, "today"), "scoreDate")


@BOTH
def test_an_empty_required_text_is_refused_by_the_variant(serve: Serve, profile: str) -> None:
    correct, variant = _servers(serve, "benign-empty-strings-rejected", profile)
    sourced_id = uid("c")
    sent = category(sourced_id, profile=profile, title="")
    assert _put(correct, "categories", "category", sent, sourced_id).status_code == 201
    assert _stored(correct, "categories", "category", sourced_id)["title"] == ""
    _refused_at(_put(variant, "categories", "category", sent, sourced_id), "/category/title")
    nested = score_scale(sourced_id, profile=profile, scoreScaleValue=[{"itemValueLHS": "", "itemValueRHS": "A"}])
    _refused_at(
        _put(variant, "scoreScales", "scoreScale", nested, sourced_id), "/scoreScale/scoreScaleValue/0/itemValueLHS"
    )
    # An optional text member may still be empty.
    with_empty = result(sourced_id, profile=profile, comment="")
    assert _put(variant, "results", "result", with_empty, sourced_id).status_code == 201
    assert _stored(variant, "results", "result", sourced_id)["comment"] == ""


@BOTH
def test_a_numeric_string_is_stored_as_a_number_by_the_variant(serve: Serve, profile: str) -> None:
    correct, variant = _servers(serve, "benign-numeric-strings-coerced", profile)
    sourced_id = uid("r")
    _refused_at(
        _put(correct, "results", "result", result(sourced_id, profile=profile, score="85"), sourced_id), "score"
    )
    assert (
        _put(variant, "results", "result", result(sourced_id, profile=profile, score="85"), sourced_id).status_code
        == 201
    )
    stored = _stored(variant, "results", "result", sourced_id)
    assert stored["score"] == 85 and isinstance(stored["score"], int)
    weighted = category(sourced_id, profile=profile, weight="1.5")
    assert _put(variant, "categories", "category", weighted, sourced_id).status_code == 201
    assert _stored(variant, "categories", "category", sourced_id)["weight"] == 1.5
    # Only numbers: text that is not one is still refused.
    _refused_at(_put(variant, "results", "result", result(uid(), profile=profile, score="85%"), uid()), "score")


@BOTH
def test_unknown_names_in_fields_are_ignored_by_the_variant(serve: Serve, profile: str) -> None:
    correct, variant = _servers(serve, "benign-unknown-fields-ignored", profile)
    assert_imsx(correct.get(f"{G}/categories", params={"fields": "sourcedId,name"}), 400, "invaliddata")
    listed = variant.get(f"{G}/categories", params={"fields": "sourcedId,name"})
    assert listed.status_code == 200
    assert {tuple(record) for record in listed.json()["categories"]} == {("sourcedId",)}
    one = variant.get(f"{G}/categories/fx-category-1", params={"fields": "name"})
    assert one.status_code == 200 and one.json()["category"]["title"]  # no known name: the whole record


def test_a_date_only_score_date_is_accepted_by_the_variant(serve: Serve) -> None:
    correct, variant = _servers(serve, "benign-date-only-accepted", TIMEBACK)
    sourced_id = uid("r")
    _refused_at(_put(correct, "results", "result", result(scoreDate="2024-09-02"), sourced_id), "/result/scoreDate")
    assert _put(variant, "results", "result", result(scoreDate="2024-09-02"), sourced_id).status_code == 201
    assert _stored(variant, "results", "result", sourced_id)["scoreDate"] == "2024-09-02T00:00:00.000Z"
    _refused_at(_put(variant, "results", "result", result(scoreDate="2024-02-30"), uid()), "/result/scoreDate")


@BOTH
def test_a_body_sourced_id_unlike_the_path_is_refused_by_the_variant(serve: Serve, profile: str) -> None:
    correct, variant = _servers(serve, "benign-body-id-mismatch-refused", profile)
    path_id, body_id = uid("r"), uid("r")
    sent = result(body_id, profile=profile)
    assert _put(correct, "results", "result", sent, path_id).status_code == 201
    assert _stored(correct, "results", "result", path_id)["sourcedId"] == path_id
    assert correct.get(f"{G}/results/{body_id}").status_code == 404
    _refused_at(_put(variant, "results", "result", sent, path_id), "/result/sourcedId")
    assert variant.get(f"{G}/results/{path_id}").status_code == 404
    same = result(path_id, profile=profile)
    assert _put(variant, "results", "result", same, path_id).status_code == 201


def _ids(response: httpx.Response, plural: str) -> list[str]:
    assert response.status_code == 200, response.text
    return [record["sourcedId"] for record in response.json()[plural]]


@BOTH
def test_a_query_the_server_cannot_apply_is_ignored_by_the_variant(serve: Serve, profile: str) -> None:
    correct, variant = _servers(serve, "benign-query-ignored", profile)
    for api in (correct, variant):
        for sourced_id in ("c-b", "c-a", "c-c"):
            assert _put(api, "categories", "category", category(sourced_id, profile=profile), sourced_id).status_code
    unanswerable = [
        {"sort": "name"},
        {"sort": "title,weight"},
        {"filter": "name='x'"},
        {"filter": "title='Homework' AND name='x'"},
        {"filter": "title is Homework"},
        {"filter": "title='Homework' NOR weight>'1'"},
    ]
    for params in unanswerable:
        assert_imsx(correct.get(f"{G}/categories", params=params), 400, "invaliddata")
    everything = _ids(variant.get(f"{G}/categories"), "categories")
    assert everything == sorted(everything) and {"c-a", "c-b", "c-c"} <= set(everything)
    for params in unanswerable:
        assert _ids(variant.get(f"{G}/categories", params=params), "categories") == everything, params
    # What it can apply it still applies.
    assert _ids(variant.get(f"{G}/categories", params={"filter": "sourcedId='c-b'"}), "categories") == ["c-b"]
    descending = variant.get(f"{G}/categories", params={"sort": "sourcedId", "orderBy": "desc"})
    assert _ids(descending, "categories") == everything[::-1]
    assert_imsx(variant.get(f"{G}/categories", params={"orderBy": "sideways"}), 400, "invaliddata")


def test_a_limit_above_3000_is_clamped_by_the_variant(serve: Serve) -> None:
    correct, variant = _servers(serve, "benign-limit-clamped", TIMEBACK)
    assert_imsx(correct.get(f"{G}/categories", params={"limit": "3001"}), 400, "invaliddata")
    for asked in ("3001", "10000"):
        page = variant.get(f"{G}/categories", params={"limit": asked})
        assert page.status_code == 200, page.text
        assert page.json()["limit"] == 3000 and len(page.json()["categories"]) <= 3000
    assert variant.get(f"{G}/categories", params={"limit": "3000"}).json()["limit"] == 3000
    for bad in ("0", "x", "-1"):
        assert_imsx(variant.get(f"{G}/categories", params={"limit": bad}), 400, "invaliddata")


def test_a_taken_sourced_id_in_a_post_is_reallocated_by_the_variant(serve: Serve) -> None:
    correct, variant = _servers(serve, "benign-post-duplicate-allocates", TIMEBACK)
    taken = uid("r")
    for api in (correct, variant):
        assert _put(api, "results", "result", result(taken, comment="first"), taken).status_code == 201
    _refused_at(correct.post(f"{G}/results", {"result": result(taken, comment="second")}), "/result/sourcedId")
    posted = variant.post(f"{G}/results", {"result": result(taken, comment="second")})
    assert posted.status_code == 201, posted.text
    pair = posted.json()["sourcedIdPairs"]
    assert pair["suppliedSourcedId"] == taken and pair["allocatedSourcedId"] != taken
    stored = _stored(variant, "results", "result", pair["allocatedSourcedId"])
    assert stored["sourcedId"] == pair["allocatedSourcedId"] and stored["comment"] == "second"
    assert _stored(variant, "results", "result", taken)["comment"] == "first"
    # A bulk POST: a taken sourcedId and one repeated in the body are each given a new one.
    fresh, line_item_id = uid("r"), uid("li")
    assert _put(variant, "lineItems", "lineItem", line_item(), line_item_id).status_code == 201
    bulk = variant.post(
        f"{G}/lineItems/{line_item_id}/results", {"results": [result(taken), result(fresh), result(fresh)]}
    )
    assert bulk.status_code == 201, bulk.text
    pairs = bulk.json()["sourcedIdPairsAll"]
    assert [p["suppliedSourcedId"] for p in pairs] == [taken, fresh, fresh]
    allocated = [p["allocatedSourcedId"] for p in pairs]
    assert allocated[1] == fresh and len({taken, *allocated}) == 4
    assert all(_stored(variant, "results", "result", a)["lineItem"]["sourcedId"] == line_item_id for a in allocated)


def test_an_extension_value_anywhere_in_score_status_is_accepted_by_the_variant(serve: Serve) -> None:
    correct, variant = _servers(serve, "benign-unanchored-patterns", OFFICIAL)
    sourced_id = uid("r")
    loose = result(sourced_id, profile=OFFICIAL, scoreStatus="x ext:abc")
    _refused_at(_put(correct, "results", "result", loose, sourced_id), "scoreStatus")
    assert _put(variant, "results", "result", loose, sourced_id).status_code == 201
    assert _stored(variant, "results", "result", sourced_id)["scoreStatus"] == "x ext:abc"
    exact = result(sourced_id, profile=OFFICIAL, scoreStatus="ext:abc")
    assert _put(correct, "results", "result", exact, sourced_id).status_code == 201
    # Nothing the pattern does not match, even loosely.
    for refused in ("graded", "ext:", "x ext:!"):
        sent = result(sourced_id, profile=OFFICIAL, scoreStatus=refused)
        _refused_at(_put(variant, "results", "result", sent, sourced_id), "scoreStatus")


@BOTH
def test_date_times_are_written_with_an_offset_by_the_variant(serve: Serve, profile: str) -> None:
    correct, variant = _servers(serve, "benign-utc-offset-dates", profile)
    line_item_id, result_id = uid("li"), uid("r")
    for api in (correct, variant):
        assert _put(api, "lineItems", "lineItem", line_item(line_item_id, profile=profile), line_item_id).status_code
        assert _put(api, "results", "result", result(result_id, profile=profile), result_id).status_code
    plain = _stored(correct, "lineItems", "lineItem", line_item_id)
    assert plain["assignDate"] == "2024-03-01T10:00:00Z" and plain["dateLastModified"].endswith("Z")
    shown = _stored(variant, "lineItems", "lineItem", line_item_id)
    assert shown["assignDate"] == "2024-03-01T10:00:00+00:00" and shown["dueDate"] == "2024-03-08T10:00:00+00:00"
    moment = datetime.fromisoformat(shown["dateLastModified"])
    assert shown["dateLastModified"].endswith("+00:00") and moment.utcoffset() is not None
    assert not moment.utcoffset()
    listed = variant.get(f"{G}/lineItems", params={"filter": f"sourcedId='{line_item_id}'"}).json()["lineItems"]
    assert listed[0]["assignDate"] == "2024-03-01T10:00:00+00:00"
    score_date = _stored(variant, "results", "result", result_id)["scoreDate"]
    # The official binding's scoreDate is a date, which has no offset to write.
    assert score_date == ("2024-03-01T10:00:00+00:00" if profile == TIMEBACK else "2024-03-01")


@BOTH
def test_texts_and_numbers_beyond_a_store_limit_are_refused_by_the_variant(serve: Serve, profile: str) -> None:
    correct, variant = _servers(serve, "benign-value-limits", profile)
    sourced_id = uid("c")
    long_title = category(sourced_id, profile=profile, title="t" * 256)
    assert _put(correct, "categories", "category", long_title, sourced_id).status_code == 201
    _refused_at(_put(variant, "categories", "category", long_title, sourced_id), "/category/title")
    big = result(sourced_id, profile=profile, score=1_000_000.5)
    assert _put(correct, "results", "result", big, sourced_id).status_code == 201
    _refused_at(_put(variant, "results", "result", big, sourced_id), "/result/score")
    _refused_at(_put(variant, "results", "result", {**big, "score": -2_000_000}, sourced_id), "/result/score")
    nested = score_scale(
        sourced_id, profile=profile, scoreScaleValue=[{"itemValueLHS": "x" * 300, "itemValueRHS": "A"}]
    )
    _refused_at(
        _put(variant, "scoreScales", "scoreScale", nested, sourced_id), "/scoreScale/scoreScaleValue/0/itemValueLHS"
    )
    # At the limits, and inside metadata (the client's own document), a write is taken.
    edge = category(sourced_id, profile=profile, title="t" * 255, metadata={"notes": "n" * 1000, "big": 10**9})
    assert _put(variant, "categories", "category", edge, sourced_id).status_code == 201
    assert _put(variant, "results", "result", {**big, "score": -1_000_000}, sourced_id).status_code == 201


def test_an_undefined_member_is_refused_by_the_variant(serve: Serve) -> None:
    correct, variant = _servers(serve, "benign-unknown-members-refused", TIMEBACK)
    sourced_id = uid("r")
    sent = result(sourced_id, extraNote="kept", metadata={"anything": "goes"})
    assert _put(correct, "results", "result", sent, sourced_id).status_code == 201
    assert _stored(correct, "results", "result", sourced_id)["extraNote"] == "kept"
    _refused_at(_put(variant, "results", "result", sent, sourced_id), "/result/extraNote")
    _refused_at(variant.post(f"{G}/results", {"result": sent}), "/result/extraNote")
    documented = result(sourced_id, metadata={"anything": "goes"})
    assert _put(variant, "results", "result", documented, sourced_id).status_code == 201


def test_every_powerpath_failure_is_422_with_the_variant(serve: Serve) -> None:
    correct, variant = _servers(serve, "benign-powerpath-422", TIMEBACK)
    make, load = "/powerpath/makeExternalTestAssignment", "/powerpath/importExternalTestAssignmentResults"
    lesson = "fx-lesson-unit-test-edulastic"

    def failures(api: Api) -> list[httpx.Response]:
        answers = [
            api.get(load, params={"student": "nobody", "lesson": lesson}),
            api.get(load, params={"student": "fx-student-1", "lesson": "no-such-lesson"}),
            api.post(make, {"student": "fx-student-1", "lesson": "fx-lesson-quiz"}),
            api.get(load, params={"student": "fx-student-1", "lesson": lesson}),
        ]
        api.post("/_conformance/tools/edulastic/outage", {"failing": True})
        answers.append(api.post(make, {"student": "fx-student-1", "lesson": lesson}))
        api.post("/_conformance/tools/edulastic/outage", {"failing": False})
        return answers

    statuses = [404, 404, 400, 400, 400]
    for answer, status in zip(failures(correct), statuses, strict=True):
        assert_imsx(answer, status, "invaliddata" if status == 400 else "unknownobject")
    for answer in failures(variant):
        assert_imsx(answer, 422, "invaliddata")
    # A request it can serve is served.
    assert variant.post(make, {"student": "fx-student-1", "lesson": lesson}).status_code == 200


@BOTH
def test_a_write_body_is_read_as_json_whatever_its_content_type_by_the_variant(serve: Serve, profile: str) -> None:
    correct, variant = _servers(serve, "benign-any-content-type", profile)
    sourced_id = uid("c")
    url, text = f"{G}/categories/{sourced_id}", json.dumps({"category": category(sourced_id, profile=profile)})
    for label in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {"Content-Type": label} if label else {}
        assert_imsx(correct.request("PUT", url, content=text, headers=headers), 400, "invaliddata")
        assert variant.request("PUT", url, content=text, headers=headers).status_code == 201
    assert _stored(variant, "categories", "category", sourced_id)["title"]
    # What is not JSON is still not JSON.
    assert_imsx(variant.request("PUT", url, content="title=x", headers={"Content-Type": "text/plain"}), 400)
