"""Google Classroom's grade sync, sent the way its SIS conformance notebook sends it.

The notebook (``catalogue.sources.GOOGLE_NOTEBOOK_URL``) is the published expectation of the most
widely used OneRoster 1.2 gradebook consumer. This module is its gradebook part as data and one
function: a token asked for with HTTP Basic and four scopes (one of them rostering), the class's
categories read with a form body riding along, a line item PUT without any server-managed member and
then again with a long title, a result PUT without status or class, then with extra credit, then
exempt, both deleted, and each change looked for in the class's lists. Each step says what it sent,
what came back, how long it took and which ``INTEROP-*`` requirement it speaks to.

The suite's ``test_interop`` records the steps against the catalogue; ``consumer-flow`` prints them.
Both send through a ``Channel``: the run's session (so that cleanup and reproductions know the
writes) or a bare client.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from conformance.client import Exchange, token_answer
from conformance.consumers import rostering
from conformance.consumers.channel import Channel
from conformance.consumers.steps import Step, answered, status
from conformance.contract.operations import GRADEBOOK
from conformance.dialect import Dialect

LONG_TITLE = "[Amended] Rea" + "l" * 65 + "y Long Google Test Line Item Title"  # 112 characters
BIG_PAGE = 10_000  # the page size Google's guide says a server must support
FALLBACK_PAGE = 3_000  # the commonest documented maximum, for the lists after a refused big page
EXTRA_CREDIT, MAXIMUM = 300, 100


@dataclass(frozen=True)
class Inputs:
    """The teacher the notebook starts from, what it reads from the rostering API (or, without a
    teacher, takes from the fixtures), and the two ids it makes."""

    class_id: str
    school_id: str
    student_id: str
    category_id: str | None  # used when the class lists no category
    line_item_id: str
    result_id: str
    teacher_id: str | None = None  # given: the class, school and student are read through rostering


def page_size(dialect: Dialect, big_page_served: bool) -> int:
    """The page the flow's lists ask for: Google's 10,000, or the dialect's documented maximum below
    it; when the target refused 10,000 (a step of its own), the documented maximum or 3,000, so that
    one refusal does not hide what every later list would show."""
    if dialect.max_limit is not None:
        return min(BIG_PAGE, dialect.max_limit)
    return BIG_PAGE if big_page_served else FALLBACK_PAGE


def _listed(exchange: Exchange, key: str, sourced_id: str) -> dict[str, Any] | None:
    body = exchange.try_json()
    items = body.get(key) if isinstance(body, dict) else None
    for item in items if isinstance(items, list) else ():
        if isinstance(item, dict) and item.get("sourcedId") == sourced_id:
            return item
    return None


# What a list shows of the record the flow looks for (None: not listed): (as expected?, what it shows).
Item = dict[str, Any] | None


def _present(item: Item) -> tuple[bool, str]:
    return item is not None, "listed" if item is not None else "not listed"


def _gone(item: Item) -> tuple[bool, str]:
    return item is None, "not listed" if item is None else f"still listed, status {item.get('status')!r}"


def _whole_title(item: Item) -> tuple[bool, str]:
    if item is None:
        return False, "not listed"
    return item.get("title") == LONG_TITLE, f"a title of {len(str(item.get('title', '')))} characters"


def _extra_credit(item: Item) -> tuple[bool, str]:
    if item is None:
        return False, "not listed"
    return _number(item.get("score")) == EXTRA_CREDIT, f"score {item.get('score')!r}"


def _exempt(item: Item) -> tuple[bool, str]:
    if item is None:
        return False, "not listed"
    return item.get("scoreStatus") == "exempt", f"scoreStatus {item.get('scoreStatus')!r}"


class _Flow:
    def __init__(self, channel: Channel, inputs: Inputs, dialect: Dialect) -> None:
        self.channel, self.inputs, self.dialect = channel, inputs, dialect
        self.steps: list[Step] = []
        self.limit: int  # the lists' page size, known once the big page has been asked for

    # Where the flow writes and looks: the class is known once rostering has been read.
    @property
    def line_items(self) -> str:
        return f"{GRADEBOOK}/classes/{quote(self.inputs.class_id, safe='')}/lineItems"

    @property
    def categories(self) -> str:
        return f"{GRADEBOOK}/classes/{quote(self.inputs.class_id, safe='')}/categories"

    @property
    def results(self) -> str:
        return f"{self.line_items}/{quote(self.inputs.line_item_id, safe='')}/results"

    @property
    def line_item_path(self) -> str:
        return f"{GRADEBOOK}/lineItems/{quote(self.inputs.line_item_id, safe='')}"

    @property
    def result_path(self) -> str:
        return f"{GRADEBOOK}/results/{quote(self.inputs.result_id, safe='')}"

    def add(self, step: Step) -> Step:
        self.steps.append(step)
        return step

    def skip(self, name: str, requirement: str | None, why: str) -> None:
        self.add(Step(name, requirement, "skip", why))

    def get(self, path: str, **kwargs: Any) -> Exchange:
        return self.channel.send("GET", path, params={"limit": self.limit}, **kwargs)

    # The steps -------------------------------------------------------------------------------------
    def token(self) -> bool:
        exchange = self.channel.ask_token()
        if exchange is None:
            self.skip("Get OAuth Token", "INTEROP-TOKEN-EXTRA-SCOPES", "the target takes a static token")
            return True
        answer = token_answer(exchange)
        if exchange.status == 200 and answer.token:
            granted = f"; granted: {answer.scope}" if answer.scope else ""
            self.add(
                Step(
                    "Get OAuth Token",
                    "INTEROP-TOKEN-EXTRA-SCOPES",
                    "pass",
                    "status 200 with an access_token",
                    f"status 200{granted}",
                    exchange,
                )
            )
            return True
        self.add(
            Step(
                "Get OAuth Token",
                "INTEROP-TOKEN-EXTRA-SCOPES",
                "fail",
                "status 200 with an access_token, for the scopes this server serves",
                status(exchange) + (" without an access_token" if exchange.status == 200 else ""),
                exchange,
            )
        )
        self.channel.token = None
        return False

    def category(self) -> str | None:
        exchange = self.get(self.categories, form_body=True)
        self.add(
            answered("GetCategoriesForClass (a form body on the GET)", "INTEROP-GET-IGNORES-BODY", exchange, (200,))
        )
        body = exchange.try_json() if exchange.status == 200 else None
        listed = body.get("categories") if isinstance(body, dict) else None
        first = listed[0] if isinstance(listed, list) and listed and isinstance(listed[0], dict) else {}
        chosen = first.get("sourcedId")
        return chosen if isinstance(chosen, str) and chosen else self.inputs.category_id

    def line_item(self, title: str, category: str) -> dict[str, Any]:
        now = datetime.now(UTC).replace(microsecond=0)
        return {
            "lineItem": {
                "sourcedId": self.inputs.line_item_id,
                "title": title,
                "description": "Test Line Item",
                "resultValueMin": 0,
                "resultValueMax": MAXIMUM,
                "assignDate": _moment(now),
                "dueDate": _moment(now + timedelta(minutes=1)),
                "class": {"sourcedId": self.inputs.class_id},
                "category": {"sourcedId": category},
                "school": {"sourcedId": self.inputs.school_id},
            }
        }

    def result(self, score: int, status: str) -> dict[str, Any]:
        return {
            "result": {
                "sourcedId": self.inputs.result_id,
                "score": score,
                "comment": "",
                "scoreStatus": status,
                "scoreDate": _moment(datetime.now(UTC)),
                "lineItem": {"sourcedId": self.inputs.line_item_id},
                "student": {"sourcedId": self.inputs.student_id},
            }
        }

    def look(
        self,
        name: str,
        requirement: str,
        path: str,
        key: str,
        sourced_id: str,
        test: Callable[[Item], tuple[bool, str]],
        expected: str,
    ) -> None:
        exchange = self.get(path)
        if exchange.status != 200:
            self.add(Step(name, requirement, "fail", f"status 200 and {expected}", status(exchange), exchange))
            return
        ok, actual = test(_listed(exchange, key, sourced_id))
        self.add(Step(name, requirement, "pass" if ok else "fail", expected, actual, exchange))

    def run(self) -> list[Step]:
        if not self.token():
            return self.steps
        if self.inputs.teacher_id is not None:
            self.limit = page_size(self.dialect, True)
            read = rostering.read(self, self.inputs.teacher_id, self.inputs.class_id)
            if read is None:
                return self._unreached("rostering did not give the flow a class with a student", everything=True)
            self.inputs = replace(self.inputs, **read)
        self.limit = page_size(self.dialect, self._big_page())
        category = self.category()
        if category is None:
            self.skip(
                "PutLineItem Create", "INTEROP-PUT-CREATE-201", "the class lists no category and the fixtures name none"
            )
            return self.steps
        created = self.channel.send("PUT", self.line_item_path, body=self.line_item("New test item", category))
        self.add(answered("PutLineItem Create", "INTEROP-PUT-CREATE-201", created, (201,)))
        if created.status not in (200, 201):
            return self._unreached("the line item was not created")
        self.look(
            "GetLineItemsForClass",
            "INTEROP-PUT-CREATE-201",
            self.line_items,
            "lineItems",
            self.inputs.line_item_id,
            _present,
            "the new line item listed for its class",
        )
        edited = self.channel.send("PUT", self.line_item_path, body=self.line_item(LONG_TITLE, category))
        note = "the notebook prefers 200 for a replaced record" if edited.status == 201 else ""
        self.add(answered("PutLineItem Edit", "INTEROP-PUT-UPDATE-STATUS", edited, (200, 201), note))
        self.look(
            "Assignment Title Limit",
            "INTEROP-TITLE-WHOLE",
            self.line_items,
            "lineItems",
            self.inputs.line_item_id,
            _whole_title,
            f"the {len(LONG_TITLE)}-character title listed whole",
        )
        self._results()
        self.delete(
            ("DeleteLineItem", "Line item deleted"),
            self.line_item_path,
            (self.line_items, "lineItems", self.inputs.line_item_id),
            "the line item gone from its class's list",
        )
        return self.steps

    def _results(self) -> None:
        written = self.channel.send("PUT", self.result_path, body=self.result(80, "fully graded"))
        self.add(answered("PutResult Create (no status, no class)", "INTEROP-RESULT-MINIMAL", written, (200, 201)))
        if written.status not in (200, 201):
            for name, requirement in (
                ("Result Extra Credit", "INTEROP-EXTRA-CREDIT"),
                ("Returned excused state", "INTEROP-EXEMPT"),
            ):
                self.skip(name, requirement, "the result was not created")
            return
        self.look(
            "GetResultsForLineItem",
            "INTEROP-RESULT-MINIMAL",
            self.results,
            "results",
            self.inputs.result_id,
            _present,
            "the result listed under its class and line item",
        )
        extra = self.channel.send("PUT", self.result_path, body=self.result(EXTRA_CREDIT, "fully graded"))
        self.add(answered("PutResult Edit (extra credit)", "INTEROP-EXTRA-CREDIT", extra, (200, 201)))
        self.look(
            "Result Extra Credit",
            "INTEROP-EXTRA-CREDIT",
            self.results,
            "results",
            self.inputs.result_id,
            _extra_credit,
            f"score {EXTRA_CREDIT} (a number) on a line item whose maximum is {MAXIMUM}",
        )
        exempt = self.channel.send("PUT", self.result_path, body=self.result(80, "exempt"))
        self.add(answered("PutResult Exempt", "INTEROP-EXEMPT", exempt, (200, 201)))
        self.look(
            "Returned excused state",
            "INTEROP-EXEMPT",
            self.results,
            "results",
            self.inputs.result_id,
            _exempt,
            "scoreStatus 'exempt'",
        )
        self.delete(
            ("DeleteResult", "Result deleted"),
            self.result_path,
            (self.results, "results", self.inputs.result_id),
            "the result gone from its line item's list",
        )

    def delete(self, names: tuple[str, str], path: str, listed_in: tuple[str, str, str], expected: str) -> None:
        """DELETE the record at ``path``; when the target says it did, look for it in its list."""
        deleted = self.channel.send("DELETE", path)
        self.add(answered(names[0], "INTEROP-DELETE-GONE", deleted, (200, 204)))
        if deleted.status in (200, 204):
            self.look(names[1], "INTEROP-DELETE-GONE", *listed_in, _gone, expected)

    def _big_page(self) -> bool:
        """A page of 10,000 of the class's line items: whether the target served it."""
        exchange = self.channel.send("GET", self.line_items, params={"limit": BIG_PAGE})
        step = answered(f"A page of {BIG_PAGE:,} line items", "INTEROP-LIMIT-10000", exchange, (200,))
        documented = self.dialect.max_limit
        if step.verdict == "fail" and documented is not None and documented < BIG_PAGE:
            # The profile's documents cap the page below Google's: what the target does is worth saying, no more.
            step = replace(
                step, verdict="note", actual=f"{step.actual} (this profile documents at most {documented:,})"
            )
        elif step.verdict == "fail":
            step = replace(step, actual=f"{step.actual}; the later lists ask for {FALLBACK_PAGE:,}")
        self.add(step)
        return exchange.status == 200

    def _unreached(self, why: str, everything: bool = False) -> list[Step]:
        if everything:
            for name, requirement in (
                ("A page of 10,000 line items", "INTEROP-LIMIT-10000"),
                ("GetCategoriesForClass (a form body on the GET)", "INTEROP-GET-IGNORES-BODY"),
                ("PutLineItem Create", "INTEROP-PUT-CREATE-201"),
            ):
                self.skip(name, requirement, why)
        for name, requirement in (
            ("PutLineItem Edit", "INTEROP-PUT-UPDATE-STATUS"),
            ("Assignment Title Limit", "INTEROP-TITLE-WHOLE"),
            ("PutResult Create (no status, no class)", "INTEROP-RESULT-MINIMAL"),
            ("Result Extra Credit", "INTEROP-EXTRA-CREDIT"),
            ("Returned excused state", "INTEROP-EXEMPT"),
            ("DeleteLineItem", "INTEROP-DELETE-GONE"),
        ):
            self.skip(name, requirement, why)
        return self.steps


def _moment(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")  # the notebook's form: milliseconds, Z


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def run(channel: Channel, inputs: Inputs, dialect: Dialect) -> list[Step]:
    """Every step of the grade sync against ``channel``'s target, in the notebook's order; a step that
    needs a record an earlier step did not create is skipped, with why."""
    return _Flow(channel, inputs, dialect).run()
