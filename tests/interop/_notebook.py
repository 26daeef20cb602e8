"""The gradebook part of Google Classroom's OneRoster 1.2 SIS conformance notebook, step by step, as the
notebook sends it: HTTP Basic for the token with its four scopes in its order, then bearer requests with
nothing but the HTTP client's own default headers, a form body riding along on the categories GET, PUT
bodies serialised by ``json.dumps`` and every collection asked for with one page size.

Written from the notebook alone, with plain httpx: nothing here comes from the suite's client, session or
consumer flow, so that a misreading the suite and the reference server share cannot hide behind them.
The rostering steps (teachers, a teacher's classes, a class's students, a term's grading periods) are not
served by the reference server; the ids they would yield come from its fixtures.

A step that the notebook would crash on (no token, no category listed) ends the flow; any other failure
is recorded and the flow goes on, as the notebook's next cell does.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

SCOPES = " ".join(
    f"https://purl.imsglobal.org/spec/or/v1p2/scope/{name}"
    for name in ("roster.readonly", "gradebook.readonly", "gradebook.createput", "gradebook.delete")
)
LONG_TITLE = "[Amended] Rea" + "l" * 65 + "y Long Google Test Line Item Title"
TIMEOUT = httpx.Timeout(10.0)
# What a list must show of the record the notebook looks for: "" when it does, else what it shows.
Judge = Callable[[dict[str, Any] | None], str]
# Every step a run records, in order, when none stops it.
STEPS = [
    "Get OAuth Token",
    "GetCategoriesForClass",
    "Category listed",
    "PutLineItem Create",
    "GetLineItemsForClass",
    "PutLineItem Edit",
    "Assignment Title Limit",
    "PutResult Create",
    "GetResultsForLineItem",
    "PutResult Edit",
    "Result Extra Credit",
    "PutResult Exempt",
    "Returned excused state",
    "DeleteResult",
    "Result deleted",
    "DeleteLineItem",
    "Line item deleted",
]


@dataclass(frozen=True)
class Roster:
    """What the rostering steps would have read: the first class, its school and student, and the id
    the notebook generates for each record it writes."""

    class_id: str
    school_id: str
    student_id: str
    line_item_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    result_id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass(frozen=True)
class Step:
    name: str
    ok: bool
    detail: str

    def __str__(self) -> str:
        return f"{'pass' if self.ok else 'FAIL'}  {self.name}: {self.detail}"


class Stop(Exception):
    """A step whose failure would crash the notebook's next cell."""


class Notebook:
    """One run of the notebook's gradebook flow against ``base`` (the URL ending in /ims/oneroster)."""

    def __init__(self, base: str, token_url: str, credentials: tuple[str, str], roster: Roster, limit: int) -> None:
        self.base, self.token_url, self.credentials = base.rstrip("/"), token_url, credentials
        self.roster, self.limit = roster, limit
        self.steps: list[Step] = []
        self.http = httpx.Client(timeout=TIMEOUT)
        self.token = ""
        self.category_id = ""
        now = datetime.now(UTC)
        self.assign_date = _notebook_time(now)
        self.due_date = _notebook_time(now + timedelta(minutes=1))

    def run(self) -> list[Step]:
        try:
            for step in (self.get_token, self.categories, self.line_item_steps, self.result_steps, self.cleanup):
                step()
        except Stop:
            pass
        finally:
            self.http.close()
        return self.steps

    # What every step shares --------------------------------------------------------------------------
    def record(self, name: str, ok: bool, detail: str) -> bool:
        self.steps.append(Step(name, ok, detail))
        return ok

    def status(self, name: str, response: httpx.Response, accepted: tuple[int, ...]) -> bool:
        ok = response.status_code in accepted
        return self.record(name, ok, f"{response.status_code} returned" + ("" if ok else f": {response.text[:300]}"))

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def gradebook(self, path: str) -> str:
        return f"{self.base}/gradebook/v1p2/{path}"

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.request("GET", self.gradebook(path), params={"limit": self.limit}, **kwargs)

    def put(self, path: str, envelope: dict[str, Any]) -> httpx.Response:
        headers = {"Content-Type": "application/json", **self.bearer()}
        return self.http.put(self.gradebook(path), headers=headers, content=json.dumps(envelope))

    def look(self, name: str, path: str, key: str, sourced_id: str, test: Judge) -> None:
        """GET a class's list, find the record in it and say what ``test`` makes of it ("" when as expected)."""
        response = self.get(path, headers=self.bearer())
        if response.status_code != 200:
            self.record(name, False, f"{response.status_code} returned: {response.text[:300]}")
            return
        listed = [item for item in response.json()[key] if item.get("sourcedId") == sourced_id]
        problem = test(listed[0] if listed else None)
        self.record(name, not problem, problem or "as expected")

    # The notebook's cells ----------------------------------------------------------------------------
    def get_token(self) -> None:
        response = self.http.post(
            self.token_url,
            auth=self.credentials,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            data={"grant_type": "client_credentials", "scope": SCOPES},
        )
        if not self.status("Get OAuth Token", response, (200,)):
            raise Stop
        self.token = response.json()["access_token"]

    def categories(self) -> None:
        # The token form dict goes along as the body of this GET: the notebook reuses its variable.
        form = {"grant_type": "client_credentials", "scope": SCOPES}
        response = self.get(f"classes/{self.roster.class_id}/categories", headers=self.bearer(), data=form)
        if not self.status("GetCategoriesForClass", response, (200,)):
            raise Stop
        listed = response.json()["categories"]
        if not self.record("Category listed", bool(listed), f"{len(listed)} categories for the class"):
            raise Stop
        self.category_id = listed[0]["sourcedId"]

    def line_item(self, title: str) -> dict[str, Any]:
        roster = self.roster
        return {
            "lineItem": {
                "sourcedId": roster.line_item_id,
                "title": title,
                "description": "Test Line Item",
                "resultValueMin": 0,
                "resultValueMax": 100,
                "assignDate": self.assign_date,
                "dueDate": self.due_date,
                "class": {"sourcedId": roster.class_id},
                "category": {"sourcedId": self.category_id},
                "school": {"sourcedId": roster.school_id},
            }
        }

    def line_item_steps(self) -> None:
        path, listing = f"lineItems/{self.roster.line_item_id}", f"classes/{self.roster.class_id}/lineItems"
        self.status("PutLineItem Create", self.put(path, self.line_item("New test item")), (201,))
        self.look("GetLineItemsForClass", listing, "lineItems", self.roster.line_item_id, _present)
        self.status("PutLineItem Edit", self.put(path, self.line_item(LONG_TITLE)), (200, 201))
        self.look("Assignment Title Limit", listing, "lineItems", self.roster.line_item_id, _whole_title)

    def result(self, score: int, score_status: str) -> dict[str, Any]:
        roster = self.roster
        return {
            "result": {
                "sourcedId": roster.result_id,
                "score": score,
                "comment": "",
                "scoreStatus": score_status,
                "scoreDate": self.assign_date,
                "lineItem": {"sourcedId": roster.line_item_id},
                "student": {"sourcedId": roster.student_id},
            }
        }

    def result_steps(self) -> None:
        roster = self.roster
        path = f"results/{roster.result_id}"
        listing = f"classes/{roster.class_id}/lineItems/{roster.line_item_id}/results"
        self.status("PutResult Create", self.put(path, self.result(80, "fully graded")), (200, 201))
        self.look("GetResultsForLineItem", listing, "results", roster.result_id, _present)
        self.status("PutResult Edit", self.put(path, self.result(300, "fully graded")), (200, 201))
        self.look("Result Extra Credit", listing, "results", roster.result_id, _extra_credit)
        self.status("PutResult Exempt", self.put(path, self.result(80, "exempt")), (200, 201))
        self.look("Returned excused state", listing, "results", roster.result_id, _exempt)

    def cleanup(self) -> None:
        roster = self.roster
        results = f"classes/{roster.class_id}/lineItems/{roster.line_item_id}/results"
        deleted = self.http.delete(self.gradebook(f"results/{roster.result_id}"), headers=self.bearer())
        self.status("DeleteResult", deleted, (200, 204))
        self.look("Result deleted", results, "results", roster.result_id, _gone)
        deleted = self.http.delete(self.gradebook(f"lineItems/{roster.line_item_id}"), headers=self.bearer())
        self.status("DeleteLineItem", deleted, (200, 204))
        self.look("Line item deleted", f"classes/{roster.class_id}/lineItems", "lineItems", roster.line_item_id, _gone)


def _notebook_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"  # milliseconds and Z, as the notebook writes it


def _present(item: dict[str, Any] | None) -> str:
    return "" if item is not None else "not listed"


def _whole_title(item: dict[str, Any] | None) -> str:
    # The notebook only reports the length; 112 characters is the clean result, and what Classroom shows.
    if item is None:
        return "not listed"
    title = str(item.get("title", ""))
    return "" if title == LONG_TITLE else f"a title of {len(title)} characters: {title!r}"


def _extra_credit(item: dict[str, Any] | None) -> str:
    if item is None:
        return "not listed"
    return "" if item.get("score") == 300 else f"score {item.get('score')!r}"  # the notebook's own comparison


def _exempt(item: dict[str, Any] | None) -> str:
    if item is None:
        return "not listed"
    return "" if item.get("scoreStatus") == "exempt" else f"scoreStatus {item.get('scoreStatus')!r}"


def _gone(item: dict[str, Any] | None) -> str:
    return "" if item is None else f"still listed, status {item.get('status')!r}"


def failed(steps: list[Step]) -> list[str]:
    return [step.name for step in steps if not step.ok]


def report(steps: list[Step]) -> str:
    return "\n".join(str(step) for step in steps)
