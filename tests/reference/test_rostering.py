"""The rostering surface of the reference server, in both profiles: the fixtures' records through every
read route (envelopes, pages and counts, trailing slash, 404s), TimeBack's lesson catalogue (404 in the
1edtech profile), the writes a provisioning client sends, and what provisioned records mean to the
gradebook and PowerPath; in the 1edtech profile, the rostering read scopes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance import fixtures, profiles
from conformance.contract import roster
from conformance.contract.scopes import GRADEBOOK_READ, OFFICIAL
from conformance.fixtures import Fixtures, Lesson
from conformance.reference.app import context
from conformance.reference.store import Store

from . import _records
from ._support import CLIENT_ID, CLIENT_SECRET, TIMEOUT, Api, G, ThreadServer, assert_imsx, uid

pytestmark = pytest.mark.network
R, RES = roster.ROSTERING, roster.RESOURCES
TIMEBACK, OFFICIAL_PROFILE = profiles.TIMEBACK, profiles.ONEEDTECH
PROFILES = (TIMEBACK, OFFICIAL_PROFILE)
FIXTURES = fixtures.load()
DOCUMENTS = roster.documents(FIXTURES, lessons=True)
CATALOGUE = (roster.COMPONENT, roster.COMPONENT_RESOURCE, roster.RESOURCE)


def _of(*kinds: roster.Kind, role: str | None = None, type_: str | None = None) -> list[dict[str, Any]]:
    return [
        record
        for kind, record in DOCUMENTS
        if kind in kinds
        and (role is None or role in roster.roles_of(record))
        and (type_ is None or record.get("type") == type_)
    ]


# (collection path, list key, the fixtures' records it shows)
COLLECTIONS = [
    (f"{R}/schools", "orgs", _of(roster.SCHOOL)),
    (f"{R}/orgs", "orgs", _of(roster.SCHOOL)),
    (f"{R}/users", "users", _of(roster.USER)),
    (f"{R}/students", "users", _of(roster.USER, role="student")),
    (f"{R}/teachers", "users", _of(roster.USER, role="teacher")),
    (f"{R}/classes", "classes", _of(roster.CLASS)),
    (f"{R}/enrollments", "enrollments", _of(roster.ENROLLMENT)),
    (f"{R}/academicSessions", "academicSessions", _of(roster.SESSION)),
    (f"{R}/terms", "academicSessions", _of(roster.SESSION, type_="term")),
    (f"{R}/gradingPeriods", "academicSessions", _of(roster.SESSION, type_="gradingPeriod")),
    (f"{R}/courses", "courses", _of(roster.COURSE)),
]
CATALOGUE_COLLECTIONS = [(kind.collection, kind.plural, _of(kind)) for kind in CATALOGUE]
KINDS = (roster.SCHOOL, roster.USER, roster.CLASS, roster.ENROLLMENT, roster.SESSION, roster.COURSE, *CATALOGUE)
SINGULAR = {kind.plural: kind.singular for kind in KINDS}
PLURAL = {kind.singular: kind.plural for kind in KINDS}


@pytest.fixture(scope="module", params=PROFILES)
def served(request: pytest.FixtureRequest) -> Iterator[tuple[str, Api]]:
    with ThreadServer(profile=request.param) as server:
        client = Api(server.base_url)
        yield request.param, client
        client.close()


@pytest.fixture(params=PROFILES)
def fresh_server(request: pytest.FixtureRequest) -> Iterator[tuple[str, ThreadServer, Api]]:
    with ThreadServer(profile=request.param) as server:
        client = Api(server.base_url)
        yield request.param, server, client
        client.close()


def _ids(response: httpx.Response, key: str) -> list[str]:
    assert response.status_code == 200, (response.status_code, response.text[:300])
    return [record["sourcedId"] for record in response.json()[key]]


def _not_found(profile: str, response: httpx.Response) -> None:
    body = assert_imsx(response, 404, "unknownobject")
    if profile == OFFICIAL_PROFILE:
        assert "imsx_error_details" not in body
        assert body["imsx_description"].startswith("Unknown Object: "), body


def _sorted(records: list[dict[str, Any]]) -> list[str]:
    return sorted(record["sourcedId"] for record in records)


@pytest.mark.parametrize(("path", "key", "expected"), COLLECTIONS)
def test_every_collection_and_record_answers_the_fixtures(
    served: tuple[str, Api], path: str, key: str, expected: list[dict[str, Any]]
) -> None:
    _, api = served
    response = api.get(path, params={"limit": 1000})
    assert response.json()[key] == sorted(expected, key=lambda r: r["sourcedId"])
    assert expected, "the fixtures hold records of every collection"
    for record in expected:
        one = api.get(f"{path}/{record['sourcedId']}")
        assert one.status_code == 200 and one.json() == {SINGULAR[key]: record}, one.text


@pytest.mark.parametrize(("path", "key", "expected"), COLLECTIONS + CATALOGUE_COLLECTIONS)
def test_a_collection_answers_with_and_without_its_trailing_slash(
    served: tuple[str, Api], path: str, key: str, expected: list[dict[str, Any]]
) -> None:
    profile, api = served
    if path.endswith(("/components", "/component-resources", "/resources")) and profile == OFFICIAL_PROFILE:
        pytest.skip("the 1edtech profile has no lesson catalogue")
    assert api.get(path).json() == api.get(f"{path}/").json()
    assert _ids(api.get(f"{path}/"), key) == _sorted(expected)


def test_pages_and_counts_are_the_dialects(served: tuple[str, Api]) -> None:
    profile, api = served
    everyone = _sorted(_of(roster.USER))
    response = api.get(f"{R}/users/", params={"limit": 2, "offset": 1})
    assert _ids(response, "users") == everyone[1:3]
    body = response.json()
    if profile == TIMEBACK:
        assert body["totalCount"] == len(everyone) and body["offset"] == 1 and body["limit"] == 2
        assert body["pageCount"] == -(-len(everyone) // 2) and "x-total-count" not in response.headers
    else:
        assert set(body) == {"users"} and response.headers["x-total-count"] == str(len(everyone))
    assert _ids(api.get(f"{R}/users", params={"offset": len(everyone)}), "users") == []
    assert_imsx(api.get(f"{R}/users", params={"limit": 0}), 400, "invaliddata")
    assert_imsx(api.get(f"{R}/users", params={"color": "red"}), 400, "invaliddata")
    # A record takes a list's parameters too (clients that page every request), and applies fields only.
    one = api.get(f"{R}/users/fx-student-1", params={"limit": 5, "offset": 3, "fields": "sourcedId,roles"})
    assert set(one.json()["user"]) == {"sourcedId", "roles"}, one.text
    assert_imsx(api.get(f"{R}/users/fx-student-1", params={"color": "red"}), 400, "invaliddata")


def test_a_filter_and_a_sort_work_as_on_the_gradebook_lists(served: tuple[str, Api]) -> None:
    _, api = served
    response = api.get(f"{R}/enrollments", params={"filter": "role='teacher'"})
    assert _ids(response, "enrollments") == _sorted([e for e in _of(roster.ENROLLMENT) if e["role"] == "teacher"])
    descending = api.get(f"{R}/orgs", params={"sort": "sourcedId", "orderBy": "desc"})
    assert _ids(descending, "orgs") == _sorted(_of(roster.SCHOOL))[::-1]


NESTED = [
    (f"{R}/classes/fx-class-1/students", "users", ["fx-student-1", "fx-student-2"]),
    (f"{R}/classes/fx-class-1/teachers", "users", ["fx-teacher-1"]),
    (f"{R}/classes/fx-class-2/teachers", "users", []),
    (f"{R}/schools/fx-school-1/classes", "classes", ["fx-class-1"]),
    # A school's students: those whose orgs name it, and those enrolled in one of its classes.
    (f"{R}/schools/fx-school-1/students", "users", [s for s in FIXTURES.students if s != "fx-student-3"]),
    (f"{R}/schools/fx-school-2/students", "users", ["fx-student-2", "fx-student-3"]),
    (f"{R}/teachers/fx-teacher-1/classes", "classes", ["fx-class-1"]),
    (f"{R}/students/fx-student-2/classes", "classes", ["fx-class-1", "fx-class-2"]),
    (f"{R}/users/fx-student-3/classes", "classes", ["fx-class-2"]),
    (f"{R}/users/fx-student-never-enrolled/classes", "classes", []),
    (f"{R}/terms/fx-term-1/gradingPeriods", "academicSessions", ["fx-grading-period-1"]),
]


@pytest.mark.parametrize(("path", "key", "expected"), NESTED)
def test_the_lists_under_one_record(served: tuple[str, Api], path: str, key: str, expected: list[str]) -> None:
    _, api = served
    assert _ids(api.get(path), key) == sorted(expected)


def test_the_school_of_each_class_in_the_fixtures() -> None:
    # The nested table above reads fx-school-2 as the school of fx-class-2 and its students only.
    by_school = {klass.sourcedId: klass.school for klass in FIXTURES.classes}
    assert by_school == {"fx-class-1": "fx-school-1", "fx-class-2": "fx-school-2"}


MISSING = [
    f"{R}/schools/nobody",
    f"{R}/orgs/nobody",
    f"{R}/users/nobody",
    f"{R}/students/fx-teacher-1",
    f"{R}/teachers/fx-student-1",
    f"{R}/classes/nobody",
    f"{R}/enrollments/nobody",
    f"{R}/academicSessions/nobody",
    f"{R}/terms/fx-grading-period-1",
    f"{R}/gradingPeriods/fx-term-1",
    f"{R}/courses/nobody",
    f"{R}/users/nobody/classes",
    f"{R}/teachers/fx-student-1/classes",
    f"{R}/classes/nobody/students",
    f"{R}/classes/nobody/teachers",
    f"{R}/schools/nobody/classes",
    f"{R}/terms/nobody/gradingPeriods",
]


@pytest.mark.parametrize("path", MISSING)
def test_an_unknown_record_is_a_404_in_the_dialects_form(served: tuple[str, Api], path: str) -> None:
    profile, api = served
    _not_found(profile, api.get(path))


def test_the_lesson_catalogue_is_timebacks(served: tuple[str, Api]) -> None:
    profile, api = served
    for kind in CATALOGUE:
        if profile == TIMEBACK:
            assert _ids(api.get(kind.collection), kind.plural) == _sorted(_of(kind))
            record = _of(kind)[0]
            assert api.get(kind.path(record["sourcedId"])).json() == {kind.singular: record}
            _not_found(profile, api.get(kind.path("nobody")))
        else:
            for path in (kind.collection, f"{kind.collection}/", kind.path(_of(kind)[0]["sourcedId"])):
                assert_imsx(api.get(path), 404, "unknownobject", "Unknown path.")
    if profile == OFFICIAL_PROFILE:
        # Nor is it taken for a course named "components".
        assert_imsx(api.put(roster.COMPONENT.collection, {"course": {}}), 404, "unknownobject", "Unknown path.")


def test_every_route_wants_a_bearer_token(served: tuple[str, Api]) -> None:
    _, api = served
    for path in (f"{R}/schools", f"{R}/classes/fx-class-1/students", f"{R}/courses/fx-course-math-3"):
        assert_imsx(httpx.get(f"{api.base_url}{path}", timeout=5), 401, "unauthorisedrequest")
    assert_imsx(httpx.put(f"{api.base_url}{R}/orgs/x", json={"org": {}}, timeout=5), 401, "unauthorisedrequest")


def test_a_method_the_path_does_not_take_is_a_405(served: tuple[str, Api]) -> None:
    _, api = served
    response = api.request("PATCH", f"{R}/orgs/fx-school-1", json={"org": {}})
    assert_imsx(response, 405, "invaliddata")
    assert response.headers["allow"] == "DELETE, GET, PUT"
    assert_imsx(api.put(f"{R}/students/x", {"user": {}}), 405)


WRITABLE: list[tuple[str, str, dict[str, Any]]] = [
    (f"{R}/schools", "org", {"name": "Provisioned school"}),
    (f"{R}/orgs", "org", {"name": "Provisioned district", "type": "district"}),
    (f"{R}/users", "user", {"givenName": "A", "familyName": "B", "roles": [{"role": "student"}]}),
    (f"{R}/classes", "class", {"title": "C", "school": {"sourcedId": "fx-school-1"}}),
    (f"{R}/enrollments", "enrollment", {"role": "student", "user": {"sourcedId": "fx-student-1"}}),
    (f"{R}/academicSessions", "academicSession", {"title": "T", "type": "term"}),
    (f"{R}/courses", "course", {"title": "Course"}),
]
CATALOGUE_WRITABLE: list[tuple[str, str, dict[str, Any]]] = [
    (kind.collection, kind.singular, {"title": "Catalogued"}) for kind in CATALOGUE
]


def _put_get_delete(api: Api, collection: str, key: str, members: dict[str, Any]) -> None:
    sourced_id = uid("prov")
    created = api.put(f"{collection}/{sourced_id}", {key: {**members, "sourcedId": "ignored", "status": "x"}})
    assert created.status_code == 201, created.text
    stored = created.json()[key]
    assert (stored["sourcedId"], stored["status"]) == (sourced_id, "active")
    assert stored["dateLastModified"] > roster.WRITTEN and members.items() <= stored.items()
    assert api.get(f"{collection}/{sourced_id}").json() == {key: stored}
    assert sourced_id in _ids(api.get(collection, params={"limit": 1000}), PLURAL[key])
    replaced = api.put(f"{collection}/{sourced_id}", {key: {**members, "title": "Again"}})
    assert replaced.status_code == 200 and replaced.json()[key]["title"] == "Again", replaced.text
    assert api.delete(f"{collection}/{sourced_id}").status_code == 204
    assert api.get(f"{collection}/{sourced_id}").status_code == 404
    assert api.delete(f"{collection}/{sourced_id}").status_code == 404


@pytest.mark.parametrize(("collection", "key", "members"), WRITABLE + CATALOGUE_WRITABLE)
def test_put_creates_201_replaces_200_and_delete_removes(
    served: tuple[str, Api], collection: str, key: str, members: dict[str, Any]
) -> None:
    profile, api = served
    if (collection, key, members) in CATALOGUE_WRITABLE and profile == OFFICIAL_PROFILE:
        assert_imsx(api.put(f"{collection}/{uid()}", {key: members}), 404, description="Unknown path.")
        return
    _put_get_delete(api, collection, key, members)


def test_post_creates_with_the_supplied_sourced_id_once(served: tuple[str, Api]) -> None:
    _, api = served
    sourced_id = uid("post")
    created = api.post(f"{R}/courses", {"course": {"sourcedId": sourced_id, "title": "Posted"}})
    assert created.status_code == 201, created.text
    assert created.json() == {"sourcedIdPairs": {"suppliedSourcedId": sourced_id, "allocatedSourcedId": sourced_id}}
    assert api.get(f"{R}/courses/{sourced_id}").json()["course"]["title"] == "Posted"
    assert_imsx(api.post(f"{R}/courses/", {"course": {"sourcedId": sourced_id}}), 409)
    assert_imsx(api.post(f"{R}/courses", {"course": {"title": "no id"}}), 400, "invaliddata")


@pytest.mark.parametrize("body", [[], {"org": []}, {"user": {}}, {"org": "x"}, "org"])
def test_a_write_body_without_the_record_is_a_400(served: tuple[str, Api], body: Any) -> None:
    _, api = served
    assert_imsx(api.put(f"{R}/orgs/{uid()}", body), 400, "invaliddata")
    response = api.request("PUT", f"{R}/orgs/{uid()}", content=b"{", headers={"content-type": "application/json"})
    assert_imsx(response, 400, "invaliddata")


def test_provisioned_roster_records_are_what_the_gradebook_stands_on(
    fresh_server: tuple[str, ThreadServer, Api],
) -> None:
    profile, server, api = fresh_server
    school, student, klass = uid("school"), uid("student"), uid("class")
    items = {"lineItems": [_records.line_item(uid("li"), profile=profile, **{"class": {"sourcedId": klass}})]}
    assert api.post(f"{G}/classes/{klass}/lineItems", items).status_code == 404
    assert api.get(f"{G}/classes/{klass}/students/{student}/results").status_code == 404
    writes = [
        (f"{R}/schools/{school}", {"org": {"name": school}}),
        (f"{R}/users/{student}", {"user": {"roles": [{"role": "student", "org": {"sourcedId": school}}]}}),
        (f"{R}/classes/{klass}", {"class": {"title": klass, "school": {"sourcedId": school}}}),
        (
            f"{R}/enrollments/{uid('e')}",
            {"enrollment": {"role": "student", "user": {"sourcedId": student}, "class": {"sourcedId": klass}}},
        ),
    ]
    for path, body in writes:
        assert api.put(path, body).status_code == 201, path
    assert _ids(api.get(f"{R}/classes/{klass}/students"), "users") == [student]
    assert _ids(api.get(f"{R}/schools/{school}/classes"), "classes") == [klass]
    assert _ids(api.get(f"{R}/students/{student}/classes"), "classes") == [klass]
    assert api.post(f"{G}/classes/{klass}/lineItems", items).status_code == 201
    assert _ids(api.get(f"{G}/classes/{klass}/students/{student}/results"), "results") == []
    store = context(server.app).store
    assert store.exists("student", student) and store.exists("school", school) and store.classes_of_school(school)
    assert store.members_of_class(klass, "student") == [student]
    assert api.delete(f"{R}/users/{student}").status_code == 204
    assert not store.exists("student", student)
    assert api.get(f"{G}/classes/{klass}/students/{student}/results").status_code == 404


def test_a_terms_grading_periods_are_those_whose_parent_it_is(
    fresh_server: tuple[str, ThreadServer, Api],
) -> None:
    _, _, api = fresh_server
    term, period = uid("term"), uid("period")
    assert api.put(f"{R}/academicSessions/{term}", {"academicSession": {"type": "term"}}).status_code == 201
    session = {"type": "gradingPeriod", "parent": {"sourcedId": term}}
    assert api.put(f"{R}/academicSessions/{period}", {"academicSession": session}).status_code == 201
    assert _ids(api.get(f"{R}/terms/{term}/gradingPeriods"), "academicSessions") == [period]
    assert _ids(api.get(f"{R}/terms/fx-term-1/gradingPeriods"), "academicSessions") == ["fx-grading-period-1"]
    assert period in _ids(api.get(f"{R}/gradingPeriods"), "academicSessions")
    assert _ids(api.get(f"{R}/terms", params={"filter": f"sourcedId='{term}'"}), "academicSessions") == [term]


def test_a_provisioned_lesson_is_found_and_assigned() -> None:
    with ThreadServer(profile=TIMEBACK) as server:
        api = Api(server.base_url)
        try:
            lesson, resource, component, student = uid("lesson"), uid("res"), uid("comp"), uid("student")
            metadata = {"lessonType": "test-out", "toolProvider": "edulastic", "questions": 6}
            writes = [
                (roster.RESOURCE.path(resource), {"resource": {"title": "R", "metadata": metadata}}),
                (roster.COMPONENT.path(component), {"courseComponent": {"course": {"sourcedId": "fx-course-math-3"}}}),
                (
                    roster.COMPONENT_RESOURCE.path(lesson),
                    {
                        "componentResource": {
                            "courseComponent": {"sourcedId": component},
                            "resource": {"sourcedId": resource},
                        }
                    },
                ),
                (roster.USER.path(student), {"user": {"roles": [{"role": "student"}]}}),
            ]
            store = context(server.app).store
            assert store.lesson(lesson) is None
            for path, body in writes:
                assert api.put(path, body).status_code == 201, path
            assert store.lesson(lesson) == Lesson(lesson, "test-out", "edulastic", "fx-course-math-3", 6)
            assert store.exists("lesson", lesson)
            made = api.post("/powerpath/makeExternalTestAssignment", {"student": student, "lesson": lesson})
            assert made.status_code == 200, made.text
            assert api.delete(roster.RESOURCE.path(resource)).status_code == 204
            assert store.lesson(lesson) is None
        finally:
            api.close()


def test_the_store_answers_the_roster_from_its_documents(tmp_path: Path) -> None:
    store = Store(tmp_path / "roster.db")
    store.seed(FIXTURES, lambda sourced_id, title: {"sourcedId": sourced_id, "title": title})
    assert store.exists("student", "fx-student-1") and not store.exists("student", "fx-teacher-1")
    assert store.exists("teacher", "fx-teacher-1") and store.exists("school", "fx-school-2")
    assert store.exists("academicSession", "fx-term-1") and store.exists("academicSession", "fx-grading-period-1")
    assert store.exists("class", "fx-class-2") and store.exists("course", "fx-course-math-3")
    assert store.classes_of_school("fx-school-1") == {"fx-class-1"}
    for lesson in FIXTURES.lessons:
        assert store.lesson(lesson.sourcedId) == lesson
    assert store.lesson("fx-student-1") is None and not store.exists("lesson", "nobody")
    gone = {**store.get("roster:user", "fx-student-1"), "status": "tobedeleted"}  # type: ignore[dict-item]
    store.put("roster:user", "fx-student-1", gone)
    assert not store.exists("student", "fx-student-1")
    fewer = Fixtures(("s",), ("p",), (), categories=(("fx-category-1", "Homework"),))
    store.seed(fewer, lambda sourced_id, title: {"sourcedId": sourced_id, "title": title})
    store.close()
    store = Store(tmp_path / "roster.db")  # what was written, not what the first store kept in memory
    assert store.exists("student", "p") and not store.exists("student", "fx-student-2")
    assert not store.exists("class", "fx-class-1") and store.lesson(FIXTURES.lessons[0].sourcedId) is None
    assert store.get("category", "fx-category-1") is not None
    store.close()


def test_a_lesson_without_a_question_count_has_four() -> None:
    lesson = Lesson("l-1", "placement", "mastery-track")
    store = Store()
    store.seed(Fixtures(("s",), ("p",), (), lessons=(lesson,)), lambda *_: {})
    resource = store.get("roster:resource", roster.resource_id("l-1"))
    assert resource is not None
    del resource["metadata"]["questions"]
    store.put("roster:resource", resource["sourcedId"], resource)
    assert store.lesson("l-1") == Lesson("l-1", "placement", "mastery-track", None, 4)
    store.close()


def test_official_rostering_reads_need_a_rostering_scope() -> None:
    with ThreadServer(profile=OFFICIAL_PROFILE) as server:
        clients = {
            "gradebook": Api(server.base_url, scope=" ".join(OFFICIAL)),
            "roster": Api(server.base_url, scope=roster.ROSTER_READ),
            "core": Api(server.base_url, scope=roster.ROSTER_CORE_READ),
            "everything": Api(server.base_url),
        }
        try:
            for path in (f"{R}/schools", f"{R}/classes/fx-class-1/students", f"{R}/users/fx-student-1"):
                assert_imsx(clients["gradebook"].get(path), 403, "forbidden")
                for name in ("roster", "core", "everything"):
                    assert clients[name].get(path).status_code == 200, (name, path)
            # A rostering scope reads no gradebook record; writes take any valid token.
            assert_imsx(clients["roster"].get(f"{G}/categories"), 403, "forbidden")
            assert clients["gradebook"].get(f"{G}/categories").status_code == 200
            assert clients["gradebook"].put(f"{R}/courses/{uid()}", {"course": {"title": "x"}}).status_code == 201
            granted = Api(server.base_url, scope=f"{GRADEBOOK_READ} {roster.ROSTER_READ}")
            assert granted.get(f"{R}/orgs").status_code == 200
            granted.close()
        finally:
            for client in clients.values():
                client.close()


def test_timeback_tokens_read_the_roster_without_a_scope(served: tuple[str, Api]) -> None:
    profile, api = served
    if profile != TIMEBACK:
        pytest.skip("TimeBack tokens carry no scope")
    scoped = Api(api.base_url, scope=GRADEBOOK_READ)
    try:
        assert scoped.get(f"{R}/schools").status_code == 200
    finally:
        scoped.close()


def test_the_variant_refusing_unknown_scopes_knows_no_rostering_scope() -> None:
    """It stands for a gradebook-only deployment, the server the grade sync asks for roster.readonly."""
    asked = f"{GRADEBOOK_READ} {roster.ROSTER_READ}"
    for faults, granted in (((), asked), (("benign-unknown-scope-refused",), None)):
        with ThreadServer(profile=OFFICIAL_PROFILE, faults=faults) as server:
            form = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
            response = httpx.post(f"{server.base_url}/oauth2/token", data={**form, "scope": asked}, timeout=TIMEOUT)
            if granted is None:
                assert response.status_code == 400 and response.json()["error"] == "invalid_scope", response.text
            else:
                assert response.status_code == 200 and response.json()["scope"] == granted, response.text
            everything = httpx.post(f"{server.base_url}/oauth2/token", data=form, timeout=TIMEOUT).json()["scope"]
            assert everything.split() == [*OFFICIAL, *roster.READ_SCOPES]
