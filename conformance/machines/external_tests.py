"""PowerPath external tests as a state machine (seed 004: TimeBack PowerPath OpenAPI —
importExternalTestAssignmentResults).

For one external lesson, a run assigns the test, lets the tool make progress (Edulastic: answers
with partial credit, a grade; MasteryTrack: write-backs of results), imports and reads progress in
whatever order Hypothesis picks, and compares each answer with the model of the attempt
(external_tests_model.py).

Driving the tool needs the target's tool control interface (machines/tool_control.py). Without it, a run
can only assign, import and read progress of an attempt nobody takes, which must stay unfinalized.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, cast

from hypothesis import strategies as st
from hypothesis.stateful import initialize, precondition, rule

from conformance.checks import Finding, raise_for
from conformance.checks.registry import validates
from conformance.client import Exchange
from conformance.fixtures import Lesson
from conformance.machines import external_tests_model as model
from conformance.machines.base import ConformanceMachine
from conformance.machines.external_tests_model import ENROLLING, WRITE_BACK_STATUSES, Attempt, Results, Verdict
from conformance.machines.tool_control import EDULASTIC, ToolControlError, ToolDriver, question_count
from conformance.session.suite_session import powerpath_path

ASSIGN, IMPORT, PROGRESS = "makeExternalTestAssignment", "importExternalTestAssignmentResults", "getAssessmentProgress"
SCORES = (0.0, 0.25, 0.5, 0.75, 1.0)  # quarters: sums and means of a few stay exact in binary floating point


@validates(
    "PP-ASSIGN",
    "PP-IMPORT",
    "PP-PROGRESS",
    "PP-NOT-FINALIZED-EARLY",
    "PP-FINALIZE-EDULASTIC",
    "PP-FINALIZE-MASTERY-TRACK",
    "PP-EDULASTIC-SCORE",
    "PP-NO-REIMPORT",
    "PP-ATTEMPTS",
    "PP-ENROLLMENT",
    "PP-ENROLLMENT-OBSERVED",
)
class ExternalTestMachine(ConformanceMachine):
    lesson: ClassVar[Lesson]

    @classmethod
    def for_lesson(cls, lesson: Lesson) -> type[ExternalTestMachine]:
        """A machine class per lesson: Hypothesis runs classes, and the lesson fixes the tool and type."""
        name = "ExternalTest_" + re.sub(r"\W", "_", lesson.sourcedId)
        return cast(type[ExternalTestMachine], type(name, (cls,), {"lesson": lesson}))

    def __init__(self) -> None:
        super().__init__()
        prefix = self.session.tool_control
        self.tools = ToolDriver(prefix, self.send) if prefix else None
        self.questions: int | None = None  # the test's question count, known from the tool
        self.skip, self.student, self.watch_enrollment, self.dedicated = True, "", False, False
        self.attempt = Attempt(0, None)
        self.changes = 0  # numbers the feedback texts, so that every change of the tool is visible

    @property
    def edulastic(self) -> bool:
        return self.lesson.toolProvider == EDULASTIC

    @property
    def drivable(self) -> bool:
        return self.tools is not None and self.attempt.assignment_id is not None and self.questions is not None

    @property
    def finalize_requirement(self) -> str:
        return "PP-FINALIZE-EDULASTIC" if self.edulastic else "PP-FINALIZE-MASTERY-TRACK"

    # Start ---------------------------------------------------------------------------------------
    @initialize(skip=st.booleans(), data=st.data())
    def start_attempt(self, skip: bool, data: st.DataObject) -> None:
        """Students are fixtures, so the pair's current attempt may be left over from an earlier run or
        another test, in any state. When the tool can be driven, walk the whole cycle once, so that every
        run checks every transition whatever Hypothesis picks next: finish the current attempt, import
        (finalized), change the tool and import (nothing re-imported), assign (the next attempt, which
        this run creates and so knows entirely), and take it to an edge of finishing (not finalized).
        When the tool cannot be driven, nobody can have progressed the current attempt either."""
        self.skip = skip
        cast_ = model.roles(self.session.world.fixtures)
        self.student = cast_.skipping if skip else cast_.enrolling
        # A left-over attempt carries its own skipCourseEnrollment, unknown here, unless the student
        # is one only this machine assigns, and always with skipCourseEnrollment.
        self.dedicated = skip and cast_.dedicated
        self.watch_enrollment = self.dedicated
        self.attempt = self._assign()
        if self.tools is None or self.attempt.assignment_id is None:
            return
        state = self.tools.state(str(self.lesson.toolProvider), self.attempt.assignment_id)
        self.questions = question_count(state)
        if not self.questions:
            raise ToolControlError(f"the tool's view of {self.attempt.assignment_id} gives no question count")
        _, progress = self._read_progress()
        if progress.get("finalized") is True:  # only a server that re-issues finalized attempts: PP-ATTEMPTS
            self.attempt.finalized, self.attempt.final = True, model.projection(progress)
        # The same draws either way: Hypothesis replays draws, and what the server held must not change them.
        self._complete(data)
        self._import()
        self._change_tool(data)
        self._import()
        self._assign_next()
        self.watch_enrollment = True
        self._almost_finish(data)
        self._import()

    def _change_tool(self, data: st.DataObject) -> None:
        """After finalization: new answers, or a new write-back, with results that differ from the old."""
        if self.edulastic:
            self._answer(self._some(data, least=1))
        else:
            self._write_back(self._some(data, least=1), "fully graded", True, data.draw(st.sampled_from(SCORES)))

    def _almost_finish(self, data: st.DataObject) -> None:
        """One condition for finalizing met, the other not: the edges where a server finalizes early."""
        assert self.questions is not None
        edge = data.draw(st.booleans(), label="answered all but ungraded / graded but not answered all")
        if self.edulastic:
            if edge:
                self._answer({i: self._draw(data, i) for i in range(self.questions)})
            else:
                count = data.draw(st.integers(0, self.questions - 1), label="questions answered")
                if count:
                    self._answer({i: self._draw(data, i) for i in range(count)})
                self._grade()
        elif edge:
            self._write_back(self._some(data, least=0), "fully graded", False, data.draw(st.sampled_from(SCORES)))
        else:
            status = data.draw(st.sampled_from(WRITE_BACK_STATUSES[:-1]), label="write-back status")
            self._write_back(self._some(data, least=0), status, True, data.draw(st.sampled_from(SCORES)))

    # The tool ------------------------------------------------------------------------------------
    def _draw(self, data: st.DataObject, index: int) -> tuple[float, str]:
        """A result for one question; once finalized, a different one, so that a re-import would show."""
        current = self.attempt.tool.get(index)
        choices = [s for s in SCORES if not self.attempt.finalized or current is None or s != current[0]]
        score = data.draw(st.sampled_from(choices), label=f"score of question {index + 1}")
        self.changes += 1
        return score, f"feedback #{self.changes} on question {index + 1}"

    def _some(self, data: st.DataObject, least: int) -> Results:
        assert self.questions is not None
        indices = data.draw(st.sets(st.integers(0, self.questions - 1), min_size=least), label="questions")
        return {i: self._draw(data, i) for i in sorted(indices)}

    def _answer(self, answers: Results) -> None:
        assert self.tools is not None and self.attempt.assignment_id is not None
        self.tools.answer(self.attempt.assignment_id, answers)
        self.attempt.answered(answers, self.questions)

    def _grade(self) -> None:
        assert self.tools is not None and self.attempt.assignment_id is not None
        self.tools.grade(self.attempt.assignment_id)
        self.attempt.graded_now(self.questions)

    def _write_back(self, questions: Results, status: str, processed: bool, score: float) -> None:
        assert self.tools is not None and self.attempt.assignment_id is not None
        results = self.attempt.with_write_back(questions)
        self.tools.write_back(
            self.attempt.assignment_id, score_status=status, processed=processed, score=score, questions=results
        )
        self.attempt.written_back(results, status, processed)

    def _complete(self, data: st.DataObject) -> None:
        """The tool finishes the test: every question answered and graded / written back processed."""
        assert self.questions is not None
        missing = {i: self._draw(data, i) for i in range(self.questions) if i not in self.attempt.tool}
        if self.edulastic:
            if missing:
                self._answer(missing)
            self._grade()
        else:
            self._write_back(missing, "fully graded", True, data.draw(st.sampled_from(SCORES), label="test score"))

    @precondition(lambda self: self.drivable and self.edulastic)
    @rule(data=st.data())
    def answer_questions(self, data: st.DataObject) -> None:
        """The student answers some questions, with partial credit; after finalization, changes answers."""
        self._answer(self._some(data, least=1))

    @precondition(lambda self: self.drivable and self.edulastic and not self.attempt.graded)
    @rule()
    def grade(self) -> None:
        """Edulastic grades the test, answered or not."""
        self._grade()

    @precondition(lambda self: self.drivable and not self.edulastic)
    @rule(
        status=st.sampled_from(WRITE_BACK_STATUSES),
        processed=st.booleans(),
        score=st.sampled_from(SCORES),
        data=st.data(),
    )
    def write_back(self, status: str, processed: bool, score: float, data: st.DataObject) -> None:
        """MasteryTrack writes results back, graded or not, processed or not."""
        self._write_back(self._some(data, least=1 if self.attempt.finalized else 0), status, processed, score)

    @precondition(lambda self: self.drivable and not self.attempt.tool_done)
    @rule(data=st.data())
    def finish_test(self, data: st.DataObject) -> None:
        self._complete(data)

    # PowerPath -----------------------------------------------------------------------------------
    @rule()
    def import_results(self) -> None:
        self._import()

    @rule()
    def read_progress(self) -> None:
        exchange, progress = self._read_progress()
        attempt = self.attempt
        if attempt.final is not None:
            title = "Progress changed after the attempt was finalized"
            self._holds("PP-NO-REIMPORT", exchange, attempt.unchanged(progress), title)
            return
        finalized = progress.get("finalized")
        ok = attempt.shown_finalized_ok(finalized)
        self._check_not_early(ok, exchange, title="Progress shows an unfinished test finalized", actual=finalized)
        title = "Progress does not show the imported question results"
        self._holds("PP-PROGRESS", exchange, attempt.shows_imported(progress, strict=False), title)

    @precondition(lambda self: self.attempt.finalized)
    @rule()
    def assign_again(self) -> None:
        self._assign_next()

    # Steps and checks ----------------------------------------------------------------------------
    def _holds(self, requirement: str, exchange: Exchange | None, verdict: Verdict, title: str) -> None:
        """Record the model's verdict on an answer; on a broken MUST, fail the run with its steps."""
        self.recorder.expect(
            requirement, verdict.ok, exchange, title=title, expected=verdict.expected, actual=verdict.actual
        )

    def _judged(self, exchange: Exchange, operation: str) -> dict[str, Any]:
        """The suite's common checks on a request built to succeed; then the answer's body."""
        self.recorder.judge(exchange, operation, expect_success=True, mode="positive")
        body = exchange.try_json()
        return body if isinstance(body, dict) else {}

    def _check_not_early(self, ok: bool, exchange: Exchange, *, title: str, actual: object) -> None:
        """An early finalization breaks the general rule and the tool's own condition for finalizing."""
        expected = f"finalized false ({self._tool_summary()})"
        failures = []
        for requirement in ("PP-NOT-FINALIZED-EARLY", self.finalize_requirement):
            finding = (
                Finding.ok(requirement) if ok else Finding.fail(requirement, title, expected, f"finalized {actual!r}")
            )
            failure = self.recorder.record(finding, exchange)
            if failure is not None:
                failures.append(failure)
        raise_for(failures)

    def _assign(self) -> Attempt:
        body = {"student": self.student, "lesson": self.lesson.sourcedId, "skipCourseEnrollment": self.skip}
        exchange = self.send("POST", powerpath_path(ASSIGN), json_body=body)
        got = self._judged(exchange, ASSIGN)
        title = "The assignment does not describe the lesson's test"
        self._holds("PP-ASSIGN", exchange, model.assignment(got, self.lesson), title)
        return Attempt.assigned(got)

    def _assign_next(self) -> None:
        previous = self.attempt.number
        self.attempt = self._assign()
        title = "A new assignment after finalization did not start the next attempt"
        self._holds("PP-ATTEMPTS", self.steps[-1], model.next_attempt(previous, self.attempt.number), title)

    def _import(self) -> None:
        attempt = self.attempt
        finalizing = attempt.finalizing
        watch = finalizing and self.watch_enrollment and self.lesson.lessonType in ENROLLING
        enrolled = self.tools.enrolled_courses(self.student) if watch and self.tools else None
        exchange = self.send(
            "GET", powerpath_path(IMPORT), params={"student": self.student, "lesson": self.lesson.sourcedId}
        )
        got = self._judged(exchange, IMPORT)
        described = model.import_describes(got, self.lesson, attempt.number)
        title = "The import does not report the attempt assigned"
        self._holds("PP-NO-REIMPORT" if attempt.finalized else "PP-IMPORT", exchange, described, title)
        finalized = got.get("finalized")
        if attempt.finalized:
            title = "A finalized attempt is finalized no more"
            self._holds("PP-NO-REIMPORT", exchange, model.finalized(finalized), title)
        elif finalizing:
            title = "The import did not finalize a finished test"
            self._holds(self.finalize_requirement, exchange, model.finalized(finalized, self._tool_summary()), title)
        else:
            self._check_not_early(
                finalized is False, exchange, title="The import finalized an unfinished test", actual=finalized
            )
        if not attempt.finalized:
            attempt.imported = dict(attempt.tool)
        if finalizing:
            attempt.finalized = True
            self._on_finalized(enrolled)
        elif attempt.final is not None:
            self.read_progress()  # seed 004: nothing imported once finalized, so progress must not change

    def _read_progress(self) -> tuple[Exchange, dict[str, Any]]:
        params = {"student": self.student, "lesson": self.lesson.sourcedId, "attempt": str(self.attempt.number)}
        exchange = self.send("GET", powerpath_path(PROGRESS), params=params)
        got = self._judged(exchange, PROGRESS)
        described = model.progress_describes(got, self.lesson, self.attempt.number, self.questions)
        self._holds("PP-PROGRESS", exchange, described, "Progress does not describe the attempt")
        return exchange, got

    def _on_finalized(self, enrolled: set[str] | None) -> None:
        exchange, progress = self._read_progress()
        title = "Progress does not show the finalized attempt finalized"
        self._holds(self.finalize_requirement, exchange, model.finalized(progress.get("finalized")), title)
        title = "Progress does not show the imported question results"
        self._holds("PP-PROGRESS", exchange, self.attempt.shows_imported(progress, strict=True), title)
        if self.edulastic:
            assert self.questions
            score = self.attempt.edulastic_score(progress.get("score"), self.questions)
            self._holds("PP-EDULASTIC-SCORE", exchange, score, "The Edulastic score is not the mean over all questions")
        self.attempt.final = model.projection(progress)
        if enrolled is not None:
            self._check_enrollment(enrolled, progress.get("enrollmentFailed"))

    def _check_enrollment(self, before: set[str], failed: object) -> None:
        """Seed 004: finalizing a placement or test-out may enroll the student in a course, unless the
        assignment set skipCourseEnrollment. Only the 'unless' is a MUST; whether it enrolls is reported."""
        assert self.tools is not None
        after = self.tools.enrolled_courses(self.student)
        if not self.skip:
            shown = f"enrolled in {', '.join(sorted(after))}" if after else "enrolled in no course"
            self.recorder.observe(
                "PP-ENROLLMENT-OBSERVED",
                f"a finalized {self.lesson.lessonType} without skipCourseEnrollment: the student is "
                f"{shown} (expected course {self.lesson.course!r}); enrollmentFailed {failed!r}",
            )
            return
        verdict = model.not_enrolled(self.student, before, after, failed, dedicated=self.dedicated)
        self._holds("PP-ENROLLMENT", self.steps[-1], verdict, "skipCourseEnrollment was not respected")
        if self.lesson.course in before:
            self.recorder.observe(
                "PP-ENROLLMENT-OBSERVED",
                f"skipCourseEnrollment shown only in part: the student was already enrolled in {self.lesson.course}",
            )

    def _tool_summary(self) -> str:
        return "nobody took the test" if self.tools is None else self.attempt.summary(self.edulastic, self.questions)
