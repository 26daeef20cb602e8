"""The grade sync's first part: from a teacher to a class, its school and a student, read through
the rostering API as the notebook reads them, and the term's grading periods it offers for import.

These steps speak to no requirement of their own (the flow needs their answers, nothing more): a
rostering answer the flow cannot use stops it, with every later step skipped and why.
"""

from __future__ import annotations

from typing import Any, Protocol

from conformance.client import Exchange
from conformance.consumers.steps import Step, answered, status
from conformance.contract import roster


class Flow(Protocol):
    def get(self, path: str, **kwargs: Any) -> Exchange: ...

    def add(self, step: Step) -> Step: ...

    def skip(self, name: str, requirement: str | None, why: str) -> None: ...


def _listed(exchange: Exchange, key: str) -> list[dict[str, Any]]:
    body = exchange.try_json() if exchange.status == 200 else None
    items = body.get(key) if isinstance(body, dict) else None
    return [x for x in items or () if isinstance(x, dict) and isinstance(x.get("sourcedId"), str)]


def _needs(flow: Flow, name: str, exchange: Exchange, key: str, what: str) -> list[dict[str, Any]]:
    """The records a list step found; the step fails when it found none the flow can use."""
    found = _listed(exchange, key)
    if exchange.status == 200 and found:
        flow.add(Step(name, None, "pass", f"status 200 and {what}", f"status 200, {len(found)} listed", exchange))
    else:
        got = status(exchange) + (", none listed" if exchange.status == 200 else "")
        flow.add(Step(name, None, "fail", f"status 200 and {what}", got, exchange))
    return found


def read(flow: Flow, teacher: str, preferred_class: str) -> dict[str, str] | None:
    """The class (``preferred_class`` when the teacher teaches it), its school and first student;
    None when rostering did not give them."""
    classes = _needs(
        flow,
        "GetClassesForTeacher",
        flow.get(f"{roster.TEACHER.path(teacher)}/classes"),
        "classes",
        f"the classes teacher {teacher} teaches",
    )
    if not classes:
        return None
    chosen = next((c for c in classes if c["sourcedId"] == preferred_class), classes[0])
    class_id = str(chosen["sourcedId"])
    exchange = flow.get(roster.CLASS.path(class_id))
    step = flow.add(answered("GetClass", None, exchange, (200,)))
    body = exchange.try_json() if step.verdict == "pass" else None
    record = body.get("class") if isinstance(body, dict) else None
    school = roster.reference_id(record, "school") if isinstance(record, dict) else None
    if school is None:
        if step.verdict == "pass":
            flow.add(Step("GetClass: its school", None, "fail", "a class naming its school", "no school reference"))
        return None
    students = _needs(
        flow,
        "GetStudentsForClass",
        flow.get(f"{roster.CLASS.path(class_id)}/students"),
        "users",
        f"the students of class {class_id}",
    )
    if not students:
        return None
    terms = record.get("terms") if isinstance(record, dict) else None
    term = next((roster.named(t) for t in terms or () if roster.named(t)), None)
    if term is None:
        flow.skip("GetGradingPeriodsForTerm", None, f"class {class_id} names no term")
    else:
        periods = flow.get(f"{roster.TERM.path(term)}/gradingPeriods")
        found = _listed(periods, "academicSessions")
        outcome = answered("GetGradingPeriodsForTerm", None, periods, (200,))
        if outcome.verdict == "pass" and not found:
            outcome = Step(outcome.name, None, "note", outcome.expected, f"status 200, term {term} lists none", periods)
        flow.add(outcome)
    return {"class_id": class_id, "school_id": school, "student_id": str(students[0]["sourcedId"])}
