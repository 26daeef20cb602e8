"""Tool doubles: in-process fakes of the external test tools PowerPath talks to (Edulastic, MasteryTrack).

PowerPath creates assignments on them and reads them back when it imports results. The suite
drives them through the control interface (control.py): answer Edulastic questions, grade the
test, make MasteryTrack write results back, or make a tool fail. Their state is stored with
everything else, so it survives a restart on the same database.

Under ``benign-autonomous-tool`` nobody drives them: a simulated student takes the test instead, one
step each time an import reads the tool (``take_a_step``).
"""

from __future__ import annotations

import random
import re
import uuid
from typing import Any

from conformance.reference import records
from conformance.reference.records import Clock
from conformance.reference.store import Store

EDULASTIC, MASTERY_TRACK = "edulastic", "mastery-track"
TOOLS = (EDULASTIC, MASTERY_TRACK)
GRADED, NOT_GRADED = "GRADED", "NOT_GRADED"
_QUARTERS = (0.0, 0.25, 0.5, 0.75, 1.0)


class ToolError(Exception):
    """The external tool failed; PowerPath reports it as a 4xx naming the tool."""


def result_id(student: str, lesson: str, attempt: int) -> str:
    """The sourcedId of the AssessmentResult that holds one attempt (MasteryTrack writes back there)."""
    return f"powerpath-{student}-{lesson}-{attempt}"


def _check_up(store: Store, tool: str) -> None:
    if store.tool_failing(tool):
        raise ToolError(f"{tool} API error: the service is unavailable (503 from the tool)")


def create_assignment(
    store: Store, tool: str, student: str, lesson: str, *, attempt: int, questions: int, test_id: str | None
) -> dict[str, Any]:
    """What the tool answers when PowerPath assigns a test: ids, a test URL and the student's login."""
    _check_up(store, tool)
    assignment_id = f"{tool}-assignment-{uuid.uuid4()}"
    test = test_id or (assignment_id if tool == MASTERY_TRACK else f"{tool}-test-{lesson}")
    login = re.sub(r"[^A-Za-z0-9._-]", "-", student)[:60] or "student"
    doc: dict[str, Any] = {
        "assignmentId": assignment_id,
        "toolProvider": tool,
        "student": student,
        "lesson": lesson,
        "attempt": attempt,
        "testId": test,
        "testUrl": f"https://{tool}.reference.invalid/tests/{test}?assignment={assignment_id}",
        # Random like the ids, and shaped like them, so that a replay's comparison reads it as server-made.
        "credentials": {"email": f"{login}@{tool}.reference.invalid", "password": str(uuid.uuid4())},
        "questions": questions,
    }
    if tool == EDULASTIC:
        doc.update(classId=f"edulastic-class-{uuid.uuid4()}", answers=[None] * questions, grade=NOT_GRADED)
    else:
        doc.update(writtenBack=False, writeback=None)
    store.save_tool_assignment(doc)
    return doc


def fetch(store: Store, tool: str, assignment_id: str) -> dict[str, Any]:
    """What PowerPath reads back when it imports results."""
    _check_up(store, tool)
    doc = store.tool_assignment(assignment_id)
    if doc is None or doc["toolProvider"] != tool:
        raise ToolError(f"{tool} API error: assignment {assignment_id!r} is unknown to the tool")
    return doc


def state(doc: dict[str, Any], failing: bool) -> dict[str, Any]:
    """A double's assignment as the control interface shows it (the login password left out)."""
    view = {
        key: doc[key] for key in ("assignmentId", "toolProvider", "student", "lesson", "attempt", "testId", "testUrl")
    }
    view["failing"] = failing
    if doc["toolProvider"] == EDULASTIC:
        view["classId"] = doc["classId"]
        view["grade"] = doc["grade"]
        view["questions"] = [
            {
                "index": i,
                "answered": a is not None,
                "score": a["score"] if a else None,
                "feedback": a["feedback"] if a else None,
            }
            for i, a in enumerate(doc["answers"])
        ]
    else:
        view["questionCount"] = doc["questions"]
        view["writtenBack"] = doc["writtenBack"]
        view["writeback"] = doc["writeback"]
    return view


def write_back(
    store: Store,
    clock: Clock,
    doc: dict[str, Any],
    *,
    status: str,
    processed: str,
    score: float | None,
    questions: list[tuple[int, float, str]],
) -> None:
    """MasteryTrack writes its results into the attempt's AssessmentResult, as the real tool does
    (through OneRoster), and keeps the body it wrote for PowerPath's next import."""
    rid = result_id(doc["student"], doc["lesson"], doc["attempt"])
    with store.transaction():
        result = store.get("assessmentResult", rid)
        if result is None:
            raise ToolError(f"{MASTERY_TRACK} API error: assessment result {rid!r} not found")
        store.put(
            "assessmentResult",
            rid,
            {
                **result,
                "scoreStatus": status,
                "score": score,
                "scoreDate": clock.now(),
                "metadata": {**records.metadata_of(result), "masteryTrackProcessed": processed},
                "dateLastModified": clock.stamp(result.get("dateLastModified")),
            },
        )
        doc["writtenBack"] = True
        doc["writeback"] = {
            "scoreStatus": status,
            "masteryTrackProcessed": processed,
            "score": score,
            "questions": [{"index": i, "score": s, "feedback": f} for i, s, f in questions],
        }
        store.save_tool_assignment(doc)


def take_a_step(store: Store, clock: Clock, doc: dict[str, Any]) -> None:
    """benign-autonomous-tool: the student (and the tool's grading) moves on by one step, as if the
    test were being taken between two imports. Every step changes something until the test is done,
    which takes a few steps; the edges where a server could finalize early come up on the way
    (Edulastic graded with questions unanswered; MasteryTrack fully graded but not yet processed).

    Deterministic: the step is drawn from the student, the lesson and how many steps this attempt
    has taken, not from the attempt's number, so a fresh attempt moves the same way on any server:
    the steps of a failure replay on a fresh server with the same answers."""
    taken = int(doc.get("steps", 0))
    draw = random.Random(f"{doc['toolProvider']}|{doc['student']}|{doc['lesson']}|{taken}")
    if doc["toolProvider"] == EDULASTIC:
        _edulastic_step(draw, doc, taken)
        doc["steps"] = taken + 1
        store.save_tool_assignment(doc)
    else:
        doc["steps"] = taken + 1  # saved by the write-back, or below when the test is over
        if not _mastery_track_step(store, clock, draw, doc, taken):
            store.save_tool_assignment(doc)


def _edulastic_step(draw: random.Random, doc: dict[str, Any], taken: int) -> None:
    open_ = [i for i, answer in enumerate(doc["answers"]) if answer is None]
    if not open_:
        doc["grade"] = GRADED
        return
    for index in open_[: draw.randint(1, 2)]:
        doc["answers"][index] = {"score": draw.choice(_QUARTERS), "feedback": f"answered at step {taken + 1}"}
    if draw.random() < 0.25:  # a teacher grading before the student has finished
        doc["grade"] = GRADED


def _mastery_track_step(store: Store, clock: Clock, draw: random.Random, doc: dict[str, Any], taken: int) -> bool:
    """One write-back, or none once the result is fully graded and processed; whether it wrote."""
    last = doc["writeback"] or {"scoreStatus": "not submitted", "masteryTrackProcessed": "false", "questions": []}
    written = [(q["index"], q["score"], q["feedback"]) for q in last["questions"]]
    done = {index for index, _, _ in written}
    open_ = [i for i in range(doc["questions"]) if i not in done]
    if open_:
        written += [
            (i, draw.choice(_QUARTERS), f"written back at step {taken + 1}") for i in open_[: draw.randint(1, 2)]
        ]
        status = (
            "partially graded" if len(written) < doc["questions"] else draw.choice(("partially graded", "fully graded"))
        )
        processed = draw.choice(("false", "true")) if status != "fully graded" else "false"
    elif last["scoreStatus"] != "fully graded":
        status, processed = "fully graded", draw.choice(("false", "true"))
    elif last["masteryTrackProcessed"] != "true":
        status, processed = "fully graded", "true"
    else:
        return False
    score = round(100 * sum(s for _, s, _ in written) / doc["questions"], 2)
    write_back(store, clock, doc, status=status, processed=processed, score=score, questions=written)
    return True
