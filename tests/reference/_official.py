"""Helpers for the tests of the reference server's 1edtech profile: valid records of the official
binding (references with href and type, a date scoreDate, the required sourcedId, status and
dateLastModified), and assertions against the 1edtech schemas."""

from __future__ import annotations

from typing import Any

import httpx

from conformance import profiles
from conformance.contract import schemas

OFFICIAL = profiles.ONEEDTECH
STAMP = "2024-03-01T10:00:00Z"
SCORE_DATE = "2024-03-01"  # the binding's scoreDate is a date
SIS = "https://sis.example.org/ims/oneroster/rostering/v1p2"
GRADES = "https://sis.example.org/ims/oneroster/gradebook/v1p2"


def ref(kind: str, sourced_id: str) -> dict[str, str]:
    """An official GUIDRef; ``kind`` is its type (class, org, user, category, lineItem, …)."""
    base = GRADES if kind in ("lineItem", "category", "scoreScale", "assessmentLineItem") else SIS
    return {"href": f"{base}/{kind}s/{sourced_id}", "sourcedId": sourced_id, "type": kind}


def _base(sourced_id: str) -> dict[str, Any]:
    return {"sourcedId": sourced_id, "status": "active", "dateLastModified": STAMP}


def line_item(sourced_id: str, **extra: Any) -> dict[str, Any]:
    return {
        **_base(sourced_id),
        "title": "Chapter 1 quiz",
        "assignDate": STAMP,
        "dueDate": "2024-03-08T10:00:00Z",
        "class": ref("class", "fx-class-1"),
        "school": ref("org", "fx-school-1"),
        "category": ref("category", "fx-category-1"),
        **extra,
    }


def result(
    sourced_id: str, line_item_id: str = "li-any", student: str = "fx-student-1", **extra: Any
) -> dict[str, Any]:
    return {
        **_base(sourced_id),
        "lineItem": ref("lineItem", line_item_id),
        "student": ref("user", student),
        "scoreStatus": "fully graded",
        "scoreDate": SCORE_DATE,
        "score": 85,
        **extra,
    }


def assessment_line_item(sourced_id: str, **extra: Any) -> dict[str, Any]:
    return {**_base(sourced_id), "title": "Unit 3 test", **extra}


def assessment_result(
    sourced_id: str, ali: str = "ali-any", student: str = "fx-student-1", **extra: Any
) -> dict[str, Any]:
    return {
        **_base(sourced_id),
        "assessmentLineItem": ref("assessmentLineItem", ali),
        "student": ref("user", student),
        "scoreStatus": "fully graded",
        "scoreDate": SCORE_DATE,
        "score": 90,
        **extra,
    }


def category(sourced_id: str, **extra: Any) -> dict[str, Any]:
    return {**_base(sourced_id), "title": "Quizzes", "weight": 0.25, **extra}


def score_scale(sourced_id: str, class_id: str = "fx-class-1", **extra: Any) -> dict[str, Any]:
    return {
        **_base(sourced_id),
        "title": "Letters",
        "type": "letter",
        "class": ref("class", class_id),
        "scoreScaleValue": [{"itemValueLHS": "90", "itemValueRHS": "A"}],
        **extra,
    }


RECORDS = {
    "lineItem": line_item,
    "result": result,
    "assessmentLineItem": assessment_line_item,
    "assessmentResult": assessment_result,
    "category": category,
    "scoreScale": score_scale,
}


def record(entity: str, sourced_id: str, **extra: Any) -> dict[str, Any]:
    return RECORDS[entity](sourced_id, **extra)


def assert_valid(kind: str, body: Any) -> None:
    """``body`` is a valid ``kind`` of the official binding (lenient reading)."""
    found = schemas.problems(kind, body, "lenient", OFFICIAL)
    assert found == [], [str(p) for p in found]


def assert_error(response: httpx.Response, status: int, code_minor: str | None = None) -> dict[str, Any]:
    """An official imsx error: the status, JSON, valid imsx_StatusInfo, and none of TimeBack's extensions."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["content-type"] == "application/json", response.headers
    body: dict[str, Any] = response.json()
    assert_valid("imsxStatusInfo", body)
    assert (body["imsx_codeMajor"], body["imsx_severity"]) == ("failure", "error")
    assert "imsx_error_details" not in body, body
    if code_minor is not None:
        assert body["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == code_minor, body
    return body
