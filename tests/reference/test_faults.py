"""Every fault switch does what its description says: one scenario per fault, which must observe the
deviation on a server with that fault on and must not on a correct server."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance import reference
from conformance.reference.faults import REGISTRY, Faults, UnknownFault, parse

from ._support import TLS, Api, G, ThreadServer, assert_valid, assessment_line_item, line_item, result, uid

pytestmark = pytest.mark.network
Scenario = Callable[[Api], bool]
MAKE, IMPORT, PROGRESS = (
    "/powerpath/makeExternalTestAssignment",
    "/powerpath/importExternalTestAssignmentResults",
    "/powerpath/getAssessmentProgress",
)
TOOLS = "/_conformance/tools"
ED_UNIT, ED_PLACEMENT, MT = (
    "fx-lesson-unit-test-edulastic",
    "fx-lesson-placement-edulastic",
    "fx-lesson-test-out-mastery-track",
)
STUDENT = "fx-student-1"


def _put(api: Api, **extra: Any) -> tuple[str, httpx.Response]:
    sourced_id = uid("f")
    return sourced_id, api.put(f"{G}/results/{sourced_id}", {"result": result(**extra)})


def _stored(api: Api, **extra: Any) -> dict[str, Any]:
    sourced_id, _ = _put(api, **extra)
    body: dict[str, Any] = api.get(f"{G}/results/{sourced_id}").json()["result"]
    return body


def _listed(api: Api, count: int = 3, **params: Any) -> tuple[list[str], dict[str, Any]]:
    """``count`` new results, then a list of them (``params`` may replace the filter that selects them)."""
    prefix = uid("list")
    ids = [f"{prefix}-{i}" for i in range(count)]
    for sourced_id in ids:
        api.put(f"{G}/results/{sourced_id}", {"result": result()})
    response = api.get(f"{G}/results", params={"filter": f"sourcedId~'{prefix}'", **params})
    return ids, response.json()


def _twice(api: Api) -> tuple[str, httpx.Response, httpx.Response]:
    sourced_id = uid("f")
    first = api.put(f"{G}/results/{sourced_id}", {"result": result(comment="first")})
    second = api.put(f"{G}/results/{sourced_id}", {"result": result(comment="second")})
    return sourced_id, first, second


def _anonymous(api: Api, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.get(f"{api.base_url}{G}/results", headers=headers or {}, timeout=5, verify=TLS)


def _missing(api: Api) -> httpx.Response:
    return api.get(f"{G}/results/{uid('never')}")


def _deleted(api: Api) -> str:
    sourced_id, _ = _put(api)
    api.delete(f"{G}/results/{sourced_id}")
    return sourced_id


def _edulastic(
    api: Api, lesson: str = ED_UNIT, answers: tuple[float, ...] = (1, 1, 1, 1), grade: bool = True, **extra: Any
) -> str:
    """Assign ``lesson``, answer and (maybe) grade it in the tool, import; returns the lesson."""
    aid = str(api.post(MAKE, {"student": STUDENT, "lesson": lesson, **extra}).json()["assignmentId"])
    items = [{"index": i, "score": s, "feedback": ""} for i, s in enumerate(answers)]
    api.post(f"{TOOLS}/edulastic/assignments/{aid}/answers", {"answers": items})
    if grade:
        api.post(f"{TOOLS}/edulastic/assignments/{aid}/grade")
    api.get(IMPORT, params={"student": STUDENT, "lesson": lesson})
    return lesson


def _progress(api: Api, lesson: str = ED_UNIT) -> dict[str, Any]:
    body: dict[str, Any] = api.get(PROGRESS, params={"student": STUDENT, "lesson": lesson}).json()
    return body


def _reimports(api: Api) -> bool:
    _edulastic(api)
    aid = _assignment(api, ED_UNIT)
    api.post(f"{TOOLS}/edulastic/assignments/{aid}/answers", {"answers": [{"index": 0, "score": 0, "feedback": "x"}]})
    api.get(IMPORT, params={"student": STUDENT, "lesson": ED_UNIT})
    return bool(_progress(api)["questions"][0]["result"]["score"] == 0)


def _assignment(api: Api, lesson: str) -> str:
    """The current attempt's assignment id (makeExternalTestAssignment returns it again until finalized)."""
    return str(api.get(IMPORT, params={"student": STUDENT, "lesson": lesson}).json()["assignmentId"])


def _update_lost(api: Api) -> bool:
    sourced_id, _, second = _twice(api)
    kept = api.get(f"{G}/results/{sourced_id}").json()["result"]["comment"]
    return bool(kept == "first" and second.json()["result"]["comment"] == "second")


def _metadata_replaced(api: Api) -> bool:
    url = f"{G}/assessmentLineItems/{uid()}"
    api.put(url, {"assessmentLineItem": assessment_line_item(metadata={"a": 1})})
    patched = api.patch(url, {"assessmentLineItem": {"metadata": {"b": 2}}}).json()["assessmentLineItem"]
    return bool(patched["metadata"] == {"b": 2})


def _stored_despite_404(api: Api) -> bool:
    sourced_id = uid()
    answer = api.post(f"{G}/lineItems/{uid()}/results", {"results": [result(sourcedId=sourced_id)]})
    return answer.status_code == 404 and api.get(f"{G}/results/{sourced_id}").status_code == 200


def _mt_without_processed(api: Api) -> bool:
    aid = api.post(MAKE, {"student": STUDENT, "lesson": MT}).json()["assignmentId"]
    api.post(
        f"{TOOLS}/mastery-track/assignments/{aid}/writeback",
        {"scoreStatus": "fully graded", "masteryTrackProcessed": "false", "score": 50},
    )
    return bool(api.get(IMPORT, params={"student": STUDENT, "lesson": MT}).json()["finalized"])


def _enrolled(api: Api) -> bool:
    _edulastic(api, ED_PLACEMENT, skipCourseEnrollment=True)
    return bool(api.get(f"{TOOLS}/enrollments", params={"student": STUDENT}).json()["enrollments"])


def _pair(api: Api, **extra: Any) -> dict[str, str]:
    pair: dict[str, str] = api.post(f"{G}/results", {"result": result(**extra)}).json()["sourcedIdPairs"]
    return pair


def _page_ids(api: Api, count: int = 3, **params: Any) -> tuple[list[str], list[str]]:
    """The ids created for a listing, and the ids the listing returned."""
    created, body = _listed(api, count, **params)
    return created, [r["sourcedId"] for r in body["results"]]


def _first_page_of(api: Api, **params: Any) -> bool:
    created, got = _page_ids(api, **params)
    return got == created[:1]


def _unreversed(api: Api) -> bool:
    created, got = _page_ids(api, sort="sourcedId", orderBy="desc")
    return got == created


def _went_backwards(api: Api) -> bool:
    _, first, second = _twice(api)
    return bool(second.json()["result"]["dateLastModified"] < first.json()["result"]["dateLastModified"])


def _duplicated(api: Api) -> bool:
    listed = api.get(f"{G}/results", params={"filter": f"sourcedId='{_twice(api)[0]}'"}).json()["results"]
    return len(listed) == 2


def _code_minor(response: httpx.Response) -> str:
    return str(response.json()["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"])


LEARNING_OBJECTIVES = [{"source": "s", "learningObjectiveResults": [{"learningObjectiveId": "lo", "score": 1}]}]

SCENARIOS: dict[str, Scenario] = {
    # payload
    "drop-score-date": lambda api: "scoreDate" not in _put(api)[1].json()["result"],
    "score-as-string": lambda api: _stored(api, score=85)["score"] == "85",
    "score-status-title-case": lambda api: _stored(api)["scoreStatus"] == "Fully Graded",
    "date-without-timezone": lambda api: bool(
        re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", _stored(api)["dateLastModified"])
    ),
    "missing-envelope": lambda api: "result" not in api.get(f"{G}/results/{_put(api)[0]}").json(),
    # status
    "put-returns-204": lambda api: _put(api)[1].status_code == 204,
    "post-returns-200": lambda api: api.post(f"{G}/results", {"result": result()}).status_code == 200,
    "delete-returns-200": lambda api: api.delete(f"{G}/results/{_put(api)[0]}").status_code == 200,
    "missing-returns-200": lambda api: _missing(api).status_code == 200 and _missing(api).json() == {},
    # validation
    "accept-invalid-body": lambda api: api.put(f"{G}/results/{uid()}", {"result": {"score": "x"}}).status_code == 201,
    "server-error-on-bad-enum": lambda api: _put(api, scoreStatus="graded")[1].status_code == 500,
    # errors
    "plain-text-errors": lambda api: _missing(api).headers["content-type"].startswith("text/plain"),
    "wrong-code-minor": lambda api: _code_minor(_missing(api)) == "invaliddata",
    "wrong-404-message": lambda api: _missing(api).json()["imsx_description"] == "Not found",
    # auth
    "ignore-auth": lambda api: _anonymous(api).status_code == 200,
    "accept-any-token": lambda api: _anonymous(api, {"Authorization": "Bearer made-up"}).status_code == 200,
    "auth-403": lambda api: _anonymous(api).status_code == 403,
    # persistence
    "put-update-not-persisted": _update_lost,
    "drop-learning-objectives": lambda api: (
        "learningObjectiveSet" not in _stored(api, learningObjectiveSet=LEARNING_OBJECTIVES)
    ),
    "drop-nulls": lambda api: "comment" not in _stored(api, comment=None),
    "round-scores": lambda api: _stored(api, score=87.6)["score"] == 88,
    "metadata-replaced-on-patch": _metadata_replaced,
    "date-last-modified-backwards": _went_backwards,
    "put-duplicates": _duplicated,
    # sourcedIdPairs
    "allocated-id-unresolvable": lambda api: (
        api.get(f"{G}/results/{_pair(api)['allocatedSourcedId']}").status_code == 404
    ),
    "supplied-id-not-echoed": lambda api: _pair(api, sourcedId=uid())["suppliedSourcedId"] == "",
    "allocation-reuse": lambda api: _pair(api)["allocatedSourcedId"] == _pair(api)["allocatedSourcedId"],
    # POST /lineItems/{id}/results
    "results-post-unknown-lineitem-201": lambda api: (
        api.post(f"{G}/lineItems/{uid()}/results", {"results": [result()]}).status_code == 201
    ),
    "results-post-unknown-lineitem-stores": _stored_despite_404,
    # DELETE
    "delete-unknown-204": lambda api: api.delete(f"{G}/results/{uid()}").status_code == 204,
    "delete-noop": lambda api: api.get(f"{G}/results/{_deleted(api)}").json()["result"]["status"] == "active",
    # collections
    "collection-missing-total": lambda api: "totalCount" not in api.get(f"{G}/results").json(),
    "offset-ignored": lambda api: _first_page_of(api, limit=1, offset=1),
    "limit-off-by-one": lambda api: len(_page_ids(api, limit=1)[1]) == 2,
    "total-count-page": lambda api: _listed(api, limit=1)[1]["totalCount"] == 1,
    "filter-ignored": lambda api: bool(_page_ids(api, 1, filter="sourcedId='no-such-id'")[1]),
    "orderby-ignored": _unreversed,
    "fields-ignored": lambda api: set(_listed(api, fields="sourcedId")[1]["results"][0]) != {"sourcedId"},
    # PowerPath
    "premature-finalization": lambda api: bool(_progress(api, _edulastic(api, grade=False))["finalized"]),
    "reimport-after-finalization": _reimports,
    "edulastic-score-average-of-answered": lambda api: (
        _progress(api, _edulastic(api, answers=(1, 0, 0.5, 1)))["score"] == pytest.approx(2.5 / 3)
    ),
    "attempt-not-incremented": lambda api: (
        api.post(MAKE, {"student": STUDENT, "lesson": _edulastic(api)}).json()["attempt"] == 1
    ),
    "import-without-assignment-200": lambda api: (
        api.get(IMPORT, params={"student": STUDENT, "lesson": ED_UNIT}).status_code == 200
    ),
    "non-external-lesson-accepted": lambda api: (
        api.post(MAKE, {"student": STUDENT, "lesson": "fx-lesson-quiz"}).status_code == 200
    ),
    "enroll-despite-skip": _enrolled,
    "mastery-track-finalize-without-processed": _mt_without_processed,
    # transport
    "json-as-text-html": lambda api: api.get(f"{G}/results").headers["content-type"].startswith("text/html"),
    # benign
    "benign-extra-metadata": lambda api: _stored(api, metadata={"k": 1})["metadata"] != {"k": 1},
    "benign-key-order": lambda api: "\n" in api.get(f"{G}/results").text,
    "benign-gzip": lambda api: (
        api.get(f"{G}/results", headers={"Accept-Encoding": "gzip"}).headers.get("content-encoding") == "gzip"
    ),
    "benign-extra-headers": lambda api: "x-request-id" in api.get(f"{G}/results").headers,
    "benign-fractional-seconds": lambda api: bool(re.search(r"\.\d{6}Z$", _stored(api)["dateLastModified"])),
    "benign-put-200-on-update": lambda api: _twice(api)[2].status_code == 200,
    "benign-x-total-count": lambda api: "x-total-count" in api.get(f"{G}/results").headers,
    "benign-charset": lambda api: api.get(f"{G}/results").headers["content-type"] == "application/json; charset=utf-8",
    "benign-hard-delete": lambda api: api.get(f"{G}/results/{_deleted(api)}").status_code == 404,
    "benign-deleted-in-lists": lambda api: bool(
        api.get(f"{G}/results", params={"filter": f"sourcedId='{_deleted(api)}'"}).json()["results"]
    ),
}


def test_every_fault_has_a_scenario() -> None:
    assert sorted(SCENARIOS) == sorted(REGISTRY)


@pytest.mark.parametrize("name", list(REGISTRY))
def test_the_fault_shows_and_a_correct_server_does_not(
    serve: Callable[..., tuple[ThreadServer, Api]], name: str
) -> None:
    assert SCENARIOS[name](serve([name])[1]) is True, f"{name}: the deviation was not observed"
    assert SCENARIOS[name](serve()[1]) is False, f"{name}: a correct server shows the deviation"


@pytest.mark.parametrize("name", [name for name, fault in REGISTRY.items() if not fault.harmful])
def test_benign_faults_keep_the_documented_contract(serve: Callable[..., tuple[ThreadServer, Api]], name: str) -> None:
    """What a tolerant client checks still holds: schemas, statuses in the accepted lists, 404 messages."""
    api = serve([name])[1]
    line_item_id = uid("li")
    put = api.put(f"{G}/lineItems/{line_item_id}", {"lineItem": line_item()})
    assert put.status_code in (200, 201)
    assert_valid("lineItem.single", put.json())
    again = api.put(f"{G}/lineItems/{line_item_id}", {"lineItem": line_item(title="t2")})
    assert again.status_code in (200, 201) and again.json()["lineItem"]["title"] == "t2"
    assert api.get(f"{G}/lineItems/{line_item_id}").json()["lineItem"]["title"] == "t2"
    posted = api.post(f"{G}/lineItems/{line_item_id}/results", {"results": [result()]})
    assert posted.status_code == 201
    assert_valid("sourcedIdPairs", posted.json())
    assert_valid("lineItem.collection", api.get(f"{G}/lineItems").json())
    assert api.delete(f"{G}/lineItems/{line_item_id}").status_code == 204
    after = api.get(f"{G}/lineItems/{line_item_id}")
    assert (after.status_code == 404 and after.json()["imsx_description"] == "Line item not found.") or (
        after.status_code == 200 and after.json()["lineItem"]["status"] == "tobedeleted"
    )
    missing = api.get(f"{G}/lineItems/{uid()}")
    assert missing.status_code == 404 and missing.json()["imsx_description"] == "Line item not found."


def test_fault_names_are_checked() -> None:
    assert parse(" drop-nulls , round-scores,drop-nulls") == ("drop-nulls", "round-scores")
    with pytest.raises(UnknownFault, match="unknown fault 'nope'"):
        parse("drop-nulls,nope")
    with pytest.raises(KeyError):
        Faults().on("not-registered")
    assert all(f.description and f.category for f in REGISTRY.values())
    assert sum(not f.harmful for f in REGISTRY.values()) == 10


def test_the_readme_documents_every_fault_as_registered() -> None:
    readme = (Path(reference.__file__).parent / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([a-z0-9-]+)` \| [^|]+ \| (?:harmful|benign) \| (.+) \|$", readme, re.MULTILINE))
    assert rows == {name: fault.description for name, fault in REGISTRY.items()}
