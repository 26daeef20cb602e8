"""What the suite's payloads and readings of answers look like in the active profile's dialect.

The checks, the machines and the positive cases are written once; where the two dialects shape a
payload differently (API.md, "Two dialects") they ask here: how a reference is written, how a
date-typed member is written, where a collection's count is, what a bulk POST's pairs look like.
"""

from __future__ import annotations

from typing import Any

from conformance import profiles
from conformance.client import Exchange

# The official binding types each reference by what it points at (its GUIDRef DTypes).
REFERENCE_TYPES = {
    "class": "class",
    "school": "org",
    "student": "user",
    "lineItem": "lineItem",
    "assessmentLineItem": "assessmentLineItem",
    "parentAssessmentLineItem": "assessmentLineItem",
    "category": "category",
    "scoreScale": "scoreScale",
    "gradingPeriod": "academicSession",
    "academicSession": "academicSession",
    "course": "course",
}
# Where the official binding's href of each referenced type points (the OneRoster 1.2 services).
_HREF_COLLECTIONS = {
    "class": "rostering/v1p2/classes",
    "org": "rostering/v1p2/orgs",
    "user": "rostering/v1p2/users",
    "academicSession": "rostering/v1p2/academicSessions",
    "course": "rostering/v1p2/courses",
    "lineItem": "gradebook/v1p2/lineItems",
    "assessmentLineItem": "gradebook/v1p2/assessmentLineItems",
    "category": "gradebook/v1p2/categories",
    "scoreScale": "gradebook/v1p2/scoreScales",
}
# Members the official binding types as a date (not a date-time).
DATE_MEMBERS = frozenset({"scoreDate"})
HREF_BASE = "https://oneroster.invalid/ims/oneroster"


def official() -> bool:
    return profiles.current() == profiles.ONEEDTECH


def ref(member: str, sourced_id: str, href_base: str = HREF_BASE) -> dict[str, str]:
    """A reference to ``sourced_id`` held in ``member``: ``{sourcedId}`` in TimeBack's dialect,
    ``{href, sourcedId, type}`` in the official one."""
    if not official():
        return {"sourcedId": sourced_id}
    kind = REFERENCE_TYPES.get(member, member)
    collection = _HREF_COLLECTIONS.get(kind, f"gradebook/v1p2/{kind}s")
    return {"href": f"{href_base.rstrip('/')}/{collection}/{sourced_id}", "sourcedId": sourced_id, "type": kind}


def date_value(member: str, date_time: str) -> str:
    """``2024-09-02T08:00:00Z`` as ``member`` takes it: the date alone where the binding types a date."""
    return date_time[:10] if official() and member in DATE_MEMBERS else date_time


def put_answers_record() -> bool:
    """TimeBack's PUT answers with the stored record; the official binding's with no body."""
    return not official()


def total_count(exchange: Exchange) -> Any:
    """A collection answer's count of matching records: ``totalCount`` in TimeBack's body, the
    ``X-Total-Count`` header in the official binding (None when absent, the raw value when odd)."""
    if official():
        raw = exchange.headers.get("x-total-count")
        if raw is None:
            return None
        try:
            return int(raw)
        except ValueError:
            return raw
    body = exchange.try_json()
    return body.get("totalCount") if isinstance(body, dict) else None


def count_source() -> str:
    return "the X-Total-Count header" if official() else "totalCount"


def pairs(body: Any) -> list[dict[str, Any]]:
    """The sourcedId pairs of a bulk POST's answer, whichever shape holds them (the schema check
    judges the shape): TimeBack's one object, the official binding's array."""
    found = body.get("sourcedIdPairs") if isinstance(body, dict) else None
    if isinstance(found, dict):
        return [found]
    if isinstance(found, list):
        return [p for p in found if isinstance(p, dict)]
    return []
