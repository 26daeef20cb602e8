"""What PowerPath must answer about an external-test attempt (seed 004: TimeBack PowerPath OpenAPI —
importExternalTestAssignmentResults):
the attempt as the tool leaves it, the rules each answer is compared with, and which fixture students
the tests use. Pure data and rules: no HTTP, no Hypothesis.

An import finalizes exactly when the tool is done (Edulastic: every question answered and the test
graded; MasteryTrack: a fully graded, processed write-back), the Edulastic score is the mean over all
questions, once finalized nothing more is imported, and a new assignment then starts the next attempt.

When the suite cannot drive the tool, it does not know what the tool holds; a finalization is then
judged on what the target itself shows (docs/tool-control.md, "Without the interface"): the
attempt's progress for Edulastic, its AssessmentResult for MasteryTrack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeGuard

from conformance.fixtures import Fixtures, Lesson

TOLERANCE = 1e-9
WRITE_BACK_STATUSES = ("submitted", "partially graded", "fully graded")
ENROLLING = ("test-out", "placement")  # seed 004: only these may enroll the student in a course

Results = dict[int, tuple[float, str]]  # question position → (score, feedback)


@dataclass(frozen=True)
class Verdict:
    """An answer compared with the model: whether it is right, and what was expected and shown."""

    ok: bool
    expected: str
    actual: str


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
    final_import: dict[str, Any] | None = None  # the import's answer that finalized the attempt

    @classmethod
    def assigned(cls, answer: dict[str, Any]) -> Attempt:
        """The attempt a makeExternalTestAssignment answer starts (once `assignment` accepted it)."""
        assignment = answer.get("assignmentId")
        return cls(int(answer.get("attempt") or 0), assignment if isinstance(assignment, str) and assignment else None)

    # The tool ------------------------------------------------------------------------------------
    def answered(self, answers: Results, questions: int | None) -> None:
        """Edulastic took answers: it is done once the test is graded with every question answered."""
        self.tool.update(answers)
        self.tool_done = self.graded and len(self.tool) == questions

    def graded_now(self, questions: int | None) -> None:
        self.graded = True
        self.tool_done = len(self.tool) == questions

    def with_write_back(self, questions: Results) -> Results:
        """MasteryTrack reports all results so far each time: earlier questions stay in the write-back."""
        return {**self.tool, **questions}

    def written_back(self, results: Results, status: str, processed: bool) -> None:
        """MasteryTrack wrote results back: it is done once they are fully graded and processed."""
        self.tool = results
        self.written = f"scoreStatus {status!r}, masteryTrackProcessed {str(processed).lower()!r}"
        self.tool_done = status == "fully graded" and processed

    def summary(self, edulastic: bool, questions: int | None) -> str:
        """The tool's state, as failure messages describe it."""
        if edulastic:
            graded = "GRADED" if self.graded else "not GRADED"
            return f"{len(self.tool)} of {questions} questions answered, grade {graded}"
        return f"last write-back: {self.written}"

    # PowerPath -----------------------------------------------------------------------------------
    @property
    def finalizing(self) -> bool:
        """The next import must finalize the attempt."""
        return self.tool_done and not self.finalized

    def shown_finalized_ok(self, finalized: object) -> bool:
        """Progress of an attempt no import finalized: a server importing lazily, on read, could show a
        finished test finalized, which is not wrong."""
        return finalized is False or (finalized is True and self.tool_done)

    def shows_imported(self, progress: dict[str, Any], *, strict: bool) -> Verdict:
        """Each imported question shows the score and feedback imported. Unless strict (before
        finalization) the tool's current result is accepted too: a server may import again when progress
        is read."""
        shown = question_results(progress)
        wrong = [
            f"question {i + 1}: imported {result}, shown {shown.get(i)}"
            for i, result in sorted(self.imported.items())
            if not _same(shown.get(i), result) and (strict or not _same(shown.get(i), self.tool.get(i)))
        ]
        return Verdict(not wrong, "each imported question's score and feedback", "; ".join(wrong[:4]))

    def unchanged(self, progress: dict[str, Any]) -> Verdict:
        """Once finalized nothing more is imported: progress stays as it read when the attempt finalized."""
        assert self.final is not None
        changed = changes(self.final, projection(progress))
        return Verdict(not changed, "progress as when the attempt finalized", "; ".join(changed[:6]))

    def import_unchanged(self, answer: dict[str, Any]) -> Verdict:
        """Once finalized nothing more is imported: a later import answers what the finalizing one did,
        member by member (the tool's login credentials aside, which a server may issue afresh)."""
        assert self.final_import is not None
        before, now = _import_projection(self.final_import), _import_projection(answer)
        changed = [
            f"{k}: {before.get(k)!r} → {now.get(k)!r}"
            for k in sorted(set(before) | set(now))
            if before.get(k) != now.get(k)
        ]
        return Verdict(not changed, "the answer of the import that finalized the attempt", "; ".join(changed[:6]))

    def edulastic_score(self, score: object, questions: int) -> Verdict:
        """Edulastic's score is the mean over all questions, unanswered ones counting nothing."""
        mean = sum(s for s, _ in self.tool.values()) / questions
        scores = [s for _, (s, _) in sorted(self.tool.items())]
        return Verdict(
            is_number(score) and abs(score - mean) <= TOLERANCE,
            f"score {mean!r}: the sum of the question scores {scores} over {questions} questions",
            f"score {score!r}",
        )


# What each answer must say -----------------------------------------------------------------------
def assignment(answer: dict[str, Any], lesson: Lesson) -> Verdict:
    """makeExternalTestAssignment describes the lesson's test, and the attempt is a whole number."""
    number = answer.get("attempt")
    ok = (answer.get("toolProvider"), answer.get("lessonType")) == (lesson.toolProvider, lesson.lessonType)
    whole = is_number(number) and number == int(number) and number >= 0
    return Verdict(
        ok and whole,
        f"toolProvider {lesson.toolProvider!r}, lessonType {lesson.lessonType!r}, attempt a whole number",
        f"toolProvider {answer.get('toolProvider')!r}, lessonType {answer.get('lessonType')!r}, attempt {number!r}",
    )


def next_attempt(previous: int, number: int) -> Verdict:
    """An assignment after a finalized attempt starts the next one."""
    return Verdict(
        number == previous + 1, f"attempt {previous + 1} (attempt {previous} was finalized)", f"attempt {number}"
    )


def import_describes(answer: dict[str, Any], lesson: Lesson, number: int) -> Verdict:
    """importExternalTestAssignmentResults reports the attempt assigned."""
    described = (answer.get("lessonType"), answer.get("lessonId"), answer.get("toolProvider"), answer.get("attempt"))
    expected = (lesson.lessonType, lesson.sourcedId, lesson.toolProvider, number)
    return Verdict(
        described == expected,
        "lessonType, lessonId, toolProvider, attempt = " + ", ".join(map(repr, expected)),
        "lessonType, lessonId, toolProvider, attempt = " + ", ".join(map(repr, described)),
    )


def progress_describes(progress: dict[str, Any], lesson: Lesson, number: int, questions: int | None) -> Verdict:
    """getAssessmentProgress describes the attempt asked for, with the tool's question count once known."""
    described = (progress.get("lessonType"), progress.get("toolProvider"), progress.get("attempt"))
    expected = (lesson.lessonType, lesson.toolProvider, number)
    total = progress.get("totalQuestions")
    return Verdict(
        described == expected and (questions is None or total == questions),
        "lessonType, toolProvider, attempt = "
        + ", ".join(map(repr, expected))
        + (f"; totalQuestions {questions}" if questions else ""),
        "lessonType, toolProvider, attempt = " + ", ".join(map(repr, described)) + f"; totalQuestions {total!r}",
    )


def finalized(flag: object, why: str = "") -> Verdict:
    """The answer shows the attempt finalized (`why`: the tool's state that makes it so)."""
    return Verdict(flag is True, f"finalized true ({why})" if why else "finalized true", f"finalized {flag!r}")


def not_enrolled(student: str, before: set[str], after: set[str], failed: object, *, dedicated: bool) -> Verdict:
    """With skipCourseEnrollment, finalizing enrolls the student in no course. A dedicated skipping
    student must never have been enrolled: a check that fails again on replay, as Hypothesis needs,
    where 'no new enrollment' passes once the first wrong one is made."""
    wrong = sorted(after) if dedicated else sorted(after - before)
    expected = (
        f"{student} not enrolled in any course"
        if dedicated
        else f"no new enrollment of {student} (enrolled before: {sorted(before)})"
    )
    return Verdict(not wrong, expected, f"enrolled in {wrong}; enrollmentFailed {failed!r}")


# Evidence: a finalization the suite did not cause, judged on what the target shows ----------------------
EDULASTIC_DONE = "every question answered (a result with a score) and a test score (the test was graded)"
MASTERY_TRACK_DONE = "the attempt's AssessmentResult: scoreStatus 'fully graded', metadata.masteryTrackProcessed 'true'"
NO_EVIDENCE = (
    "needs the tool control interface: a MasteryTrack attempt finalized, but no AssessmentResult of the "
    "student carrying its assignmentId could be read to show the write-back"
)


def untouched(progress: dict[str, Any]) -> bool:
    """Progress of an attempt nothing was imported into yet: not finalized, no question result."""
    return progress.get("finalized") is False and not question_results(progress)


def edulastic_evidence(progress: dict[str, Any]) -> Verdict:
    """A finalized Edulastic attempt: every question shows a result and the test shows a score. An
    unanswered question, or no score (no grade), contradicts the finalization."""
    shown = question_results(progress)
    total = progress.get("totalQuestions")
    count = int(total) if is_number(total) else len(progress.get("questions") or [])
    unanswered = [str(i + 1) for i in range(count) if i not in shown]
    score = progress.get("score")
    actual = f"{count - len(unanswered)} of {count} questions with a result"
    if unanswered:
        actual += f" (no result for question {', '.join(unanswered[:8])})"
    return Verdict(count > 0 and not unanswered and is_number(score), EDULASTIC_DONE, f"{actual}; score {score!r}")


def mastery_track_evidence(result: dict[str, Any]) -> Verdict:
    """A finalized MasteryTrack attempt: its AssessmentResult says the write-back is complete. The flag
    is documented as the string 'true'; a boolean true says the same and is not held against it."""
    metadata = result.get("metadata")
    status = result.get("scoreStatus")
    processed = metadata.get("masteryTrackProcessed") if isinstance(metadata, dict) else None
    return Verdict(
        status == "fully graded" and processed in ("true", True),
        MASTERY_TRACK_DONE,
        f"AssessmentResult {result.get('sourcedId')!r}: scoreStatus {status!r}, masteryTrackProcessed {processed!r}",
    )


def shown_score(progress: dict[str, Any]) -> Verdict:
    """The Edulastic score as the progress itself shows it: the mean of the question results shown
    over all the questions, unanswered ones counting nothing."""
    shown = question_results(progress)
    total = progress.get("totalQuestions")
    count = int(total) if is_number(total) and total else len(progress.get("questions") or []) or 1
    scores = [s for _, (s, _) in sorted(shown.items())]
    mean = sum(scores) / count
    score = progress.get("score")
    return Verdict(
        is_number(score) and abs(score - mean) <= TOLERANCE,
        f"score {mean!r}: the sum of the question results shown {scores} over {count} questions",
        f"score {score!r}",
    )


def enrollment_seen(lesson: Lesson, after: set[str], failed: object) -> str:
    """What finalizing a placement or test-out without skipCourseEnrollment did: the seed says it may enroll."""
    shown = f"enrolled in {', '.join(sorted(after))}" if after else "enrolled in no course"
    return (
        f"a finalized {lesson.lessonType} without skipCourseEnrollment: the student is {shown} "
        f"(expected course {lesson.course!r}); enrollmentFailed {failed!r}"
    )


# Who plays which part ------------------------------------------------------------------------------
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
    apart: bool  # both `skipping` and `enrolling` are in no class: no other test touches their attempts


# What the external-test tests share when the fixtures name too few students in no class: the attempts
# of class members, which tests running together (``--concurrency``) would change under each other.
SHARED_ATTEMPTS = "class members' external-test attempts"


def roles(fixtures: Fixtures) -> Roles:
    in_class = {s for c in fixtures.classes for s in c.students}
    classless = [s for s in fixtures.students if s not in in_class]
    members = [s for s in fixtures.students if s in in_class] or list(fixtures.students)
    return Roles(
        unassigned=classless[0] if classless else None,
        skipping=classless[1] if len(classless) > 1 else members[0],
        enrolling=classless[2] if len(classless) > 2 else members[-1],
        dedicated=len(classless) > 1,
        apart=len(classless) > 2,
    )


# Reading getAssessmentProgress -----------------------------------------------------------------------
def question_results(progress: dict[str, Any]) -> Results:
    """getAssessmentProgress's question results by position, the questions ordered by their index
    (whether a server counts from 0 or from 1)."""
    questions = [q for q in progress.get("questions") or [] if isinstance(q, dict)]
    if all(is_number(q.get("index")) for q in questions):
        questions.sort(key=lambda q: float(q["index"]))
    found: Results = {}
    for position, question in enumerate(questions):
        result = question.get("result")
        if isinstance(result, dict) and is_number(result.get("score")):
            found[position] = (float(result["score"]), str(result.get("feedback", "")))
    return found


def projection(progress: dict[str, Any]) -> dict[str, Any]:
    """What an import may change: once the attempt is finalized, none of it may change again."""
    kept = ("finalized", "attempt", "score", "accuracy", "correctQuestions", "totalQuestions")
    return {**{k: progress.get(k) for k in kept}, "questions": question_results(progress)}


REISSUED = frozenset({"credentials"})  # import answer members a server may issue afresh on every call


def _import_projection(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k not in REISSUED}


def changes(before: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """How two projections differ, one line per field or question."""
    out = [f"{k}: {before[k]!r} → {now[k]!r}" for k in before if k != "questions" and before[k] != now[k]]
    was, shown = before["questions"], now["questions"]
    out += [
        f"question {i + 1}: {was.get(i)} → {shown.get(i)}"
        for i in sorted(set(was) | set(shown))
        if was.get(i) != shown.get(i)
    ]
    return out


def is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(a: tuple[float, str] | None, b: tuple[float, str] | None) -> bool:
    return a is not None and b is not None and abs(a[0] - b[0]) <= TOLERANCE and a[1] == b[1]
