"""Driving the external test tools (Edulastic, MasteryTrack) through a target's tool control interface.

docs/tool-control.md, the protocol this module speaks: PowerPath finalizes an attempt only when its
tool says the test is done, so the suite must be able to answer questions, grade a test or make
MasteryTrack write results back. The reference server offers that as HTTP under a prefix it
announces at ``GET /.well-known/oneroster-conformance`` (``conformance.session.controls``), behind the
run's bearer token.
A target without it cannot have its tools driven: the suite then runs only what it can observe, and
judges a finalization on the traces the tool leaves in the target (``assessment_result``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from conformance.client import Exchange
from conformance.fixtures import Lesson
from conformance.machines.base import records_of
from conformance.machines.external_tests_model import WRITE_BACK_STATUSES, Attempt, Results

EDULASTIC, MASTERY_TRACK = "edulastic", "mastery-track"
PAGE, PAGES = 100, 10  # a student's AssessmentResults read at most: many runs' attempts
SCORES = (0.0, 0.25, 0.5, 0.75, 1.0)  # quarters: sums and means of a few stay exact in binary floating point
QUARTERS = st.sampled_from(SCORES)

Send = Callable[..., Exchange]


class ToolControlError(RuntimeError):
    """The control interface refused a request: a problem of the test set-up, not of the API under test."""


@dataclass(frozen=True)
class ToolDriver:
    prefix: str
    send: Send  # the machine's send: tool steps then appear in a failure's curl reproduction

    def _call(
        self, method: str, path: str, body: Any = None, params: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        payload = self._sent(method, path, body, params).try_json()
        assert isinstance(payload, dict)
        return payload

    def _sent(self, method: str, path: str, body: Any = None, params: Mapping[str, str] | None = None) -> Exchange:
        exchange = self.send(method, self.prefix + path, json_body=body, params=params)
        if exchange.status != 200 or not isinstance(exchange.try_json(), dict):
            answer = exchange.error or exchange.status
            raise ToolControlError(f"tool control {method} {path} answered {answer}: {exchange.body_excerpt(200)}")
        return exchange

    def state(self, tool: str, assignment_id: str) -> dict[str, Any]:
        return self._call("GET", f"/{tool}/assignments/{assignment_id}")

    def answer(self, assignment_id: str, answers: Mapping[int, tuple[float, str]]) -> None:
        items = [{"index": i, "score": s, "feedback": f} for i, (s, f) in sorted(answers.items())]
        self._call("POST", f"/{EDULASTIC}/assignments/{assignment_id}/answers", {"answers": items})

    def grade(self, assignment_id: str) -> None:
        self._call("POST", f"/{EDULASTIC}/assignments/{assignment_id}/grade")

    def write_back(
        self,
        assignment_id: str,
        *,
        score_status: str,
        processed: bool,
        score: float | None,
        questions: Mapping[int, tuple[float, str]],
    ) -> None:
        body = {
            "scoreStatus": score_status,
            "masteryTrackProcessed": "true" if processed else "false",  # a string, as PowerPath stores it
            "score": score,
            "questions": [{"index": i, "score": s, "feedback": f} for i, (s, f) in sorted(questions.items())],
        }
        self._call("POST", f"/{MASTERY_TRACK}/assignments/{assignment_id}/writeback", body)

    def finish(self, tool: str, assignment_id: str, questions: int) -> None:
        """The test done, all answers right: what a student and the tool leave behind at the end."""
        answers = {i: (1.0, "finished before the next example") for i in range(questions)}
        if tool == EDULASTIC:
            self.answer(assignment_id, answers)
            self.grade(assignment_id)
        else:
            self.write_back(assignment_id, score_status="fully graded", processed=True, score=1.0, questions=answers)

    def outage(self, tool: str, failing: bool) -> Exchange:
        """Switch the tool's outage on or off; the control request (a failure it causes replays it)."""
        return self._sent("POST", f"/{tool}/outage", {"failing": failing})

    def enrolled_courses(self, student: str) -> set[str]:
        rows = self._call("GET", "/enrollments", params={"student": student}).get("enrollments")
        return {r["course"] for r in rows or [] if isinstance(r, dict) and isinstance(r.get("course"), str)}


def question_count(state: Mapping[str, Any]) -> int | None:
    """How many questions the tool's test has, from its control view of an assignment."""
    if isinstance(state.get("questions"), list):
        return len(state["questions"])
    count = state.get("questionCount")
    return count if isinstance(count, int) and not isinstance(count, bool) else None


def untouched(state: Mapping[str, Any]) -> bool:
    """Whether the tool's view shows an assignment nobody has worked on yet: nothing answered, graded
    or written back."""
    questions = state.get("questions")
    if isinstance(questions, list):
        answered = any(isinstance(q, dict) and q.get("answered") for q in questions)
        return not answered and state.get("grade") != "GRADED"
    return not state.get("writtenBack")


def assessment_result(
    send: Send, path: str, student: str, assignment_id: str | None
) -> tuple[Exchange | None, dict[str, Any] | None]:
    """The AssessmentResult of one attempt, where MasteryTrack writes back: seed 004 has PowerPath store
    the assignment's assignmentId in it, so it is the student's result whose metadata carries that id.
    The student is filtered as a reference field (compared by its sourcedId), else by the dotted path
    some servers expect instead; newest first, a few pages at most. (None, None) when none is found."""
    for field in ("student", "student.sourcedId") if assignment_id else ():
        for page in range(PAGES):
            params = {"filter": f"{field}='{student}'", "sort": "dateLastModified", "orderBy": "desc"}
            exchange = send("GET", path, params={**params, "limit": str(PAGE), "offset": str(page * PAGE)})
            found = records_of(exchange, "assessmentResults") if exchange.status == 200 else None
            for record in found or []:
                metadata = record.get("metadata")
                if isinstance(metadata, dict) and metadata.get("assignmentId") == assignment_id:
                    return exchange, record
            if not found or len(found) < PAGE:
                break
    return None, None


def wait_for_finalization(step: Callable[[], tuple[object, object]], tries: int) -> bool:
    """Import again and again while the tool moves on by itself, as a student taking the test makes it.
    ``step`` imports once and answers the import's ``finalized`` and what the progress then shows. Stop
    at a finalization, at an answer that is neither true nor false, or when two imports in a row
    changed nothing the progress shows: nobody is taking the test then. Whether it finalized."""
    shown: object = None
    stalled = 0
    for _ in range(tries):
        finalized, now = step()
        if finalized is not False:
            return finalized is True
        stalled = stalled + 1 if now == shown else 0
        if stalled >= 2:
            return False
        shown = now
    return False


class ToolSteps:
    """The external-test machine's steps on the tool, through the interface: the student answers (with
    partial credit), Edulastic grades, MasteryTrack writes results back, each kept in the model of the
    attempt (external_tests_model.Attempt) that PowerPath's answers are compared with."""

    lesson: ClassVar[Lesson]
    tools: ToolDriver | None
    attempt: Attempt
    questions: int | None
    changes = 0  # numbers the feedback texts, so that every change of the tool is visible

    @property
    def edulastic(self) -> bool:
        return self.lesson.toolProvider == EDULASTIC

    @property
    def drivable(self) -> bool:
        return self.tools is not None and self.attempt.assignment_id is not None and self.questions is not None

    def _change_tool(self, data: st.DataObject) -> None:
        """After finalization: new answers, or a new write-back, with results that differ from the old."""
        if self.edulastic:
            self._answer(self._some(data, least=1))
        else:
            self._write_back(self._some(data, least=1), "fully graded", True, data.draw(QUARTERS))

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
            self._write_back(self._some(data, least=0), "fully graded", False, data.draw(QUARTERS))
        else:
            status = data.draw(st.sampled_from(WRITE_BACK_STATUSES[:-1]), label="write-back status")
            self._write_back(self._some(data, least=0), status, True, data.draw(QUARTERS))

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
    @rule(status=st.sampled_from(WRITE_BACK_STATUSES), processed=st.booleans(), score=QUARTERS, data=st.data())
    def write_back(self, status: str, processed: bool, score: float, data: st.DataObject) -> None:
        """MasteryTrack writes results back, graded or not, processed or not."""
        self._write_back(self._some(data, least=1 if self.attempt.finalized else 0), status, processed, score)

    @precondition(lambda self: self.drivable and not self.attempt.tool_done)
    @rule(data=st.data())
    def finish_test(self, data: st.DataObject) -> None:
        self._complete(data)
