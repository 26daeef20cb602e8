"""Collection queries: limit, offset, sort, orderBy, filter, fields and search (docs/api.md#gradebook-surface).

Filter grammar: ``field op 'value'`` clauses joined by `` AND `` / `` OR `` (AND binds tighter);
ops ``= != ~ > >= < <= @``; whitespace around the operator is optional; no nested fields.
``~`` is a case-insensitive "contains"; ``@`` means "one of" a comma-separated list. A reference
field (``{"sourcedId": ...}``) compares by its sourcedId; numbers compare as numbers when the value
parses as one; anything else compares as text.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from conformance.reference.faults import NONE, Faults
from conformance.reference.imsx_errors import ApiError, bad_request

DEFAULT_LIMIT, MAX_LIMIT = 100, 3000
_CLAUSE = re.compile(r"\s*(?P<field>[^\s=!~<>@']+)\s*(?P<op>!=|>=|<=|=|~|>|<|@)\s*'(?P<value>[^']*)'\s*")
_JOIN = re.compile(r"(AND|OR)(?=\s)")
# Python reads whole numbers of up to 4300 digits; a longer offset is refused, as no shorter one is.
_NUMBER = re.compile(r"[0-9]{1,4000}")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Clause:
    field: str
    op: str
    value: str


@dataclass(frozen=True, slots=True)
class ListQuery:
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    sort: str | None = None
    descending: bool = False
    filter: tuple[tuple[Clause, ...], ...] | None = None  # OR of ANDs
    fields: tuple[str, ...] | None = None
    search: str | None = None

    @property
    def filters_status(self) -> bool:
        return self.filter is not None and any(c.field == "status" for group in self.filter for c in group)


def _whole(params: Mapping[str, str], name: str, default: int, low: int, high: int | None) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not _NUMBER.fullmatch(raw) or int(raw) < low or (high is not None and int(raw) > high):
        bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise bad_request(f"{name} must be a whole number {bounds}, not {raw[:40]!r}.")
    return int(raw)


def parse_filter(text: str, known: frozenset[str]) -> tuple[tuple[Clause, ...], ...]:
    groups: list[list[Clause]] = [[]]
    position = 0
    while True:
        match = _CLAUSE.match(text, position)
        if match is None:
            raise bad_request(
                f"filter is not 'field op ''value''' at character {position}: {text[position : position + 40]!r}"
            )
        field = match["field"]
        if "." in field:
            raise bad_request(f"filter field {field!r}: nested fields are not supported.")
        if field not in known:
            raise bad_request(f"filter field {field!r} is not a field of this collection.")
        groups[-1].append(Clause(field, match["op"], match["value"]))
        position = match.end()
        if position == len(text):
            return tuple(tuple(group) for group in groups)
        join = _JOIN.match(text, position)
        if join is None or match.end() == match.start() or not text[position - 1].isspace():
            raise bad_request(f"filter expects AND or OR at character {position}: {text[position : position + 40]!r}")
        if join[1] == "OR":
            groups.append([])
        position = join.end()


def _bounded(groups: tuple[tuple[Clause, ...], ...], faults: Faults) -> tuple[tuple[Clause, ...], ...]:
    """The filter as parsed; a 400 for more than two predicates, or AND mixed with OR, where the
    server implements the grammar only that far (as implementations commonly limit it)."""
    if faults.on("benign-filter-two-predicates"):
        predicates = sum(len(group) for group in groups)
        if predicates > 2 or (len(groups) > 1 and any(len(group) > 1 for group in groups)):
            raise bad_request("filter may hold at most two predicates, joined by one of AND or OR.")
    return groups


def _names(raw: str, what: str, known: frozenset[str]) -> tuple[str, ...]:
    names = tuple(part.strip() for part in raw.split(","))
    for name in names:
        if not name:
            raise bad_request(f"{what} has an empty field name.")
        if name not in known:
            raise bad_request(f"{what} names {name!r}, which is not a field of this collection.")
    return names


def fields_param(params: Mapping[str, str], known: frozenset[str], faults: Faults = NONE) -> tuple[str, ...] | None:
    raw = params.get("fields")
    if raw is None:
        return None
    if faults.on("benign-unknown-fields-ignored"):
        # The other reading of a name the collection does not have: nothing to select, not an error.
        # With no known name left the parameter selects nothing, and the whole record is shown.
        chosen = tuple(dict.fromkeys(name for name in (part.strip() for part in raw.split(",")) if name in known))
        return chosen or None
    return _names(raw, "fields", known)


def _sort(raw: str | None, known: frozenset[str]) -> str | None:
    if raw is None:
        return None
    _names(raw, "sort", known)
    if "," in raw:
        raise bad_request("sort takes one field name.")
    return raw.strip()


def _applicable(read: Callable[[], T], ignore: bool) -> T | None:
    """What ``read`` makes of a parameter; with ``ignore``, a parameter it cannot apply is as if not given."""
    try:
        return read()
    except ApiError:
        if ignore:
            return None
        raise


def parse(
    params: Mapping[str, str], known: frozenset[str], faults: Faults = NONE, max_limit: int | None = MAX_LIMIT
) -> ListQuery:
    """Read the collection parameters; anything unusable is a 400 naming the parameter."""
    # The other reading of a sort or filter the server cannot apply (a field the records lack, several
    # sort fields, an expression it cannot parse): the collection answered as if it had not been asked for.
    ignore = faults.on("benign-query-ignored")
    sort = _applicable(lambda: _sort(params.get("sort"), known), ignore)
    order = params.get("orderBy", "asc")
    if order not in ("asc", "desc"):
        raise bad_request(f"orderBy must be 'asc' or 'desc', not {order[:40]!r}.")
    raw_filter = params.get("filter")
    # The other reading of a limit above the documented maximum: a page of at most that many records.
    clamp = max_limit is not None and faults.on("benign-limit-clamped")
    limit = _whole(params, "limit", DEFAULT_LIMIT, 1, None if clamp else max_limit)
    return ListQuery(
        limit=min(limit, max_limit) if max_limit is not None else limit,
        # No document bounds offset: one past every record is an empty page, not an error.
        offset=_whole(params, "offset", 0, 0, None),
        sort=sort,
        descending=order == "desc",
        filter=_applicable(lambda: _bounded(parse_filter(raw_filter, known), faults), ignore)
        if raw_filter is not None
        else None,
        fields=fields_param(params, known, faults),
        search=params.get("search"),
    )


def _scalar(value: Any) -> Any:
    if isinstance(value, dict):
        return value.get("sourcedId")
    return value


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)


def _number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _compare(value: Any, op: str, literal: str) -> bool:
    if op == "~":
        return literal.casefold() in _text(value).casefold()
    if op == "@":
        return any(_compare(value, "=", item.strip()) for item in literal.split(","))
    left: Any
    right: Any
    numeric = _number(literal) if isinstance(value, int | float) and not isinstance(value, bool) else None
    left, right = (float(value), numeric) if numeric is not None else (_text(value), literal)
    if op == "=":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if op == ">":
        return bool(left > right)
    if op == ">=":
        return bool(left >= right)
    if op == "<":
        return bool(left < right)
    return bool(left <= right)


def _matches(record: Mapping[str, Any], clause: Clause) -> bool:
    value = _scalar(record.get(clause.field))
    if value is None:  # a missing or null field only satisfies "!="
        return clause.op == "!="
    return _compare(value, clause.op, clause.value)


def _sort_key(value: Any) -> tuple[int, Any]:
    value = _scalar(value)
    if value is None:
        return (0, "")
    if isinstance(value, int | float):
        return (1, float(value))
    if isinstance(value, str):
        return (2, value)
    return (3, _text(value))


def _found(record: Mapping[str, Any], needle: str) -> bool:
    return any(isinstance(v, str) and needle in v.casefold() for v in record.values())


def _misread(groups: tuple[tuple[Clause, ...], ...], faults: Faults) -> tuple[tuple[Clause, ...], ...]:
    """The filter as a server with a misreading of the grammar evaluates it."""
    if faults.on("filter-or-as-and"):
        groups = (tuple(clause for group in groups for clause in group),)
    swapped = {}
    if faults.on("filter-gt-as-gte"):
        swapped[">"] = ">="
    if faults.on("filter-le-as-lt"):
        swapped["<="] = "<"
    first_only = faults.on("filter-in-first-only")
    return tuple(
        tuple(
            Clause(c.field, swapped.get(c.op, c.op), c.value.split(",")[0] if first_only and c.op == "@" else c.value)
            for c in group
        )
        for group in groups
    )


def run(records: Iterable[dict[str, Any]], query: ListQuery, faults: Faults) -> tuple[list[dict[str, Any]], int]:
    """Filter, search, sort and page ``records``; returns the page and the total before paging."""
    rows = list(records)
    if query.filter is not None and not faults.on("filter-ignored"):
        groups = _misread(query.filter, faults)
        rows = [r for r in rows if any(all(_matches(r, c) for c in group) for group in groups)]
    if query.search:
        needle = query.search.casefold()
        rows = [r for r in rows if _found(r, needle)]
    descending = query.descending and not faults.on("orderby-ignored")
    rows.sort(key=lambda r: _sort_key(r.get("sourcedId")), reverse=descending and query.sort is None)
    if query.sort is not None:
        field = query.sort
        # Stable, also with reverse=True: ties keep the sourcedId order of the first sort.
        rows.sort(key=lambda r: _sort_key(r.get(field)), reverse=descending)
    offset = 0 if faults.on("offset-ignored") else query.offset
    size = query.limit + 1 if faults.on("limit-off-by-one") else query.limit
    return rows[offset : offset + size], len(rows)


def page_fields(total: int, query: ListQuery) -> dict[str, int]:
    return {
        "totalCount": total,
        "pageCount": math.ceil(total / query.limit),
        "pageNumber": query.offset // query.limit + 1,
        "offset": query.offset,
        "limit": query.limit,
    }


def visible(records: Sequence[dict[str, Any]], query: ListQuery, faults: Faults) -> list[dict[str, Any]]:
    """Soft-deleted records are left out of lists unless the filter asks about status."""
    if query.filters_status or faults.on("benign-deleted-in-lists"):
        return list(records)
    return [r for r in records if r.get("status") != "tobedeleted"]
