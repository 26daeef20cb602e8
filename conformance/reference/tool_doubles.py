"""Tool doubles: in-process fakes of the external test tools PowerPath talks to (Edulastic, MasteryTrack).

PowerPath creates assignments on them and reads them back when it imports results. The suite
drives them through the control interface (control.py): answer Edulastic questions, grade the
test, make MasteryTrack write results back, or make a tool fail. Their state is stored with
everything else, so it survives a restart on the same database.
"""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Any

from conformance.reference.store import Store

EDULASTIC, MASTERY_TRACK = "edulastic", "mastery-track"
TOOLS = (EDULASTIC, MASTERY_TRACK)
GRADED, NOT_GRADED = "GRADED", "NOT_GRADED"


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
        "credentials": {"email": f"{login}@{tool}.reference.invalid", "password": secrets.token_urlsafe(12)},
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
