"""Soft delete and collections: after DELETE a record is no longer active; lists, totalCount,
limit/offset paging, filter, sort/orderBy and fields agree with the model.

Each run works on its own categories, named with a run tag, and every query is narrowed to them: with
``sourcedId~'<tag>' AND status='active'``, or, where a filter is what is judged, ``sourcedId~'<tag>'
AND <the predicate judged>``. Two predicates joined by one connective is the most every reading of the
filter grammar admits (implementations cap the predicates and refuse AND mixed with OR); where a
judged filter leaves ``status`` out, a deleted record of the run may still be listed — whether lists
keep deleted records is an open point (docs/readings.md, deleted-in-lists) — and the model takes it,
provided it says ``tobedeleted``. Titles use lower-case ASCII only, where every collation agrees.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, precondition, rule

from conformance.checks.registry import validates
from conformance.client import Exchange
from conformance.machines.base import ConformanceMachine, record_of, records_of
from conformance.session.suite_session import item_path
from conformance.session.world import server_set_members

TITLES = st.text("abcdefgh", min_size=1, max_size=3)
COMPARISONS = ("=", "!=", "~", ">", ">=", "<", "<=")
# What the invariant tries, one a step, in turn: the connective and the operators the rule draws least
# first, so that even a short run tries each.
PROBES = ("OR", ">", "<=", "@", "=", "!=", "~", ">=", "<")
ENTITY, PLURAL = "category", "categories"


@validates(
    "GB-CATEGORY-PUT-UPSERT", "GB-CATEGORY-DELETE", "GB-CATEGORY-LIST", "GB-SOFT-DELETE",
    "GB-LIST-TOTAL-COUNT", "GB-LIST-PAGING", "GB-LIST-FILTER", "GB-LIST-SORT", "GB-LIST-FIELDS",
)  # fmt: skip
class CollectionMachine(ConformanceMachine):
    @initialize()
    def start(self) -> None:
        """Every run starts from three distinct titles and one deletion, so that order, paging and
        soft delete are judged in every run; the rules then go their own way."""
        self.tag = self.session.world.fresh_id("set") + "-"
        self.model: dict[str, dict[str, Any]] = {}
        self.gone: dict[str, dict[str, Any]] = {}  # deleted records, which a list may still show
        self.count = 0
        self.probes = 0
        for title, weight in (("bb", 20), ("a", 50), ("c", 80), ("ab", 10)):
            self.add(title, weight)
        self.filtered("=", "a")
        self._delete(f"{self.tag}003")

    def _scope(self, judged: str = "") -> str:
        """The run's own records: its active ones, or every one ``judged`` selects (two predicates)."""
        return f"sourcedId~'{self.tag}' AND " + (judged or "status='active'")

    def _list(self, **params: Any) -> tuple[Any, list[dict[str, Any]] | None, Any]:
        exchange = self.send("GET", self.session.collection_path(ENTITY), params=params)
        return exchange, records_of(exchange, PLURAL), self.session.profile.dialect.total_count(exchange)

    @rule(title=TITLES, weight=st.integers(0, 99))
    def add(self, title: str, weight: int) -> None:
        sourced_id = f"{self.tag}{self.count:03d}"
        self.count += 1
        record: dict[str, Any] = {
            "sourcedId": sourced_id,
            "status": "active",
            **server_set_members(self.session.world.dialect),
        }
        record.update(title=title, weight=weight / 100)
        put = self.put(ENTITY, sourced_id, record)
        self.recorder.expect(
            "GB-CATEGORY-PUT-UPSERT",
            put.status in self.session.operation("putCategory").success,
            put,
            title="PUT was not accepted",
            expected=" or ".join(str(s) for s in self.session.operation("putCategory").success),
            actual=f"status {put.status}",
        )
        self.model[sourced_id] = record

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        self._delete(data.draw(st.sampled_from(sorted(self.model)), label="deleted"))

    def _delete(self, sourced_id: str) -> None:
        deleted = self.send("DELETE", item_path(ENTITY, sourced_id))
        self.recorder.expect(
            "GB-CATEGORY-DELETE",
            deleted.status == 204,
            deleted,
            title="DELETE was not answered 204",
            expected="204",
            actual=f"status {deleted.status}",
        )
        self.gone[sourced_id] = self.model.pop(sourced_id)
        got = self.send("GET", item_path(ENTITY, sourced_id))
        status = (record_of(got, ENTITY) or {}).get("status")
        self.recorder.expect(
            "GB-SOFT-DELETE",
            got.status == 404 or (got.status == 200 and status == "tobedeleted"),
            got,
            title="A deleted record still reads as active",
            expected="404, or 200 with status 'tobedeleted'",
            actual=f"{got.status} with status {status!r}",
        )
        exchange, found, _ = self._list(filter=f"status='active' AND sourcedId='{sourced_id}'")
        ids = [str(r.get("sourcedId")) for r in found or []]
        self.recorder.expect(
            "GB-LIST-FILTER",
            all(i == sourced_id for i in ids),
            exchange,
            title=f"filter sourcedId='{sourced_id}' returned other records",
            expected=f"at most {sourced_id!r}",
            actual=f"{ids[:6]}",
        )
        self.recorder.expect(
            "GB-SOFT-DELETE",
            not ids,
            exchange,
            title="A deleted record is still listed as active",
            expected="no active record",
            actual=f"{len(ids)} listed",
        )

    @precondition(lambda self: bool(self.model))
    @invariant()
    def pages_agree(self) -> None:
        """Every step: page through with a limit and order that vary with the model's size."""
        self.page_through(1 + len(self.model) % 3, "desc" if len(self.model) % 2 else "asc")

    @rule(limit=st.integers(1, 4), order=st.sampled_from(["asc", "desc"]))
    def page_through(self, limit: int, order: str) -> None:
        """Every page, in order: total, page sizes, no duplicates, union = model, sorted by title."""
        shown: list[tuple[Exchange, list[str], list[str]]] = []  # each page: the exchange, its sourcedIds, titles
        pages = max(1, math.ceil(len(self.model) / limit))
        for page in range(pages + 1):  # one page past the end must be empty
            exchange, found, total = self._list(
                filter=self._scope(), limit=limit, offset=page * limit, sort="title", orderBy=order
            )
            self.recorder.expect(
                "GB-CATEGORY-LIST",
                exchange.status == 200 and found is not None,
                exchange,
                title="The collection did not answer",
                expected="200 with a categories array",
                actual=f"status {exchange.status}",
            )
            assert found is not None
            self.recorder.expect(
                "GB-LIST-TOTAL-COUNT",
                total == len(self.model),
                exchange,
                title="The collection's count of matching records is wrong",
                expected=f"{self.session.profile.dialect.count_source} {len(self.model)}",
                actual=f"{self.session.profile.dialect.count_source} {total!r}",
            )
            expected_size = max(0, min(limit, len(self.model) - page * limit))
            self.recorder.expect(
                "GB-LIST-PAGING",
                len(found) == expected_size,
                exchange,
                title="A page has the wrong size",
                expected=f"{expected_size} records at offset {page * limit} with limit {limit}",
                actual=f"{len(found)} records",
            )
            shown.append((exchange, [str(r.get("sourcedId")) for r in found], [str(r.get("title")) for r in found]))
        seen = [i for _, ids, _ in shown for i in ids]
        titles = [t for _, _, page in shown for t in page]
        # Each verdict names the first page that shows it wrong, so that a replay compares that page's
        # answer: the last page may read the same with the bug and without it.
        self.recorder.expect(
            "GB-LIST-PAGING",
            sorted(seen) == sorted(self.model),
            _first_showing(shown, lambda ids, _: len(set(ids)) < len(ids) or not set(ids) <= set(self.model)),
            title="The pages do not list every record exactly once",
            expected=f"{sorted(self.model)}",
            actual=f"{sorted(seen)}",
        )
        ordered = titles == sorted(titles, reverse=order == "desc")
        due = sorted((str(r["title"]) for r in self.model.values()), reverse=order == "desc")
        self.recorder.expect(
            "GB-LIST-SORT",
            ordered,
            _first_showing(shown, lambda _, seen: seen != due[: len(seen)]),  # the first page off the model's order
            title="Records are not in the requested order",
            expected=f"titles sorted {order}",
            actual=f"{titles}",
        )

    @precondition(lambda self: bool(self.model))
    @invariant()
    def filtered_by_a_stored_title(self) -> None:
        """Every step, the next probe of the grammar in turn, so that every run draws each of them: an
        operator over the newest record's title (the whole title, where ``>`` and ``>=``, ``<`` and ``<=``
        part; its first letters for the rest), or two records' ids joined by OR or listed for @."""
        probe = PROBES[self.probes % len(PROBES)]
        self.probes += 1
        newest = self.model[max(self.model)]["title"]
        if probe in ("OR", "@"):
            self.filtered_by_ids(probe)
        elif probe in (">", "<="):
            self.filtered(probe, newest)
        else:
            self.filtered(probe, newest[:2])

    @rule(op=st.sampled_from(COMPARISONS), value=TITLES)
    def filtered(self, op: str, value: str) -> None:
        predicate: Callable[[str], bool] = {
            "=": lambda t: t == value,
            "!=": lambda t: t != value,
            "~": lambda t: value in t,
            ">": lambda t: t > value,
            ">=": lambda t: t >= value,
            "<": lambda t: t < value,
            "<=": lambda t: t <= value,
        }[op]
        self._filter_selects(
            self._scope(f"title{op}'{value}'"),
            [i for i, r in self.model.items() if predicate(r["title"])],
            f"title{op}'{value}'",
            may_list=[i for i, r in self.gone.items() if predicate(r["title"])],
        )

    def filtered_by_ids(self, probe: str) -> None:
        """Two active records by sourcedId, joined by OR or listed for @: exactly those two are listed
        (a filter of two predicates, the most every reading of the grammar admits, with no AND to mix)."""
        dialect = self.session.profile.dialect
        if probe == "@" and not dialect.filter_in_list:
            return
        first, last = min(self.model), max(self.model)
        expression = f"sourcedId@'{first},{last}'" if probe == "@" else f"sourcedId='{first}' OR sourcedId='{last}'"
        self._filter_selects(expression, list({first, last}), expression)

    def _filter_selects(self, expression: str, wanted: list[str], shown: str, may_list: Sequence[str] = ()) -> None:
        """The collection filtered by ``expression`` lists every one of ``wanted`` once, nothing else
        but deleted records of ``may_list`` marked tobedeleted, and counts what it lists."""
        exchange, found, total = self._list(filter=expression, limit=100)
        expected = sorted(wanted)
        listed = {str(r.get("sourcedId")): r.get("status") for r in found or []}
        got = sorted(str(r.get("sourcedId")) for r in found or [])
        extra = sorted(set(got) - set(expected))
        deleted_ok = all(i in may_list and listed[i] == "tobedeleted" for i in extra)
        count = self.session.profile.dialect.count_source
        also = f", and perhaps the deleted {sorted(may_list)} with status tobedeleted" if may_list else ""
        self.recorder.expect(
            "GB-LIST-FILTER",
            set(expected) <= set(got) and len(got) == len(set(got)) and deleted_ok and total == len(got),
            exchange,
            title=f"filter {shown} returned the wrong records",
            expected=f"{expected}{also} ({count}: as many as listed)",
            actual=f"{got} ({count} {total!r})",
        )

    @precondition(lambda self: bool(self.model))
    @rule()
    def selected_fields(self) -> None:
        exchange, found, _ = self._list(filter=self._scope(), fields="sourcedId,title", limit=100)
        extra = sorted({k for r in found or [] for k in r} - {"sourcedId", "title"})
        wrong = [
            r.get("sourcedId")
            for r in found or []
            if self.model.get(str(r.get("sourcedId")), {}).get("title") != r.get("title")
        ]
        self.recorder.expect(
            "GB-LIST-FIELDS",
            found is not None and not extra and not wrong,
            exchange,
            title="fields did not limit the members returned",
            expected="records with only sourcedId and title, titles as stored",
            actual=f"extra members {extra}; wrong titles for {wrong}",
        )


def _first_showing(
    pages: list[tuple[Exchange, list[str], list[str]]], wrong: Callable[[list[str], list[str]], bool]
) -> Exchange:
    """The first page after which the pages so far (their sourcedIds, their titles) are ``wrong``; the
    last page when only all of them together are (a record missing from every page)."""
    ids: list[str] = []
    titles: list[str] = []
    for exchange, page_ids, page_titles in pages:
        ids, titles = ids + page_ids, titles + page_titles
        if wrong(ids, titles):
            return exchange
    return pages[-1][0]
