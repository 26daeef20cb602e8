"""Class-, school-, line-item- and student-scoped routes: which parents must exist, which records belong.

An operation's ``scope`` (operations.py) names, in path order, the kind of record each path
parameter refers to. Line items are gradebook records (they must exist and not be soft-deleted);
every other kind is a rostering record (store.ROSTER), seeded from the fixtures or provisioned.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from conformance.contract.operations import Operation
from conformance.reference.store import TOBEDELETED, Store

Predicate = Callable[[dict[str, Any]], bool]


def ref(record: Mapping[str, Any], field: str) -> str | None:
    """The sourcedId a reference field points at, or None."""
    value = record.get(field)
    if isinstance(value, dict):
        target = value.get("sourcedId")
        return target if isinstance(target, str) else None
    return None


# How a 404 names a missing parent: TimeBack's documented messages follow this pattern
# ("Class or line item not found."), and the official binding, which documents none, reuses it.
_TITLE = {
    "class": "class",
    "school": "school",
    "student": "student",
    "lineItem": "line item",
    "academicSession": "academic session",
}


def missing_message(scope: tuple[str, ...]) -> str:
    text = " or ".join(_TITLE.get(kind, kind) for kind in scope) or "record"
    return f"{text[0].upper()}{text[1:]} not found."


def values(op: Operation, path_params: Mapping[str, str]) -> dict[str, str]:
    """Scope kind → sourcedId from the path (scope kinds follow the path parameters' order)."""
    return {kind: path_params[name] for kind, name in zip(op.scope, op.path_params, strict=True)}


def exists(store: Store, kind: str, sourced_id: str) -> bool:
    if kind == "lineItem":
        record = store.get("lineItem", sourced_id)
        return record is not None and record.get("status") != TOBEDELETED
    return store.exists(kind, sourced_id)


def all_exist(store: Store, scope: Mapping[str, str]) -> bool:
    return all(exists(store, kind, sourced_id) for kind, sourced_id in scope.items())


def result_in_class(store: Store, record: Mapping[str, Any], class_id: str) -> bool:
    """A result belongs to its own class, or, when it names none, to its line item's class."""
    own = ref(record, "class")
    if own is not None:
        return own == class_id
    line_item_id = ref(record, "lineItem")
    line_item = store.get("lineItem", line_item_id) if line_item_id is not None else None
    return line_item is not None and ref(line_item, "class") == class_id


def _class_categories(store: Store, class_id: str) -> set[str]:
    return {
        category
        for item in store.all("lineItem")
        if item.get("status") != TOBEDELETED
        and ref(item, "class") == class_id
        and (category := ref(item, "category")) is not None
    }


def _membership(store: Store, entity: str, kind: str, value: str) -> Predicate:
    if entity == "result" and kind == "class":
        return lambda r: result_in_class(store, r, value)
    if entity == "category" and kind == "class":
        wanted = _class_categories(store, value)
        return lambda r: r.get("sourcedId") in wanted
    if entity == "scoreScale" and kind == "school":
        classes = store.classes_of_school(value)
        return lambda r: ref(r, "class") in classes
    # Otherwise the record names its parent directly: lineItem.class, lineItem.school,
    # result.lineItem, result.student, scoreScale.class.
    return lambda r: ref(r, kind) == value


def member(store: Store, entity: str, scope: Mapping[str, str]) -> Predicate:
    """The records of ``entity`` that belong to every parent in ``scope``."""
    tests = [_membership(store, entity, kind, value) for kind, value in scope.items()]
    return lambda record: all(test(record) for test in tests)
