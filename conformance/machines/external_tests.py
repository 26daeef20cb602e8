"""PowerPath external tests (issue 5, point 5; seed 004, seeds/004_ebac228a1807b255.txt).

For one external lesson, a run assigns the test, lets the tool make progress (Edulastic: answers
with partial credit, a grade; MasteryTrack: write-backs of results), imports and reads progress in
whatever order Hypothesis picks, and compares each answer with a model of the attempt: an import
finalizes exactly when the tool is done, the Edulastic score is the mean over all questions, once
finalized nothing more is imported, and a new assignment then starts the next attempt.

Driving the tool needs the target's tool control interface (machines/tools.py). Without it, a run
can only assign, import and read progress of an attempt nobody takes, which must stay unfinalized.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeGuard, cast

from hypothesis import strategies as st
from hypothesis.stateful import initialize, precondition, rule

from conformance.checks import Context, Failure, Finding, raise_for, record
from conformance.client import Exchange
from conformance.contract.operations import by_id
from conformance.fixtures import Fixtures, Lesson
from conformance.machines.base import MAX_STEPS_SHOWN, ConformanceMachine
from conformance.machines.tools import EDULASTIC, ToolControlError, ToolDriver, question_count
from conformance.suite.judge import COMMON
from conformance.suite.session import powerpath_path

ASSIGN, IMPORT, PROGRESS = "makeExternalTestAssignment", "importExternalTestAssignmentResults", "getAssessmentProgress"
SCORES = (0.0, 0.25, 0.5, 0.75, 1.0)  # quarters: sums and means of a few stay exact in binary floating point
TOLERANCE = 1e-9
WRITE_BACK_STATUSES = ("submitted", "partially graded", "fully graded")
ENROLLING = ("test-out", "placement")  # seed 004: only these may enroll the student in a course

Results = dict[int, tuple[float, str]]  # question position → (score, feedback)


@dataclass
class Attempt:
    """What the server must hold for the attempt a run drives."""

    number: int
    assignment_id: str | None
    tool: Results = field(default_factory=dict)  # the tool's current question results
    graded: bool = False  # Edulastic's grade is GRADED
    written: str = "none"  # MasteryTrack's last write-back, as failure messages describe it
    tool_done: bool = False  # the tool says the test is over: PowerPath's next import must finalize
    imported: Results = field(default_factory=dict)  # what the last import took
    finalized: bool = False
    final: dict[str, Any] | None = None  # getAssessmentProgress as it read when the attempt finalized


@dataclass(frozen=True)
class Roles:
    """Which fixture students the PowerPath tests use, and for what.

    Students in no class are never assigned anything by the other tests (they assign class members
    only), so their attempts change only as these tests make them, even with parallel workers. In
    file order: the first is never assigned a test (the 'no prior assignment' failure); the second
    is assigned only with skipCourseEnrollment, so any enrollment of it is wrong; the third is
    assigned without. Fixtures with fewer fall back to class members."""

    unassigned: str | None
    skipping: str  # assigned with skipCourseEnrollment
    enrolling: str  # assigned without it
    dedicated: bool  # `skipping` is in no class: no other test assigns it, so every attempt it has skips


def roles(fixtures: Fixtures) -> Roles:
    in_class = {s for c in fixtures.classes for s in c.students}
    classless = [s for s in fixtures.students if s not in in_class]
    members = [s for s in fixtures.students if s in in_class] or list(fixtures.students)
    return Roles(
        unassigned=classless[0] if classless else None,
        skipping=classless[1] if len(classless) > 1 else members[0],
        enrolling=classless[2] if len(classless) > 2 else members[-1],
        dedicated=len(classless) > 1,
    )


def question_results(progress: dict[str, Any]) -> Results:
    """getAssessmentProgress's question results by position, the questions ordered by their index
    (whether a server counts from 0 or from 1)."""
    questions = [q for q in progress.get("questions") or [] if isinstance(q, dict)]
    if all(_number(q.get("index")) for q in questions):
        questions.sort(key=lambda q: float(q["index"]))
    found: Results = {}
    for position, question in enumerate(questions):
        result = question.get("result")
        if isinstance(result, dict) and _number(result.get("score")):
            found[position] = (float(result["score"]), str(result.get("feedback", "")))
    return found


def _number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(a: tuple[float, str] | None, b: tuple[float, str] | None) -> bool:
    return a is not None and b is not None and abs(a[0] - b[0]) <= TOLERANCE and a[1] == b[1]


def _projection(progress: dict[str, Any]) -> dict[str, Any]:
    """What an import may change: once the attempt is finalized, none of it may change again."""
    kept = ("finalized", "attempt", "score", "accuracy", "correctQuestions", "totalQuestions")
    return {**{k: progress.get(k) for k in kept}, "questions": question_results(progress)}


def _changes(before: dict[str, Any], now: dict[str, Any]) -> list[str]:
    out = [f"{k}: {before[k]!r} → {now[k]!r}" for k in before if k != "questions" and before[k] != now[k]]
    was, shown = before["questions"], now["questions"]
    out += [
        f"question {i + 1}: {was.get(i)} → {shown.get(i)}"
        for i in sorted(set(was) | set(shown))
        if was.get(i) != shown.get(i)
    ]
    return out


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
        cast_ = roles(self.session.world.fixtures)
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
            self.attempt.finalized, self.attempt.final = True, _projection(progress)
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
        self.attempt.tool.update(answers)
        self.attempt.tool_done = self.attempt.graded and len(self.attempt.tool) == self.questions

    def _grade(self) -> None:
        assert self.tools is not None and self.attempt.assignment_id is not None
        self.tools.grade(self.attempt.assignment_id)
        self.attempt.graded = True
        self.attempt.tool_done = len(self.attempt.tool) == self.questions

    def _write_back(self, questions: Results, status: str, processed: bool, score: float) -> None:
        """MasteryTrack reports all results so far each time: earlier questions stay in the write-back."""
        assert self.tools is not None and self.attempt.assignment_id is not None
        results = {**self.attempt.tool, **questions}
        self.tools.write_back(
            self.attempt.assignment_id, score_status=status, processed=processed, score=score, questions=results
        )
        self.attempt.tool = results
        self.attempt.written = f"scoreStatus {status!r}, masteryTrackProcessed {str(processed).lower()!r}"
        self.attempt.tool_done = status == "fully graded" and processed

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
            changed = _changes(attempt.final, _projection(progress))
            self.check(
                "PP-NO-REIMPORT",
                not changed,
                exchange,
                title="Progress changed after the attempt was finalized",
                expected="progress as when the attempt finalized",
                actual="; ".join(changed[:6]),
            )
            return
        finalized = progress.get("finalized")
        # A server importing lazily, on read, could show a finished test finalized: not wrong.
        ok = finalized is False or (finalized is True and attempt.tool_done)
        self._check_not_early(ok, exchange, title="Progress shows an unfinished test finalized", actual=finalized)
        self._check_questions(exchange, progress, strict=False)

    @precondition(lambda self: self.attempt.finalized)
    @rule()
    def assign_again(self) -> None:
        self._assign_next()

    # Steps and checks ----------------------------------------------------------------------------
    def judge(self, exchange: Exchange, operation: str) -> dict[str, Any]:
        """The suite's common checks on a request built to succeed, failing with this run's steps."""
        ctx = Context(by_id()[operation], "positive", expect_success=True)
        failures: list[Failure] = []
        for check in COMMON:
            produced = check(ctx, exchange)
            for finding in [produced] if isinstance(produced, Finding) else produced or ():
                failure = record(finding, exchange, steps=self.steps[-MAX_STEPS_SHOWN:])
                if failure is not None:
                    failures.append(failure)
        raise_for(failures)
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
            failure = record(finding, exchange, steps=self.steps[-MAX_STEPS_SHOWN:])
            if failure is not None:
                failures.append(failure)
        raise_for(failures)

    def _assign(self) -> Attempt:
        body = {"student": self.student, "lesson": self.lesson.sourcedId, "skipCourseEnrollment": self.skip}
        exchange = self.send("POST", powerpath_path(ASSIGN), json_body=body)
        got = self.judge(exchange, ASSIGN)
        number = got.get("attempt")
        ok = (got.get("toolProvider"), got.get("lessonType")) == (self.lesson.toolProvider, self.lesson.lessonType)
        whole = _number(number) and number == int(number) and number >= 0
        self.check(
            "PP-ASSIGN",
            ok and whole,
            exchange,
            title="The assignment does not describe the lesson's test",
            expected=f"toolProvider {self.lesson.toolProvider!r}, lessonType {self.lesson.lessonType!r}, "
            "attempt a whole number",
            actual=f"toolProvider {got.get('toolProvider')!r}, lessonType {got.get('lessonType')!r}, "
            f"attempt {number!r}",
        )
        assignment = got.get("assignmentId")
        return Attempt(int(number or 0), assignment if isinstance(assignment, str) and assignment else None)

    def _assign_next(self) -> None:
        previous = self.attempt.number
        self.attempt = self._assign()
        self.check(
            "PP-ATTEMPTS",
            self.attempt.number == previous + 1,
            self.steps[-1],
            title="A new assignment after finalization did not start the next attempt",
            expected=f"attempt {previous + 1} (attempt {previous} was finalized)",
            actual=f"attempt {self.attempt.number}",
        )

    def _import(self) -> None:
        attempt = self.attempt
        finalizing = attempt.tool_done and not attempt.finalized
        watch = finalizing and self.watch_enrollment and self.lesson.lessonType in ENROLLING
        enrolled = self.tools.enrolled_courses(self.student) if watch and self.tools else None
        exchange = self.send(
            "GET", powerpath_path(IMPORT), params={"student": self.student, "lesson": self.lesson.sourcedId}
        )
        got = self.judge(exchange, IMPORT)
        described = (got.get("lessonType"), got.get("lessonId"), got.get("toolProvider"), got.get("attempt"))
        expected = (self.lesson.lessonType, self.lesson.sourcedId, self.lesson.toolProvider, attempt.number)
        self.check(
            "PP-NO-REIMPORT" if attempt.finalized else "PP-IMPORT",
            described == expected,
            exchange,
            title="The import does not report the attempt assigned",
            expected="lessonType, lessonId, toolProvider, attempt = " + ", ".join(map(repr, expected)),
            actual="lessonType, lessonId, toolProvider, attempt = " + ", ".join(map(repr, described)),
        )
        finalized = got.get("finalized")
        if attempt.finalized:
            self.check(
                "PP-NO-REIMPORT",
                finalized is True,
                exchange,
                title="A finalized attempt is finalized no more",
                expected="finalized true",
                actual=f"finalized {finalized!r}",
            )
        elif finalizing:
            self.check(
                self.finalize_requirement,
                finalized is True,
                exchange,
                title="The import did not finalize a finished test",
                expected=f"finalized true ({self._tool_summary()})",
                actual=f"finalized {finalized!r}",
            )
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
        got = self.judge(exchange, PROGRESS)
        described = (got.get("lessonType"), got.get("toolProvider"), got.get("attempt"))
        expected = (self.lesson.lessonType, self.lesson.toolProvider, self.attempt.number)
        total = got.get("totalQuestions")
        ok = described == expected and (self.questions is None or total == self.questions)
        self.check(
            "PP-PROGRESS",
            ok,
            exchange,
            title="Progress does not describe the attempt",
            expected="lessonType, toolProvider, attempt = "
            + ", ".join(map(repr, expected))
            + (f"; totalQuestions {self.questions}" if self.questions else ""),
            actual="lessonType, toolProvider, attempt = "
            + ", ".join(map(repr, described))
            + f"; totalQuestions {total!r}",
        )
        return exchange, got

    def _check_questions(self, exchange: Exchange, progress: dict[str, Any], *, strict: bool) -> None:
        """Each imported question shows the score and feedback imported. Before finalization the tool's
        current result is accepted too: a server may import again when progress is read."""
        shown = question_results(progress)
        attempt = self.attempt
        wrong = [
            f"question {i + 1}: imported {result}, shown {shown.get(i)}"
            for i, result in sorted(attempt.imported.items())
            if not _same(shown.get(i), result) and (strict or not _same(shown.get(i), attempt.tool.get(i)))
        ]
        self.check(
            "PP-PROGRESS",
            not wrong,
            exchange,
            title="Progress does not show the imported question results",
            expected="each imported question's score and feedback",
            actual="; ".join(wrong[:4]),
        )

    def _on_finalized(self, enrolled: set[str] | None) -> None:
        exchange, progress = self._read_progress()
        finalized = progress.get("finalized")
        self.check(
            self.finalize_requirement,
            finalized is True,
            exchange,
            title="Progress does not show the finalized attempt finalized",
            expected="finalized true",
            actual=f"finalized {finalized!r}",
        )
        self._check_questions(exchange, progress, strict=True)
        score = progress.get("score")
        if self.edulastic:
            assert self.questions
            mean = sum(s for s, _ in self.attempt.tool.values()) / self.questions
            self.check(
                "PP-EDULASTIC-SCORE",
                _number(score) and abs(score - mean) <= TOLERANCE,
                exchange,
                title="The Edulastic score is not the mean over all questions",
                expected=f"score {mean!r}: the sum of the question scores "
                f"{[s for _, (s, _) in sorted(self.attempt.tool.items())]} over {self.questions} questions",
                actual=f"score {score!r}",
            )
        self.attempt.final = _projection(progress)
        if enrolled is not None:
            self._check_enrollment(enrolled, progress.get("enrollmentFailed"))

    def _check_enrollment(self, before: set[str], failed: object) -> None:
        """Seed 004: finalizing a placement or test-out may enroll the student in a course, unless the
        assignment set skipCourseEnrollment. Only the 'unless' is a MUST; whether it enrolls is reported."""
        assert self.tools is not None
        kind = self.lesson.lessonType
        after = self.tools.enrolled_courses(self.student)
        new = sorted(after - before)
        if not self.skip:
            shown = f"enrolled in {', '.join(sorted(after))}" if after else "enrolled in no course"
            self.note(
                "PP-ENROLLMENT-OBSERVED",
                f"a finalized {kind} without skipCourseEnrollment: the student is "
                f"{shown} (expected course {self.lesson.course!r}); enrollmentFailed {failed!r}",
            )
            return
        # A dedicated skipping student must never have been enrolled: a check that fails again on replay,
        # as Hypothesis needs, where 'no new enrollment' passes once the first wrong one is made.
        wrong = sorted(after) if self.dedicated else new
        self.check(
            "PP-ENROLLMENT",
            not wrong,
            self.steps[-1],
            title="skipCourseEnrollment was not respected",
            expected=f"{self.student} not enrolled in any course"
            if self.dedicated
            else f"no new enrollment of {self.student} (enrolled before: {sorted(before)})",
            actual=f"enrolled in {wrong}; enrollmentFailed {failed!r}",
        )
        if self.lesson.course in before:
            self.note(
                "PP-ENROLLMENT-OBSERVED",
                f"skipCourseEnrollment shown only in part: the student was already enrolled in {self.lesson.course}",
            )

    def _tool_summary(self) -> str:
        attempt = self.attempt
        if self.tools is None:
            return "nobody took the test"
        if self.edulastic:
            return (
                f"{len(attempt.tool)} of {self.questions} questions answered, "
                f"grade {'GRADED' if attempt.graded else 'not GRADED'}"
            )
        return f"last write-back: {attempt.written}"
