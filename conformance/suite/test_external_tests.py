"""PowerPath external tests (seed 004): the life of an attempt, run as a state machine per external
lesson (each lessonType with each toolProvider), and the documented failures of importExternalTestAssignmentResults.
The spec maps no failure to a status code: any 4xx with an imsx body passes, and which one is reported."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from conformance.checks import Recorder
from conformance.checks.registry import validates
from conformance.client import Exchange
from conformance.contract import schemas
from conformance.fixtures import EXTERNAL_LESSON_TYPES, TOOL_PROVIDERS, Lesson
from conformance.machines.external_tests import ASSIGN, IMPORT, PROGRESS, ExternalTestMachine
from conformance.machines.external_tests_model import SHARED_ATTEMPTS, roles
from conformance.machines.tool_control import EDULASTIC, ToolDriver
from conformance.session.suite_session import SuiteSession, powerpath_path
from conformance.suite.judge import COMMON, recorder_fixture  # noqa: F401 (a fixture)


@pytest.fixture(autouse=True)
def _powerpath_offered(suite: SuiteSession) -> None:
    """Only a profile whose dialect has PowerPath runs these tests (its catalogue has no PP-* otherwise)."""
    if "powerpath" not in suite.profile.services:
        pytest.skip(f"profile {suite.profile.name} has no PowerPath")


# Without the tool control interface the suite cannot finish a test; a requirement below is then
# checked only if the tool finishes one by itself during the run (someone takes the test), and judged
# on the evidence the target shows. Requirement → what it waits for.
NEEDS_TOOLS = {
    "PP-FINALIZE-EDULASTIC": "finalization needs every question answered and the test graded",
    "PP-FINALIZE-MASTERY-TRACK": "finalization needs a fully graded, processed write-back",
    "PP-EDULASTIC-SCORE": "a score exists only once the test is answered and graded",
    "PP-NO-REIMPORT": "it needs a finalized attempt",
    "PP-ATTEMPTS": "a new attempt starts only after a finalized one",
}
pytestmark = pytest.mark.shares(SHARED_ATTEMPTS)
NEEDS_ENROLLMENTS = ("PP-ENROLLMENT", "PP-ENROLLMENT-OBSERVED")  # only the control interface shows enrollments
COMBINATIONS = [(kind, tool) for tool in TOOL_PROVIDERS for kind in EXTERNAL_LESSON_TYPES]


def _writes_allowed(suite: SuiteSession, recorder: Recorder) -> None:
    """PowerPath imports are GETs that write (results, finalization, enrollment): none in a read-only run."""
    if suite.options.read_only:
        for requirement in (r for r in recorder.requirements if r.startswith("PP-")):
            recorder.skip(requirement, "read-only run: assignments and imports write, so none is sent")
        pytest.skip("read-only run: assignments and imports write")


def _lesson(suite: SuiteSession, kind: str, tool: str) -> Lesson:
    lesson = suite.world.fixtures.lesson(kind, tool)
    if lesson is None:
        pytest.skip(f"the fixtures name no {kind} lesson of {tool}")
    return lesson


@pytest.mark.parametrize(("kind", "tool"), COMBINATIONS, ids=[f"{k}-{t}" for k, t in COMBINATIONS])
@pytest.mark.cost(330)
@validates(  # what ExternalTestMachine records
    "PP-ASSIGN", "PP-IMPORT", "PP-PROGRESS", "PP-NOT-FINALIZED-EARLY", "PP-FINALIZE-EDULASTIC",
    "PP-FINALIZE-MASTERY-TRACK", "PP-EDULASTIC-SCORE", "PP-NO-REIMPORT", "PP-ATTEMPTS", "PP-ENROLLMENT",
    "PP-ENROLLMENT-OBSERVED",
    checks=COMMON,
    aspects=("success", "schema"),
    operations=(ASSIGN, IMPORT, PROGRESS),
)  # fmt: skip
def test_attempt_lifecycle(kind: str, tool: str, suite: SuiteSession, recorder: Recorder) -> None:
    _writes_allowed(suite, recorder)
    lesson = _lesson(suite, kind, tool)
    if suite.tool_control is None:
        for requirement in NEEDS_ENROLLMENTS:
            recorder.skip(requirement, "needs the tool control interface: enrollments are seen only through it")
    other = ("PP-FINALIZE-MASTERY-TRACK",) if tool == EDULASTIC else ("PP-FINALIZE-EDULASTIC", "PP-EDULASTIC-SCORE")
    checked = {r: _checks(recorder, r) for r in NEEDS_TOOLS if r not in other}
    machine = ExternalTestMachine.for_lesson(lesson).bind(suite)
    budget = max(5, min(15, suite.options.max_examples // 2))  # cheap: ~0.1 s a run on the reference server
    config = settings(
        max_examples=budget,
        stateful_step_count=12,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=suite.options.phases,
    )
    try:
        run_state_machine_as_test(machine, settings=config)
    finally:
        if suite.tool_control is None:
            for requirement, before in checked.items():
                if _checks(recorder, requirement) == before:
                    recorder.skip(
                        requirement,
                        "needs the tool control interface: no attempt of the lesson finalized during the run "
                        f"(nobody finished the test), and {NEEDS_TOOLS[requirement]}",
                    )


def _checks(recorder: Recorder, requirement: str) -> int:
    """How often a requirement was judged so far (passed or failed), in this process."""
    entry = recorder.ledger.entries.get(requirement)
    return entry.passed + entry.failed if entry else 0


# Failures ------------------------------------------------------------------------------------------
def _refused(
    recorder: Recorder, requirement: str, exchange: Exchange, operation: str, what: str, *steps: Exchange
) -> None:
    """A 4xx with an imsx body passes; the status is reported (PP-FAIL-STATUS). The common checks come
    after: a wrongly accepted request would otherwise fail as a malformed success, not as not refused."""
    status = exchange.status or 0
    body = exchange.try_json()
    imsx = body is not None and not schemas.problems("imsxStatusInfo", body, profile=recorder.profile)
    recorder.observe("PP-FAIL-STATUS", f"{what}: {exchange.error or status}")
    recorder.expect(
        requirement,
        400 <= status < 500 and imsx,
        exchange,
        title=f"Not refused: {what}",
        expected="a 4xx answer with an imsx status body",
        actual=f"{exchange.error or status}, {'an imsx body' if imsx else 'no imsx body'}",
        steps=(*steps, exchange) if steps else (),
    )
    recorder.judge(exchange, operation)


def _import(suite: SuiteSession, student: str, lesson: str) -> Exchange:
    return suite.get(powerpath_path(IMPORT), params={"student": student, "lesson": lesson})


@validates("PP-FAIL-NON-EXTERNAL", "PP-FAIL-STATUS", checks=COMMON, aspects=("schema",), operations=(ASSIGN, IMPORT))
def test_non_external_lesson_refused(suite: SuiteSession, recorder: Recorder) -> None:
    _writes_allowed(suite, recorder)
    others = suite.world.fixtures.other_lessons
    if not others:
        recorder.skip("PP-FAIL-NON-EXTERNAL", "the fixtures name no lesson that is not an external test")
        pytest.skip("no non-external lesson in the fixtures")
    student = roles(suite.world.fixtures).skipping
    for lesson in others:
        body = {"student": student, "lesson": lesson.sourcedId, "skipCourseEnrollment": True}
        assigned = suite.send("POST", powerpath_path(ASSIGN), json_body=body)
        _refused(recorder, "PP-FAIL-NON-EXTERNAL", assigned, ASSIGN, f"assigning a {lesson.lessonType} lesson")
        imported = _import(suite, student, lesson.sourcedId)
        _refused(
            recorder, "PP-FAIL-NON-EXTERNAL", imported, IMPORT, f"importing a {lesson.lessonType} lesson", assigned
        )


@validates("PP-FAIL-UNKNOWN-STUDENT", "PP-FAIL-STATUS", checks=COMMON, aspects=("schema",), operations=(IMPORT,))
def test_unknown_student_refused(suite: SuiteSession, recorder: Recorder) -> None:
    _writes_allowed(suite, recorder)
    lesson = _any_external(suite, recorder)
    imported = _import(suite, suite.world.fresh_id("student"), lesson.sourcedId)
    _refused(recorder, "PP-FAIL-UNKNOWN-STUDENT", imported, IMPORT, "importing for a student that does not exist")


@validates("PP-FAIL-NO-ASSIGNMENT", "PP-FAIL-STATUS", checks=COMMON, aspects=("schema",), operations=(IMPORT,))
def test_import_without_assignment_refused(suite: SuiteSession, recorder: Recorder) -> None:
    _writes_allowed(suite, recorder)
    student = roles(suite.world.fixtures).unassigned
    if student is None:
        reason = "the fixtures name no student outside every class, so no pair is known never to have been assigned"
        recorder.skip("PP-FAIL-NO-ASSIGNMENT", reason)
        pytest.skip(reason)
    for lesson in suite.world.fixtures.external_lessons:
        # Witness first: progress is a read, and it answers only for a pair that has an assignment.
        params = {"student": student, "lesson": lesson.sourcedId}
        progress = suite.get(powerpath_path(PROGRESS), params=params)
        if progress.status == 200:
            recorder.skip(
                "PP-FAIL-NO-ASSIGNMENT",
                f"{student} already has an assignment of {lesson.sourcedId} (from an earlier run against this target?)",
            )
            continue
        _refused(
            recorder,
            "PP-FAIL-NO-ASSIGNMENT",
            _import(suite, student, lesson.sourcedId),
            IMPORT,
            "importing without a prior assignment",
            progress,
        )


@pytest.fixture
def tool_outage(suite: SuiteSession, recorder: Recorder) -> Iterator[ToolDriver]:
    """A driver whose outages are always switched off again, whatever the test does."""
    if suite.tool_control is None:
        recorder.skip("PP-FAIL-TOOL", "the target offers no tool control interface: a tool error cannot be caused")
        pytest.skip("the target offers no tool control interface: a tool error cannot be caused")
    driver = ToolDriver(suite.tool_control, suite.send)
    tools = {lesson.toolProvider for lesson in suite.world.fixtures.external_lessons if lesson.toolProvider}
    try:
        yield driver
    finally:
        for tool in sorted(tools):
            driver.outage(tool, False)


@validates("PP-FAIL-TOOL", "PP-FAIL-STATUS", checks=COMMON, aspects=("success", "schema"), operations=(ASSIGN, IMPORT))
@pytest.mark.alone
def test_tool_error_refused(suite: SuiteSession, recorder: Recorder, tool_outage: ToolDriver) -> None:
    """Seed 004: import fails on 'any other problem on the Edulastic or MasteryTrack API'."""
    _writes_allowed(suite, recorder)
    student = roles(suite.world.fixtures).skipping
    for tool in TOOL_PROVIDERS:
        lesson = next((x for x in suite.world.fixtures.external_lessons if x.toolProvider == tool), None)
        if lesson is None:
            continue
        # After an assignment the latest attempt is unfinalized, so the import must ask the tool.
        body = {"student": student, "lesson": lesson.sourcedId, "skipCourseEnrollment": True}
        assigned = suite.send("POST", powerpath_path(ASSIGN), json_body=body)
        recorder.judge(assigned, ASSIGN, expect_success=True)
        failing = tool_outage.outage(tool, True)
        try:
            imported = _import(suite, student, lesson.sourcedId)
        finally:
            tool_outage.outage(tool, False)
        _refused(recorder, "PP-FAIL-TOOL", imported, IMPORT, f"import while {tool} fails", assigned, failing)


def _any_external(suite: SuiteSession, recorder: Recorder) -> Lesson:
    lessons = suite.world.fixtures.external_lessons
    if not lessons:
        recorder.skip("PP-FAIL-UNKNOWN-STUDENT", "the fixtures name no external-test lesson")
        pytest.skip("no external-test lesson in the fixtures")
    return lessons[0]
