"""PowerPath external tests: makeExternalTestAssignment, importExternalTestAssignmentResults and
getAssessmentProgress, following seed 004 (TimeBack PowerPath OpenAPI —
importExternalTestAssignmentResults).

An *attempt* is one assignment of one lesson's test to one student. It records what was imported
from the tool; getAssessmentProgress shows that, never the tool's live state. Each attempt has an
AssessmentResult in the gradebook (tool_doubles.result_id) carrying the PowerPath metadata conventions.
The sources map no failure to a status code; this server answers unknown student or lesson 404,
everything else (not an external test, no prior assignment, tool error) 400; its variant
``benign-powerpath-422`` answers 422 for each.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from conformance.contract import schemas
from conformance.contract.operations import Operation
from conformance.fixtures import Lesson
from conformance.reference import records, tool_doubles
from conformance.reference.body import check_query, read_json
from conformance.reference.context import ServerContext
from conformance.reference.imsx_errors import ApiError, bad_request, invalid_body

ENROLLING = ("test-out", "placement")  # seed 004: only these may enroll the student in a course
_DIFFICULTY = ("easy", "medium", "hard")


def _required(params: Mapping[str, str], op: Operation) -> None:
    for name in op.required_query:
        if not params.get(name):
            raise bad_request(f"Query parameter {name!r} is required.")


def _failure(ctx: ServerContext, status: int, description: str) -> ApiError:
    """A documented PowerPath failure. The sources map none to a status: this server answers ``status``
    (404 for what does not exist, 400 for the rest), its variant 422 for every one."""
    return ApiError(422 if ctx.faults.on("benign-powerpath-422") else status, description)


def _lesson(ctx: ServerContext, student: str, lesson_id: str) -> Lesson:
    """The lesson, once the student and the lesson are known and the lesson is an external test."""
    if not ctx.store.exists("student", student):
        raise _failure(ctx, 404, f"Student {student!r} not found.")
    lesson = ctx.store.lesson(lesson_id)
    if lesson is None:
        raise _failure(ctx, 404, f"Lesson {lesson_id!r} not found.")
    if not lesson.external and not ctx.faults.on("non-external-lesson-accepted"):
        raise _failure(
            ctx,
            400,
            f"Lesson {lesson_id!r} is not an external test: its lessonType is {lesson.lessonType!r}"
            " (expected test-out, placement or unit-test with a tool provider).",
        )
    return lesson


def _link(attempt: dict[str, Any]) -> dict[str, Any]:
    """The tool-facing part both make and import answer with."""
    link = {key: attempt[key] for key in ("credentials", "assignmentId", "testUrl", "testId")}
    if attempt["toolProvider"] == tool_doubles.EDULASTIC:
        link["classId"] = attempt["classId"]
    return link


def _assignment_view(ctx: ServerContext, attempt: dict[str, Any]) -> dict[str, Any]:
    view = {
        "toolProvider": attempt["toolProvider"],
        "lessonType": attempt["lessonType"],
        "attempt": attempt["attempt"],
        **_link(attempt),
    }
    if ctx.faults.on("assignment-answer-without-tool-provider"):
        view.pop("toolProvider")
    return view


def _import_view(ctx: ServerContext, attempt: dict[str, Any]) -> dict[str, Any]:
    view = {
        "lessonType": attempt["lessonType"],
        "lessonId": attempt["lesson"],
        "toolProvider": attempt["toolProvider"],
        "finalized": attempt["finalized"],
        "attempt": attempt["attempt"],
        **_link(attempt),
    }
    if ctx.faults.on("import-answer-without-lesson-type"):
        view.pop("lessonType")
    return view


def _initial_result(ctx: ServerContext, attempt: dict[str, Any]) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "xp": None,
        "multiplier": None,
        "accuracy": None,
        "totalQuestions": len(attempt["questions"]),
        "correctQuestions": 0,
        "masteredUnits": 0,
    }
    # Seed 004: the assignment stores the tool's ids in the lesson's AssessmentResult; that is how a
    # client finds the result of one attempt (MasteryTrack writes back into it).
    metadata["assignmentId"] = attempt["assignmentId"]
    if attempt["toolProvider"] == tool_doubles.EDULASTIC:
        metadata["classId"] = attempt["classId"]
    else:
        metadata["masteryTrackProcessed"] = "false"
    now = ctx.clock.now()
    return {
        "sourcedId": attempt["resultId"],
        "status": "active",
        "assessmentLineItem": {"sourcedId": attempt["lesson"]},
        "student": {"sourcedId": attempt["student"]},
        "score": None,
        "scoreDate": now,
        "scoreStatus": "not submitted",
        "metadata": metadata,
        "dateLastModified": now,
    }


async def make_assignment(ctx: ServerContext, op: Operation, request: Request, path: dict[str, str]) -> Response:
    check_query(request, op.query)
    body = await read_json(request, ctx.faults)
    found = schemas.problems(op.request or "", body, records.READING, ctx.dialect.profile)
    if found:
        raise invalid_body(found)
    student, lesson_id = body["student"], body["lesson"]
    lesson = _lesson(ctx, student, lesson_id)
    current = ctx.store.latest_attempt(student, lesson_id)
    # A new attempt starts only once the current one is finalized; until then the same one is returned.
    if current is not None and (not current["finalized"] or ctx.faults.on("attempt-not-incremented")):
        return ctx.render.json(_assignment_view(ctx, current))
    number = current["attempt"] + 1 if current is not None else 1
    tool = lesson.toolProvider or tool_doubles.EDULASTIC  # no provider only under non-external-lesson-accepted
    try:
        doc = tool_doubles.create_assignment(
            ctx.store, tool, student, lesson_id, attempt=number, questions=lesson.questions, test_id=body.get("testId")
        )
    except tool_doubles.ToolError as error:
        raise _failure(ctx, 400, str(error)) from None
    attempt: dict[str, Any] = {
        "student": student,
        "lesson": lesson_id,
        "attempt": number,
        "lessonType": lesson.lessonType,
        "toolProvider": tool,
        "applicationName": body.get("applicationName"),
        "skipCourseEnrollment": bool(body.get("skipCourseEnrollment", False)),
        "resultId": tool_doubles.result_id(student, lesson_id, number),
        "finalized": False,
        "score": None,
        "questions": [None] * lesson.questions,
        "enrollmentFailed": None,
        **{key: doc[key] for key in ("assignmentId", "testId", "testUrl", "credentials")},
        "classId": doc.get("classId"),
    }
    with ctx.store.transaction():
        ctx.store.save_attempt(attempt)
        ctx.store.put("assessmentResult", attempt["resultId"], _initial_result(ctx, attempt))
    return ctx.render.json(_assignment_view(ctx, attempt))


def _import_edulastic(ctx: ServerContext, attempt: dict[str, Any], doc: dict[str, Any]) -> None:
    """Copy answered questions; finalize when every question is answered and the grade is GRADED."""
    for index, answer in enumerate(doc["answers"]):
        if answer is not None:
            attempt["questions"][index] = {"score": answer["score"], "feedback": answer["feedback"]}
    answered = all(answer is not None for answer in doc["answers"])
    graded = doc["grade"] == tool_doubles.GRADED
    done = (answered or graded) if ctx.faults.on("premature-finalization") else (answered and graded)
    if ctx.faults.on("edulastic-waits-for-review"):  # a grade alone never finalizes: a teacher's review is awaited
        done = False
    if done:
        scores = [q["score"] for q in attempt["questions"] if q is not None]
        # Seed 004: the sum of the question scores divided by the number of questions (all of them).
        divisor = (
            sum(1 for s in scores if s)
            if ctx.faults.on("edulastic-score-average-of-answered")
            else len(attempt["questions"])
        )
        attempt["score"] = sum(scores) / divisor if divisor else 0
        attempt["finalized"] = True


def _import_mastery_track(ctx: ServerContext, attempt: dict[str, Any], doc: dict[str, Any]) -> None:
    """Once results were written back (into the attempt's AssessmentResult), take them; finalize
    when that result is 'fully graded' and its metadata.masteryTrackProcessed is 'true'."""
    result = ctx.store.get("assessmentResult", attempt["resultId"])
    if result is None:
        return
    written = doc["writtenBack"] or result.get("scoreStatus") != "not submitted"
    if not written:
        return
    for question in (doc["writeback"] or {}).get("questions", []):
        attempt["questions"][question["index"]] = {"score": question["score"], "feedback": question["feedback"]}
    score = result.get("score")
    attempt["score"] = score if isinstance(score, int | float) and not isinstance(score, bool) else None
    metadata = records.metadata_of(result)
    processed = metadata.get("masteryTrackProcessed") == "true" or ctx.faults.on(
        "mastery-track-finalize-without-processed"
    )
    if result.get("scoreStatus") == "fully graded" and processed:
        attempt["finalized"] = True


def _enroll(ctx: ServerContext, lesson: Lesson, attempt: dict[str, Any]) -> None:
    """Seed 004: a finalized placement or test-out may enroll the student in the lesson's course."""
    attempt["enrollmentFailed"] = False
    if attempt["lessonType"] not in ENROLLING:
        return
    if attempt["skipCourseEnrollment"] and not ctx.faults.on("enroll-despite-skip"):
        return
    if lesson.course is None:
        attempt["enrollmentFailed"] = True
        return
    ctx.store.enroll(attempt["student"], lesson.course, lesson.sourcedId, ctx.clock.now())


def _counts(attempt: dict[str, Any]) -> tuple[int, int, float]:
    total = len(attempt["questions"])
    correct = sum(1 for q in attempt["questions"] if q is not None and q["score"] == 1)
    return correct, total, (100 * correct / total if total else 0)


def _record_in_gradebook(ctx: ServerContext, attempt: dict[str, Any]) -> None:
    result = ctx.store.get("assessmentResult", attempt["resultId"])
    if result is None:
        return
    correct, total, accuracy = _counts(attempt)
    metadata = records.metadata_of(result)
    updated = {
        **result,
        "metadata": {**metadata, "totalQuestions": total, "correctQuestions": correct, "accuracy": accuracy},
    }
    if attempt["toolProvider"] == tool_doubles.EDULASTIC:  # MasteryTrack sets these itself when it writes back
        answered = any(q is not None for q in attempt["questions"])
        updated["scoreStatus"] = (
            "fully graded" if attempt["finalized"] else "partially graded" if answered else "not submitted"
        )
        updated["score"] = attempt["score"]
    updated["dateLastModified"] = ctx.clock.stamp(result.get("dateLastModified"))
    ctx.store.put("assessmentResult", attempt["resultId"], updated)


async def import_results(ctx: ServerContext, op: Operation, request: Request, path: dict[str, str]) -> Response:
    params = check_query(request, op.query)
    _required(params, op)
    student, lesson_id = params["student"], params["lesson"]
    if ctx.faults.on("import-unknown-student-200") and not ctx.store.exists("student", student):
        return ctx.render.json({"lessonId": lesson_id, "finalized": False, "attempt": 0})
    lesson = _lesson(ctx, student, lesson_id)
    attempt = ctx.store.latest_attempt(student, lesson_id)
    if attempt is None:
        if ctx.faults.on("import-without-assignment-200"):
            return ctx.render.json(
                {
                    "lessonType": lesson.lessonType,
                    "lessonId": lesson_id,
                    "toolProvider": lesson.toolProvider,
                    "finalized": False,
                    "attempt": 0,
                }
            )
        raise _failure(
            ctx,
            400,
            "No external test assignment was made for this student and lesson (no credentials "
            "to read results with): call makeExternalTestAssignment first.",
        )
    if attempt["finalized"] and not ctx.faults.on("reimport-after-finalization"):
        view = _import_view(ctx, attempt)  # seed 004: once finalized, nothing is imported
        if ctx.faults.on("finalized-import-relinks"):  # a retake link handed out for a finished test
            view["testUrl"] = f"{view['testUrl']}?retake=true"
        return ctx.render.json(view)
    try:
        doc = tool_doubles.fetch(ctx.store, attempt["toolProvider"], attempt["assignmentId"])
        if ctx.faults.on("benign-autonomous-tool"):  # the student moved on since the last import
            tool_doubles.take_a_step(ctx.store, ctx.clock, doc)
    except tool_doubles.ToolError as error:
        if ctx.faults.on("tool-error-swallowed"):
            return ctx.render.json(_import_view(ctx, attempt))
        raise _failure(ctx, 400, str(error)) from None
    was_final = attempt["finalized"]
    with ctx.store.transaction():
        if attempt["toolProvider"] == tool_doubles.EDULASTIC:
            _import_edulastic(ctx, attempt, doc)
        else:
            _import_mastery_track(ctx, attempt, doc)
        attempt["finalized"] = attempt["finalized"] or was_final
        if attempt["finalized"] and not was_final:
            _enroll(ctx, lesson, attempt)
        ctx.store.save_attempt(attempt)
        _record_in_gradebook(ctx, attempt)
    return ctx.render.json(_import_view(ctx, attempt))


def _question(attempt: dict[str, Any], index: int) -> dict[str, Any]:
    number = index + 1
    question: dict[str, Any] = {
        "id": f"{attempt['lesson']}-q{number}",
        "index": index,
        "title": f"Question {number}",
        "url": f"https://{attempt['toolProvider']}.reference.invalid/tests/{attempt['testId']}/questions/{number}",
        "difficulty": _DIFFICULTY[index % len(_DIFFICULTY)],
    }
    imported = attempt["questions"][index]
    if imported is not None:
        question["result"] = {"score": imported["score"], "feedback": imported["feedback"]}
        question["correct"] = imported["score"] == 1
    return question


def _numeric(value: Any) -> float | int | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


async def progress(ctx: ServerContext, op: Operation, request: Request, path: dict[str, str]) -> Response:
    params = check_query(request, op.query)
    _required(params, op)
    student, lesson_id, raw_attempt = params["student"], params["lesson"], params.get("attempt")
    if raw_attempt is not None and not (raw_attempt.isdigit() and len(raw_attempt) < 10 and int(raw_attempt) >= 1):
        raise bad_request(f"attempt must be a whole number from 1, not {raw_attempt[:40]!r}.")
    _lesson(ctx, student, lesson_id)
    if raw_attempt is None:
        attempt = ctx.store.latest_attempt(student, lesson_id)
    else:
        attempt = ctx.store.attempt(student, lesson_id, int(raw_attempt))
        if attempt is None and ctx.store.latest_attempt(student, lesson_id) is not None:
            raise _failure(ctx, 404, f"Attempt {raw_attempt} not found for this student and lesson.")
    if attempt is None:
        raise _failure(ctx, 400, "No external test assignment was made for this student and lesson.")
    result = ctx.store.get("assessmentResult", attempt["resultId"]) or {}
    metadata = records.metadata_of(result)
    correct, total, accuracy = _counts(attempt)
    body: dict[str, Any] = {
        "lessonType": attempt["lessonType"],
        "finalized": attempt["finalized"],
        "questions": [_question(attempt, i) for i in range(total)],
        "toolProvider": attempt["toolProvider"],
        "attempt": attempt["attempt"],
        "xp": _numeric(metadata.get("xp")),
        "multiplier": _numeric(metadata.get("multiplier")),
        "accuracy": accuracy,
        "correctQuestions": correct,
        "totalQuestions": total,
    }
    if ctx.faults.on("progress-without-question-counts"):
        del body["correctQuestions"], body["totalQuestions"]
    if attempt["finalized"]:
        if attempt["score"] is not None:
            body["score"] = attempt["score"]
        body["enrollmentFailed"] = bool(attempt["enrollmentFailed"])
    return ctx.render.json(body)
