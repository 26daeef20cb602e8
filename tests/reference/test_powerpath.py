"""PowerPath external tests end to end over HTTP, driving the tool doubles through the control
interface the way the suite does (discovered from /.well-known/oneroster-conformance)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from conformance import fixtures
from conformance.reference.app import context
from conformance.reference.tool_doubles import result_id

from ._support import TLS, Api, G, ThreadServer, assert_imsx, assert_valid

pytestmark = pytest.mark.network
MAKE, IMPORT, PROGRESS = (
    "/powerpath/makeExternalTestAssignment",
    "/powerpath/importExternalTestAssignmentResults",
    "/powerpath/getAssessmentProgress",
)
ED_TEST_OUT, ED_PLACEMENT, ED_UNIT = (
    "fx-lesson-test-out-edulastic",
    "fx-lesson-placement-edulastic",
    "fx-lesson-unit-test-edulastic",
)
MT_TEST_OUT, MT_PLACEMENT = "fx-lesson-test-out-mastery-track", "fx-lesson-placement-mastery-track"
STUDENT = "fx-student-1"


class PowerPath:
    """The three PowerPath calls and the tool doubles' control interface, over one authenticated client."""

    def __init__(self, api: Api, *, controlled: bool = True) -> None:
        self.api = api
        self.tools = ""
        if controlled:
            discovery = httpx.get(f"{api.base_url}/.well-known/oneroster-conformance", timeout=5, verify=TLS).json()
            self.tools = discovery["toolControl"]

    def make(self, lesson: str, student: str = STUDENT, **extra: Any) -> dict[str, Any]:
        response = self.api.post(MAKE, {"student": student, "lesson": lesson, **extra})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert_valid("powerpath.makeAssignmentResponse", body)
        return body

    def import_(self, lesson: str, student: str = STUDENT) -> dict[str, Any]:
        response = self.api.get(IMPORT, params={"student": student, "lesson": lesson})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert_valid("powerpath.importResultsResponse", body)
        return body

    def progress(self, lesson: str, student: str = STUDENT, attempt: int | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"student": student, "lesson": lesson}
        if attempt is not None:
            params["attempt"] = attempt
        response = self.api.get(PROGRESS, params=params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert_valid("powerpath.assessmentProgressResponse", body)
        return body

    def control(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        response = self.api.request(method, self.tools + path, json=body)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def answer(self, assignment: str, *answers: tuple[int, float, str]) -> dict[str, Any]:
        items = [{"index": i, "score": s, "feedback": f} for i, s, f in answers]
        return self.control("POST", f"/edulastic/assignments/{assignment}/answers", {"answers": items})

    def grade(self, assignment: str) -> dict[str, Any]:
        return self.control("POST", f"/edulastic/assignments/{assignment}/grade")

    def writeback(
        self,
        assignment: str,
        status: str,
        processed: str,
        score: float | None = None,
        questions: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        body = {"scoreStatus": status, "masteryTrackProcessed": processed, "score": score, "questions": questions or []}
        return self.control("POST", f"/mastery-track/assignments/{assignment}/writeback", body)

    def outage(self, tool: str, failing: bool) -> dict[str, Any]:
        return self.control("POST", f"/{tool}/outage", {"failing": failing})

    def enrollments(self, student: str = STUDENT) -> list[dict[str, Any]]:
        return list(self.control("GET", f"/enrollments?student={student}")["enrollments"])


@pytest.fixture
def pp(fresh: Api) -> PowerPath:
    return PowerPath(fresh)


def test_edulastic_flow_attempts_scores_and_enrollment(pp: PowerPath) -> None:
    first = pp.make(ED_TEST_OUT)
    assert first["toolProvider"] == "edulastic" and first["lessonType"] == "test-out" and first["attempt"] == 1
    assert {"credentials", "assignmentId", "classId", "testUrl", "testId"} <= set(first)
    assert pp.make(ED_TEST_OUT) == first  # not finalized: the same attempt and assignment
    aid = first["assignmentId"]

    imported = pp.import_(ED_TEST_OUT)
    assert imported == {
        "lessonType": "test-out",
        "lessonId": ED_TEST_OUT,
        "toolProvider": "edulastic",
        "finalized": False,
        "attempt": 1,
        **{k: first[k] for k in ("credentials", "assignmentId", "classId", "testUrl", "testId")},
    }
    progress = pp.progress(ED_TEST_OUT)
    assert progress["totalQuestions"] == 4 and progress["correctQuestions"] == 0 and not progress["finalized"]
    assert all("result" not in q for q in progress["questions"]) and "score" not in progress

    pp.answer(aid, (0, 1, "right"), (1, 0.5, "half"))
    assert not pp.import_(ED_TEST_OUT)["finalized"]
    pp.answer(aid, (2, 1, "live only"))  # answered in the tool, not imported yet
    progress = pp.progress(ED_TEST_OUT)
    assert [q.get("result") for q in progress["questions"]] == [
        {"score": 1, "feedback": "right"},
        {"score": 0.5, "feedback": "half"},
        None,
        None,
    ]
    assert progress["correctQuestions"] == 1 and progress["accuracy"] == 25

    pp.grade(aid)  # graded, but question 3 is unanswered
    assert not pp.import_(ED_TEST_OUT)["finalized"]
    pp.answer(aid, (3, 0, "wrong"))
    assert pp.import_(ED_TEST_OUT)["finalized"]
    progress = pp.progress(ED_TEST_OUT)
    assert progress["finalized"] and progress["score"] == pytest.approx((1 + 0.5 + 1 + 0) / 4)
    assert (progress["correctQuestions"], progress["totalQuestions"], progress["accuracy"]) == (2, 4, 50)
    assert progress["enrollmentFailed"] is False and progress["xp"] is None and progress["multiplier"] is None
    assert [(e["course"], e["lesson"]) for e in pp.enrollments()] == [("fx-course-math-3", ED_TEST_OUT)]

    stored = pp.api.get(f"{G}/assessmentResults/{result_id(STUDENT, ED_TEST_OUT, 1)}").json()["assessmentResult"]
    assert stored["scoreStatus"] == "fully graded" and stored["score"] == pytest.approx(0.625)
    assert stored["metadata"]["totalQuestions"] == 4 and stored["metadata"]["correctQuestions"] == 2

    pp.answer(aid, (3, 1, "changed after finalization"))  # seed 004: nothing is imported any more
    assert pp.import_(ED_TEST_OUT)["finalized"]
    assert pp.progress(ED_TEST_OUT) == progress

    second = pp.make(ED_TEST_OUT)
    assert second["attempt"] == 2 and second["assignmentId"] != aid
    assert not pp.import_(ED_TEST_OUT)["finalized"]
    assert pp.progress(ED_TEST_OUT)["attempt"] == 2 and not pp.progress(ED_TEST_OUT)["finalized"]
    assert pp.progress(ED_TEST_OUT, attempt=1) == progress
    assert_imsx(pp.api.get(PROGRESS, params={"student": STUDENT, "lesson": ED_TEST_OUT, "attempt": 3}), 404)


def test_edulastic_waits_for_the_grade_after_every_answer(pp: PowerPath) -> None:
    aid = pp.make(ED_UNIT)["assignmentId"]
    pp.answer(aid, (0, 1, ""), (1, 1, ""), (2, 1, ""), (3, 1, ""))
    assert not pp.import_(ED_UNIT)["finalized"]
    pp.grade(aid)
    assert pp.import_(ED_UNIT)["finalized"]
    progress = pp.progress(ED_UNIT)
    assert progress["score"] == 1 and progress["accuracy"] == 100 and progress["enrollmentFailed"] is False
    assert pp.enrollments() == []  # unit tests never enroll


def test_skip_course_enrollment_applies_to_the_attempt(pp: PowerPath) -> None:
    aid = pp.make(ED_PLACEMENT, skipCourseEnrollment=True)["assignmentId"]
    pp.answer(aid, (0, 1, ""), (1, 0, ""), (2, 0, ""), (3, 0, ""))
    pp.grade(aid)
    assert pp.import_(ED_PLACEMENT)["finalized"]
    assert pp.enrollments() == [] and pp.progress(ED_PLACEMENT)["enrollmentFailed"] is False
    aid = pp.make(ED_PLACEMENT)["assignmentId"]  # attempt 2, no skip
    pp.answer(aid, (0, 1, ""), (1, 1, ""), (2, 1, ""), (3, 1, ""))
    pp.grade(aid)
    assert pp.import_(ED_PLACEMENT)["attempt"] == 2
    assert [e["course"] for e in pp.enrollments()] == ["fx-course-math-3"]


def test_mastery_track_flow(pp: PowerPath) -> None:
    made = pp.make(MT_TEST_OUT)
    assert made["toolProvider"] == "mastery-track" and "classId" not in made and made["testId"] == made["assignmentId"]
    aid = made["assignmentId"]
    assert not pp.import_(MT_TEST_OUT)["finalized"]
    assert all("result" not in q for q in pp.progress(MT_TEST_OUT)["questions"])

    questions = [{"index": 0, "score": 1, "feedback": "ok"}, {"index": 1, "score": 0, "feedback": "no"}]
    pp.writeback(aid, "partially graded", "false", 40, questions)
    assert not pp.import_(MT_TEST_OUT)["finalized"]
    assert pp.progress(MT_TEST_OUT)["correctQuestions"] == 1
    pp.writeback(aid, "fully graded", "false", 60, questions)
    assert not pp.import_(MT_TEST_OUT)["finalized"]
    pp.writeback(aid, "fully graded", "true", 80, [*questions, {"index": 2, "score": 1, "feedback": ""}])
    assert pp.import_(MT_TEST_OUT)["finalized"]
    progress = pp.progress(MT_TEST_OUT)
    assert progress["score"] == 80 and progress["correctQuestions"] == 2 and progress["enrollmentFailed"] is False
    assert [e["course"] for e in pp.enrollments()] == ["fx-course-math-3"]
    stored = pp.api.get(f"{G}/assessmentResults/{result_id(STUDENT, MT_TEST_OUT, 1)}").json()["assessmentResult"]
    assert stored["scoreStatus"] == "fully graded" and stored["metadata"]["masteryTrackProcessed"] == "true"

    pp.writeback(aid, "fully graded", "true", 5, [])  # after finalization: not imported
    pp.import_(MT_TEST_OUT)
    assert pp.progress(MT_TEST_OUT) == progress


def test_mastery_track_write_back_through_the_gradebook(pp: PowerPath) -> None:
    """MasteryTrack writes back through OneRoster: a PATCH of the attempt's AssessmentResult counts."""
    pp.make(MT_PLACEMENT, skipCourseEnrollment=True)
    url = f"{G}/assessmentResults/{result_id(STUDENT, MT_PLACEMENT, 1)}"
    pp.api.patch(url, {"assessmentResult": {"scoreStatus": "fully graded", "score": 70}})
    assert not pp.import_(MT_PLACEMENT)["finalized"]  # masteryTrackProcessed is still 'false'
    pp.api.patch(url, {"assessmentResult": {"metadata": {"masteryTrackProcessed": "true"}}})
    assert pp.import_(MT_PLACEMENT)["finalized"]
    assert pp.progress(MT_PLACEMENT)["score"] == 70 and pp.enrollments() == []


def test_enrollment_fails_without_a_course(serve: Callable[..., tuple[ThreadServer, Api]]) -> None:
    seed = fixtures.parse(
        {
            "schools": [{"sourcedId": "s"}],
            "students": [{"sourcedId": "st"}],
            "classes": [{"sourcedId": "c", "school": "s"}],
            "lessons": [
                {"sourcedId": "orphan", "lessonType": "placement", "toolProvider": "edulastic", "questions": 1}
            ],
        }
    )
    pp = PowerPath(serve(fixtures=seed)[1])
    aid = pp.make("orphan", student="st")["assignmentId"]
    pp.answer(aid, (0, 1, ""))
    pp.grade(aid)
    assert pp.import_("orphan", student="st")["finalized"]
    assert pp.progress("orphan", student="st")["enrollmentFailed"] is True
    assert pp.enrollments("st") == []


CALLS: dict[str, Callable[[Api, str, str], httpx.Response]] = {
    "make": lambda api, student, lesson: api.post(MAKE, {"student": student, "lesson": lesson}),
    "import": lambda api, student, lesson: api.get(IMPORT, params={"student": student, "lesson": lesson}),
    "progress": lambda api, student, lesson: api.get(PROGRESS, params={"student": student, "lesson": lesson}),
}


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize(
    ("student", "lesson", "status", "words"),
    [
        ("nobody", ED_TEST_OUT, 404, "Student"),
        (STUDENT, "no-such-lesson", 404, "Lesson"),
        (STUDENT, "fx-lesson-quiz", 400, "not an external test"),
    ],
)
def test_documented_failures(api: Api, call: str, student: str, lesson: str, status: int, words: str) -> None:
    body = assert_imsx(CALLS[call](api, student, lesson), status)
    assert words in body["imsx_description"]


@pytest.mark.parametrize("call", ["import", "progress"])
def test_no_prior_assignment_is_400(fresh: Api, call: str) -> None:
    body = assert_imsx(CALLS[call](fresh, "fx-student-2", ED_UNIT), 400, "invaliddata")
    assert "assignment" in body["imsx_description"]


@pytest.mark.parametrize(("tool", "lesson"), [("edulastic", ED_UNIT), ("mastery-track", MT_TEST_OUT)])
def test_tool_errors_are_400_naming_the_tool(pp: PowerPath, tool: str, lesson: str) -> None:
    pp.outage(tool, True)
    body = assert_imsx(pp.api.post(MAKE, {"student": STUDENT, "lesson": lesson}), 400, "invaliddata")
    assert tool in body["imsx_description"]
    pp.outage(tool, False)
    pp.make(lesson)
    pp.outage(tool, True)
    body = assert_imsx(pp.api.get(IMPORT, params={"student": STUDENT, "lesson": lesson}), 400, "invaliddata")
    assert tool in body["imsx_description"]
    assert pp.control("GET", f"/{tool}/assignments/{pp.make(lesson)['assignmentId']}")["failing"] is True
    pp.outage(tool, False)
    assert pp.import_(lesson)["attempt"] == 1


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/edulastic/assignments/nope/answers", {"answers": []}, 404),
        ("/edulastic/outage", {"failing": "yes"}, 400),
        ("/nonsense/outage", {"failing": True}, 404),
        ("/mastery-track/assignments/nope/writeback", {"scoreStatus": "fully graded"}, 404),
    ],
)
def test_control_interface_errors(pp: PowerPath, path: str, body: Any, status: int) -> None:
    assert_imsx(pp.api.post(pp.tools + path, body), status)


def test_control_interface_validates_answers_and_write_backs(pp: PowerPath) -> None:
    ed = pp.make(ED_UNIT)["assignmentId"]
    mt = pp.make(MT_TEST_OUT)["assignmentId"]
    for answers in ([{"index": 4, "score": 1}], [{"index": 0, "score": 1.5}], [{"index": 0, "score": "1"}], "x"):
        assert_imsx(pp.api.post(f"{pp.tools}/edulastic/assignments/{ed}/answers", {"answers": answers}), 400)
    for body in (
        {"scoreStatus": "done"},
        {"scoreStatus": "fully graded", "masteryTrackProcessed": True},
        {"scoreStatus": "fully graded", "score": "80"},
    ):
        assert_imsx(pp.api.post(f"{pp.tools}/mastery-track/assignments/{mt}/writeback", body), 400)
    assert_imsx(pp.api.post(f"{pp.tools}/mastery-track/assignments/{ed}/writeback", {"scoreStatus": "exempt"}), 404)
    state = pp.control("GET", f"/edulastic/assignments/{ed}")
    assert state["grade"] == "NOT_GRADED" and [q["answered"] for q in state["questions"]] == [False] * 4


# The two benign variants that stand for a real deployment ----------------------------------------------
def _tool_doc(server: ThreadServer, assignment: str) -> dict[str, Any]:
    doc = context(server.app).store.tool_assignment(assignment)
    assert doc is not None
    return doc


def _result(pp: PowerPath, student: str, lesson: str, attempt: int) -> dict[str, Any]:
    body: dict[str, Any] = pp.api.get(f"{G}/assessmentResults/{result_id(student, lesson, attempt)}").json()
    return dict(body["assessmentResult"])


@pytest.mark.parametrize("variant", ["benign-hidden-control", "benign-autonomous-tool"])
def test_the_variants_neither_serve_nor_announce_tool_control(
    serve: Callable[..., tuple[ThreadServer, Api]], variant: str
) -> None:
    server, api = serve([variant])
    assert httpx.get(f"{server.base_url}/.well-known/oneroster-conformance", timeout=5).status_code == 404
    assert_imsx(api.get("/_conformance/tools/enrollments", params={"student": STUDENT}), 404)
    aid = PowerPath(api, controlled=False).make(ED_UNIT)["assignmentId"]
    assert_imsx(api.post(f"/_conformance/tools/edulastic/assignments/{aid}/grade"), 404)
    assert_imsx(api.get(f"/_conformance/tools/edulastic/assignments/{aid}"), 404)


def test_hidden_control_leaves_the_test_untaken(serve: Callable[..., tuple[ThreadServer, Api]]) -> None:
    pp = PowerPath(serve(["benign-hidden-control"])[1], controlled=False)
    pp.make(ED_UNIT)
    for _ in range(6):
        assert pp.import_(ED_UNIT)["finalized"] is False
    assert all("result" not in q for q in pp.progress(ED_UNIT)["questions"])


def test_every_assessment_result_carries_its_assignment(pp: PowerPath) -> None:
    """Seed 004: the assignment stores the tool's ids in the attempt's AssessmentResult."""
    ed, mt = pp.make(ED_UNIT), pp.make(MT_TEST_OUT)
    metadata = _result(pp, STUDENT, ED_UNIT, 1)["metadata"]
    assert (metadata["assignmentId"], metadata["classId"]) == (ed["assignmentId"], ed["classId"])
    assert _result(pp, STUDENT, MT_TEST_OUT, 1)["metadata"]["assignmentId"] == mt["assignmentId"]


def _take_until_finalized(pp: PowerPath, server: ThreadServer, lesson: str, student: str) -> list[Any]:
    """Import until the attempt finalizes; after each import, what the progress shows. The student must
    be seen moving on (at most one step in a row that only MasteryTrack's status shows), and the attempt
    finalize exactly when the tool's own state says the test is done."""
    assignment = pp.make(lesson, student=student)["assignmentId"]
    shown: list[Any] = []
    unseen = 0
    for _ in range(12):
        finalized = pp.import_(lesson, student=student)["finalized"]
        doc = _tool_doc(server, assignment)
        if doc["toolProvider"] == "edulastic":
            done = doc["grade"] == "GRADED" and all(a is not None for a in doc["answers"])
        else:
            result = _result(pp, student, lesson, doc["attempt"])
            done = result["scoreStatus"] == "fully graded" and result["metadata"]["masteryTrackProcessed"] == "true"
        assert finalized == done, (finalized, doc)
        progress = pp.progress(lesson, student=student)
        snapshot = [q.get("result") for q in progress["questions"]]
        unseen = unseen + 1 if shown and snapshot == shown[-1] and not finalized else 0
        assert unseen <= 1, "two imports in a row before the end showed no progress"
        shown.append(snapshot)
        if finalized:
            assert all(snapshot) and progress["finalized"]
            return shown
    raise AssertionError("the autonomous tool never finished the test")


@pytest.mark.parametrize("lesson", [ED_UNIT, ED_TEST_OUT, MT_TEST_OUT, MT_PLACEMENT])
def test_the_autonomous_tool_takes_the_test_and_finalizes_by_the_rules(
    serve: Callable[..., tuple[ThreadServer, Api]], lesson: str
) -> None:
    server, api = serve(["benign-autonomous-tool"])
    pp = PowerPath(api, controlled=False)
    for student in (STUDENT, "fx-student-2", "fx-student-never-enrolled"):
        assert len(_take_until_finalized(pp, server, lesson, student)) > 1, "finished in one step"


def test_the_autonomous_tool_writes_mastery_track_results_back(serve: Callable[..., tuple[ThreadServer, Api]]) -> None:
    server, api = serve(["benign-autonomous-tool"])
    pp = PowerPath(api, controlled=False)
    assignment = pp.make(MT_TEST_OUT)["assignmentId"]
    assert _result(pp, STUDENT, MT_TEST_OUT, 1)["scoreStatus"] == "not submitted"
    pp.import_(MT_TEST_OUT)
    result = _result(pp, STUDENT, MT_TEST_OUT, 1)
    assert result["scoreStatus"] in ("partially graded", "fully graded") and isinstance(result["score"], float)
    assert result["metadata"]["assignmentId"] == assignment
    assert _tool_doc(server, assignment)["writtenBack"] is True


def test_the_autonomous_tool_is_deterministic(serve: Callable[..., tuple[ThreadServer, Api]]) -> None:
    """Seeded by student, lesson and step, not by the attempt's number: a new attempt moves the same way
    on another fresh server, and as the first attempt did."""
    first_server, first_api = serve(["benign-autonomous-tool"])
    other_server, other_api = serve(["benign-autonomous-tool"])
    first, other = PowerPath(first_api, controlled=False), PowerPath(other_api, controlled=False)
    for lesson in (ED_UNIT, MT_TEST_OUT):
        run = _take_until_finalized(first, first_server, lesson, STUDENT)
        assert _take_until_finalized(other, other_server, lesson, STUDENT) == run
        assert first.progress(lesson)["attempt"] == 1
        assert _take_until_finalized(first, first_server, lesson, STUDENT) == run  # attempt 2
        assert first.progress(lesson)["attempt"] == 2
    assert _take_until_finalized(first, first_server, ED_UNIT, "fx-student-2") != run
