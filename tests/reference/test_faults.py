"""Fault switches do what their descriptions say: a scenario per fault that has one, which must observe
the deviation on a server with that fault on and must not on a correct server. A fault without a
scenario is still covered: the kill matrix (tests/selftest) checks that the suite catches it."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import profiles
from conformance.reference.faults import REGISTRY, Faults, UnknownFault, parse

from ._records import assessment_line_item, category, line_item, result
from ._scenarios import Probe, Scenario, Serve, assert_the_fault_shows, missing, shared_scenarios, undeclared
from ._support import Api, G, assert_valid, uid

pytestmark = pytest.mark.network
PROBE = Probe(profiles.TIMEBACK)
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
    sourced_id, _, second = PROBE.twice(api)
    kept = api.get(f"{G}/results/{sourced_id}").json()["result"]["comment"]
    return bool(kept == "first" and second.json()["result"]["comment"] == "second")


def _metadata_replaced(api: Api) -> bool:
    url = f"{G}/assessmentLineItems/{uid()}"
    api.put(url, {"assessmentLineItem": assessment_line_item(metadata={"a": 1})})
    patched = api.patch(url, {"assessmentLineItem": {"metadata": {"b": 2}}}).json()["assessmentLineItem"]
    return bool(patched["metadata"] == {"b": 2})


def _stored_despite_404(api: Api) -> bool:
    sourced_id = uid()
    answer = api.post(f"{G}/lineItems/{uid()}/results", {"results": [result(sourced_id)]})
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


def _went_backwards(api: Api) -> bool:
    _, first, second = PROBE.twice(api)
    return bool(second.json()["result"]["dateLastModified"] < first.json()["result"]["dateLastModified"])


def _status_required(api: Api) -> bool:
    """Whether a category PUT without the status TimeBack's schema requires of it is refused."""
    sent = {key: value for key, value in category(title="No status").items() if key != "status"}
    return api.put(f"{G}/categories/{uid()}", {"category": sent}).status_code == 422


SCENARIOS: dict[str, Scenario] = {
    **shared_scenarios(PROBE),
    # payload
    "drop-score-date": lambda api: "scoreDate" not in PROBE.put(api)[1].json()["result"],
    # status
    "post-returns-200": lambda api: api.post(f"{G}/results", {"result": result()}).status_code == 200,
    # errors
    "wrong-404-message": lambda api: missing(api).json()["imsx_description"] == "Not found",
    # persistence
    "put-update-not-persisted": _update_lost,
    "metadata-replaced-on-patch": _metadata_replaced,
    "date-last-modified-backwards": _went_backwards,
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
    # collections
    "collection-missing-total": lambda api: "totalCount" not in api.get(f"{G}/results").json(),
    "total-count-page": lambda api: PROBE.listed(api, limit=1)[1].json()["totalCount"] == 1,
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
    "benign-key-order": lambda api: "\n" in api.get(f"{G}/results").text,
    "benign-gzip": lambda api: (
        api.get(f"{G}/results", headers={"Accept-Encoding": "gzip"}).headers.get("content-encoding") == "gzip"
    ),
    "benign-extra-headers": lambda api: "x-request-id" in api.get(f"{G}/results").headers,
    "benign-put-200-on-update": lambda api: PROBE.twice(api)[2].status_code == 200,
    "benign-x-total-count": lambda api: "x-total-count" in api.get(f"{G}/results").headers,
    "benign-charset": lambda api: api.get(f"{G}/results").headers["content-type"] == "application/json; charset=utf-8",
    "benign-put-create-answers-200": lambda api: PROBE.put(api)[1].status_code == 200,
    "benign-server-members-required": _status_required,
}


def test_scenarios_name_only_declared_faults() -> None:
    assert undeclared(SCENARIOS, profiles.TIMEBACK) == []


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_the_fault_shows_and_a_correct_server_does_not(serve: Serve, name: str) -> None:
    assert_the_fault_shows(serve, SCENARIOS[name], name)


@pytest.mark.parametrize("name", [name for name, fault in REGISTRY.items() if not fault.harmful])
def test_benign_faults_keep_the_documented_contract(serve: Serve, name: str) -> None:
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
    assert parse(" wrong-404-message , round-scores,wrong-404-message") == ("wrong-404-message", "round-scores")
    with pytest.raises(UnknownFault, match="unknown fault 'nope'"):
        parse("wrong-404-message,nope")
    with pytest.raises(KeyError):
        Faults().on("not-registered")
    assert all(f.description and f.category for f in REGISTRY.values())
    assert sum(not f.harmful for f in REGISTRY.values()) >= 8
