"""Valid records (strict reading) for every gradebook entity, in the binding of either profile.

One builder per entity serves both profiles; they differ only in what ``Binding`` holds: TimeBack
writes a reference as ``{sourcedId}`` and scoreDate as a date-time, and needs no sourcedId in the body;
the official binding writes references with href and type, scoreDate as a date, and requires sourcedId,
status and dateLastModified on every record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conformance import profiles

TIMEBACK = profiles.TIMEBACK
DATE = "2024-03-01T10:00:00Z"
SIS = "https://sis.example.org/ims/oneroster/rostering/v1p2"
GRADES = "https://sis.example.org/ims/oneroster/gradebook/v1p2"


def official_ref(kind: str, sourced_id: str) -> dict[str, str]:
    """An official GUIDRef; ``kind`` is its type (class, org, user, category, lineItem, …)."""
    base = GRADES if kind in ("lineItem", "category", "scoreScale", "assessmentLineItem") else SIS
    return {"href": f"{base}/{kind}s/{sourced_id}", "sourcedId": sourced_id, "type": kind}


@dataclass(frozen=True)
class Binding:
    """How a profile's records write references, scoreDate and the fields every record carries."""

    ref: Callable[[str, str], dict[str, str]]  # (type, sourcedId) -> a reference to that record
    score_date: str
    stamped: bool  # every record must carry its sourcedId and a dateLastModified

    def base(self, sourced_id: str | None) -> dict[str, Any]:
        if not self.stamped:
            return {"status": "active"} if sourced_id is None else {"sourcedId": sourced_id, "status": "active"}
        if sourced_id is None:
            raise TypeError("a record of the official binding needs its sourcedId")
        return {"sourcedId": sourced_id, "status": "active", "dateLastModified": DATE}


BINDINGS = {
    profiles.TIMEBACK: Binding(lambda _kind, sourced_id: {"sourcedId": sourced_id}, DATE, stamped=False),
    # The official binding's references carry href and type, and its scoreDate is a date.
    profiles.ONEEDTECH: Binding(official_ref, "2024-03-01", stamped=True),
}


# A record's own sourcedId comes first; the rest is keyword-only, so that no call can pass a parent's id
# (a line item's, a class's) where the record's own is meant.
def line_item(sourced_id: str | None = None, *, profile: str = TIMEBACK, **extra: Any) -> dict[str, Any]:
    binding = BINDINGS[profile]
    return {
        **binding.base(sourced_id),
        "title": "Chapter 1 quiz",
        "assignDate": DATE,
        "dueDate": "2024-03-08T10:00:00Z",
        "class": binding.ref("class", "fx-class-1"),
        "school": binding.ref("org", "fx-school-1"),
        "category": binding.ref("category", "fx-category-1"),
        **extra,
    }


def _scored(binding: Binding, parent: str, parent_id: str, student: str, score: float) -> dict[str, Any]:
    """What a result and an assessment result share: the record scored, the student and the score."""
    return {
        parent: binding.ref(parent, parent_id),
        "student": binding.ref("user", student),
        "scoreStatus": "fully graded",
        "scoreDate": binding.score_date,
        "score": score,
    }


def result(
    sourced_id: str | None = None,
    *,
    line_item_id: str = "li-any",
    student: str = "fx-student-1",
    profile: str = TIMEBACK,
    **extra: Any,
) -> dict[str, Any]:
    binding = BINDINGS[profile]
    return {**binding.base(sourced_id), **_scored(binding, "lineItem", line_item_id, student, 85), **extra}


def assessment_line_item(sourced_id: str | None = None, *, profile: str = TIMEBACK, **extra: Any) -> dict[str, Any]:
    return {**BINDINGS[profile].base(sourced_id), "title": "Unit 3 test", **extra}


def assessment_result(
    sourced_id: str | None = None,
    *,
    ali: str = "ali-any",
    student: str = "fx-student-1",
    profile: str = TIMEBACK,
    **extra: Any,
) -> dict[str, Any]:
    binding = BINDINGS[profile]
    return {**binding.base(sourced_id), **_scored(binding, "assessmentLineItem", ali, student, 90), **extra}


def category(sourced_id: str | None = None, *, profile: str = TIMEBACK, **extra: Any) -> dict[str, Any]:
    return {**BINDINGS[profile].base(sourced_id), "title": "Quizzes", "weight": 0.25, **extra}


def score_scale(
    sourced_id: str | None = None, *, class_id: str = "fx-class-1", profile: str = TIMEBACK, **extra: Any
) -> dict[str, Any]:
    binding = BINDINGS[profile]
    return {
        **binding.base(sourced_id),
        "title": "Letters",
        "type": "letter",
        "class": binding.ref("class", class_id),
        "scoreScaleValue": [{"itemValueLHS": "90", "itemValueRHS": "A"}],
        **extra,
    }


RECORDS: dict[str, Callable[..., dict[str, Any]]] = {
    "lineItem": line_item,
    "result": result,
    "assessmentLineItem": assessment_line_item,
    "assessmentResult": assessment_result,
    "category": category,
    "scoreScale": score_scale,
}


def record(entity: str, sourced_id: str | None = None, *, profile: str = TIMEBACK, **extra: Any) -> dict[str, Any]:
    return RECORDS[entity](sourced_id, profile=profile, **extra)
