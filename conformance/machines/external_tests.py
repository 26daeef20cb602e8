"""PowerPath external tests as a state machine (seed 004: TimeBack PowerPath OpenAPI —
importExternalTestAssignmentResults).

For one external lesson, a run assigns the test, lets the tool make progress (Edulastic: answers with
partial credit, a grade; MasteryTrack: write-backs of results), imports and reads progress in whatever
order Hypothesis picks, and compares each answer with the model of the attempt (external_tests_model).
Driving the tool needs the target's tool control interface (tool_control). Without it the tool does
whatever it does (on a real deployment, someone may take the test): a finalization is then judged on
the evidence the target shows, never on what the suite assumes the tool holds.

Every example works on an attempt it started itself, so that its steps replay on a fresh server: it
leaves its attempt finalized when it ends (teardown), and what an earlier run or person left unfinished
is finalized first, quietly, before the example's own assignment (_own_attempt). The tool's side of
the steps (answers, grades, write-backs) is tool_control.ToolSteps.
"""

from __future__ import annotations

import re
from contextlib import suppress
from typing import Any, ClassVar, cast

from hypothesis import strategies as st
from hypothesis.stateful import initialize, precondition, rule

from conformance.checks import Finding, raise_for
from conformance.checks.registry import validates
from conformance.client import Exchange
from conformance.fixtures import Lesson
from conformance.machines import external_tests_model as model
from conformance.machines import tool_control
from conformance.machines.base import ConformanceMachine
from conformance.machines.external_tests_model import ENROLLING, Attempt, Verdict
from conformance.machines.tool_control import ToolControlError, ToolDriver, ToolSteps
from conformance.session.suite_session import powerpath_path

ASSIGN, IMPORT, PROGRESS = "makeExternalTestAssignment", "importExternalTestAssignmentResults", "getAssessmentProgress"
NOT_EARLY = "PP-NOT-FINALIZED-EARLY"


@validates(
    "PP-ASSIGN", "PP-IMPORT", "PP-PROGRESS", "PP-NOT-FINALIZED-EARLY", "PP-FINALIZE-EDULASTIC",
    "PP-FINALIZE-MASTERY-TRACK", "PP-EDULASTIC-SCORE", "PP-NO-REIMPORT", "PP-ATTEMPTS", "PP-ENROLLMENT",
    "PP-ENROLLMENT-OBSERVED",
)  # fmt: skip
class ExternalTestMachine(ToolSteps, ConformanceMachine):
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

    @property
    def _tool_summary(self) -> str:
        return self.attempt.summary(self.edulastic, self.questions)

    @property
    def _pair(self) -> dict[str, str]:
        return {"student": self.student, "lesson": self.lesson.sourcedId}

    @property
    def _tries(self) -> int:  # imports enough for a student to take the whole test, one question each
        return 2 * (self.questions or self.lesson.questions) + 4

    @property
    def finalize_requirement(self) -> str:
        return "PP-FINALIZE-EDULASTIC" if self.edulastic else "PP-FINALIZE-MASTERY-TRACK"

    # Start and end -------------------------------------------------------------------------------
    @initialize(skip=st.booleans(), data=st.data())
    def start_attempt(self, skip: bool, data: st.DataObject) -> None:
        """Start the example's own attempt, and walk the whole cycle once, so that every run checks every
        transition whatever Hypothesis picks next. With tool control: finish the attempt, import
        (finalized), change the tool and import (nothing re-imported), assign (the next attempt), and
        take it to an edge of finishing (not finalized). Without: import while the tool moves on by
        itself, if it does, and after a finalization assign (the next attempt)."""
        self.skip = skip
        cast_ = model.roles(self.session.world.fixtures)
        self.student = cast_.skipping if skip else cast_.enrolling
        # An attempt left over carries its own skipCourseEnrollment, unknown here, unless the student
        # is one only this machine assigns, and always with skipCourseEnrollment.
        self.dedicated = skip and cast_.dedicated
        self.watch_enrollment = self._own_attempt() or self.dedicated
        if self.tools is None:
            if tool_control.wait_for_finalization(self._judged_import, self._tries):
                self._assign_next()
            return
        if self.attempt.assignment_id is None:
            return
        # The same draws either way: Hypothesis replays draws, and what the server held must not change them.
        self._complete(data)
        self._import()
        self._change_tool(data)
        self._import()
        self._assign_next()
        self.watch_enrollment = True
        self._almost_finish(data)
        self._import()

    def _own_attempt(self) -> bool:
        """Assign; when that is not a new attempt, finalize it quietly and assign again. The steps start at
        the last assignment: from the example's own attempt they replay on a fresh server, whose first
        assignment is a new attempt too. Whether the attempt is the example's own. (A server that
        re-issues a finalized attempt fails PP-ATTEMPTS later, where the first example fails it:
        Hypothesis needs every example to fail at the same step after the same draws.)"""
        mark = len(self.steps)
        self.attempt = self._assign()
        fresh = self._fresh()
        if not fresh and self._finish_quietly():
            mark = len(self.steps)
            self.attempt = self._assign()
            fresh = self._fresh()
        del self.steps[:mark]
        return fresh

    def _fresh(self) -> bool:
        """Whether the attempt assigned is untouched as far as the target shows (nothing imported, no
        work in the tool); learns the question count, and a re-issued finalized attempt as such."""
        if self.attempt.assignment_id is None:
            return False
        state: dict[str, Any] | None = None
        if self.tools is not None:
            state = self.tools.state(str(self.lesson.toolProvider), self.attempt.assignment_id)
            self.questions = tool_control.question_count(state)
            if not self.questions:
                raise ToolControlError(f"the tool's view of {self.attempt.assignment_id} gives no question count")
        _, progress = self._read_progress()
        if progress.get("finalized") is True:  # only a server that re-issues finalized attempts: PP-ATTEMPTS
            self.attempt.finalized, self.attempt.final = True, model.projection(progress)
        return model.untouched(progress) and (state is None or tool_control.untouched(state))

    def _finish_quietly(self) -> bool:
        """Finalize the current attempt, judging nothing: finish the test through the tool control
        interface if there is one, then import while the tool moves on. Whether it got finalized."""
        if self.tools is not None and self.attempt.assignment_id is not None and self.questions:
            self.tools.finish(str(self.lesson.toolProvider), self.attempt.assignment_id, self.questions)
        return tool_control.wait_for_finalization(self._quiet_import, self._tries)

    def _quiet_import(self) -> tuple[object, object]:
        """One import and the progress after it, judging nothing: (finalized, the questions shown)."""
        got, shown = (self.send("GET", powerpath_path(op), params=self._pair).try_json() for op in (IMPORT, PROGRESS))
        return _member(got, "finalized"), _member(shown, "questions")

    def _judged_import(self) -> tuple[object, object]:
        """One import and the progress after it, each judged as any other: (finalized, the questions shown)."""
        self._import()
        return (True, None) if self.attempt.finalized else (False, self._read_progress()[1].get("questions"))

    def teardown(self) -> None:
        """Leave the attempt finalized, so that the next example's first assignment starts a new one."""
        with suppress(ToolControlError):  # then the next example finishes it, or knows it is not its own
            if self.attempt.assignment_id is not None and not self.attempt.finalized:
                self._finish_quietly()
        super().teardown()

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
        title = "Progress shows an unfinished test finalized"
        if self.tools is None:  # a server importing on read may show a finalization no import made
            if finalized is True:
                self._by_evidence(exchange, progress, title)
        else:  # a server importing lazily, on read, could show a finished test finalized, which is not wrong
            self._both(self._not_yet(attempt.shown_finalized_ok(finalized), finalized), exchange, title)
        title = "Progress does not show the imported question results"
        self._holds("PP-PROGRESS", exchange, attempt.shows_imported(progress, strict=False), title)

    @precondition(lambda self: self.attempt.finalized)
    @rule()
    def assign_again(self) -> None:
        self._assign_next()

    # Steps and checks ----------------------------------------------------------------------------
    def _holds(self, requirement: str, exchange: Exchange | None, verdict: Verdict, title: str) -> None:
        """Record the model's verdict on an answer; on a broken MUST, fail the run with its steps."""
        ok, expected, actual = verdict.ok, verdict.expected, verdict.actual
        self.recorder.expect(requirement, ok, exchange, title=title, expected=expected, actual=actual)

    def _judged(self, exchange: Exchange, operation: str) -> dict[str, Any]:
        """The suite's common checks on a request built to succeed; then the answer's body."""
        self.recorder.judge(exchange, operation, expect_success=True, mode="positive")
        body = exchange.try_json()
        return body if isinstance(body, dict) else {}

    def _both(self, verdict: Verdict, exchange: Exchange | None, title: str) -> None:
        """A finalization judged: an early one breaks the general rule and the tool's own condition."""
        failed = [
            Finding.fail(r, title, verdict.expected, verdict.actual) for r in (NOT_EARLY, self.finalize_requirement)
        ]
        found = [self.recorder.record(Finding.ok(f.requirement) if verdict.ok else f, exchange) for f in failed]
        raise_for([failure for failure in found if failure is not None])

    def _by_evidence(self, exchange: Exchange, progress: dict[str, Any], title: str) -> bool:
        """Without tool control, a finalization the suite did not cause: the tool's state is unknown, so
        only the target's own state can contradict it (Edulastic: the attempt's progress; MasteryTrack:
        its AssessmentResult). Passed when that supports it; not checked when nothing can be read. Whether
        it was judged."""
        if self.edulastic:
            verdict = model.edulastic_evidence(progress)
        else:
            path = self.session.collection_path("assessmentResult")
            found, result = tool_control.assessment_result(self.send, path, self.student, self.attempt.assignment_id)
            if result is None:
                for requirement in (NOT_EARLY, self.finalize_requirement):
                    self.recorder.skip(requirement, model.NO_EVIDENCE)
                return False
            exchange, verdict = found or exchange, model.mastery_track_evidence(result)
        self._both(verdict, exchange, title)
        return True

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
        exchange = self.send("GET", powerpath_path(IMPORT), params=self._pair)
        got = self._judged(exchange, IMPORT)
        described = model.import_describes(got, self.lesson, attempt.number)
        title = "The import does not report the attempt assigned"
        self._holds("PP-NO-REIMPORT" if attempt.finalized else "PP-IMPORT", exchange, described, title)
        finalized, read, judged = got.get("finalized"), None, True
        if attempt.finalized:
            title = "A finalized attempt is finalized no more"
            self._holds("PP-NO-REIMPORT", exchange, model.finalized(finalized), title)
            if attempt.final_import is not None:
                title = "An import after finalization answers otherwise than the import that finalized"
                self._holds("PP-NO-REIMPORT", exchange, attempt.import_unchanged(got), title)
        elif finalizing:
            title = "The import did not finalize a finished test"
            self._holds(self.finalize_requirement, exchange, model.finalized(finalized, self._tool_summary), title)
        elif self.tools is None and finalized is True:  # someone took the test: judged on the evidence
            read = self._read_progress()
            judged = self._by_evidence(*read, title="The import finalized a test the target itself shows unfinished")
            finalizing = True
        elif self.tools is None:  # an unfinalized answer is never early; whether it is late is not visible
            if finalized is False:
                self.recorder.record(Finding.ok(NOT_EARLY), exchange)
        else:
            self._both(
                self._not_yet(finalized is False, finalized), exchange, "The import finalized an unfinished test"
            )
        if not attempt.finalized:
            attempt.imported = dict(attempt.tool)
        if finalizing:
            attempt.finalized = True
            attempt.final_import = got if not read else None  # finalized by this import, not by evidence read
            self._on_finalized(enrolled, read, judged)
        elif attempt.final is not None:
            self.read_progress()  # seed 004: nothing imported once finalized, so progress must not change

    def _read_progress(self) -> tuple[Exchange, dict[str, Any]]:
        # The latest attempt, which is always the example's own: asked for by number, the steps would
        # name an attempt a fresh server, replaying them, numbers differently.
        exchange = self.send("GET", powerpath_path(PROGRESS), params=self._pair)
        got = self._judged(exchange, PROGRESS)
        described = model.progress_describes(got, self.lesson, self.attempt.number, self.questions)
        self._holds("PP-PROGRESS", exchange, described, "Progress does not describe the attempt")
        return exchange, got

    def _on_finalized(
        self, enrolled: set[str] | None, read: tuple[Exchange, dict[str, Any]] | None, judged: bool
    ) -> None:
        exchange, progress = read or self._read_progress()
        shown = model.finalized(progress.get("finalized"))
        if judged or not shown.ok:  # a finalization no evidence could judge is not passed for its consistency
            title = "Progress does not show the finalized attempt finalized"
            self._holds(self.finalize_requirement, exchange, shown, title)
        title = "Progress does not show the imported question results"
        self._holds("PP-PROGRESS", exchange, self.attempt.shows_imported(progress, strict=True), title)
        if self.edulastic:  # without tool control, the question results the progress itself shows
            score = model.shown_score(progress)
            if self.questions:  # known from the tool, whose every result the suite set itself
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
            self.recorder.observe("PP-ENROLLMENT-OBSERVED", model.enrollment_seen(self.lesson, after, failed))
            return
        verdict = model.not_enrolled(self.student, before, after, failed, dedicated=self.dedicated)
        self._holds("PP-ENROLLMENT", self.steps[-1], verdict, "skipCourseEnrollment was not respected")
        if self.lesson.course in before:
            note = f"skipCourseEnrollment shown only in part: the student was already enrolled in {self.lesson.course}"
            self.recorder.observe("PP-ENROLLMENT-OBSERVED", note)

    def _not_yet(self, ok: bool, finalized: object) -> Verdict:
        """An answer that must not show the attempt finalized yet, for the tool's state the suite made."""
        return Verdict(ok, f"finalized false ({self._tool_summary})", f"finalized {finalized!r}")


def _member(body: object, name: str) -> object:
    return body.get(name) if isinstance(body, dict) else None
