"""The operation table: every operation of docs/api.md the suite covers, as data, per profile.

One row per (method, path). The OpenAPI document, the reference server's routing and the
requirements catalogue all read this table, so an operation is described exactly once.

A table is built by one of ``TABLES``' builders, named by the profile (``Profile.operations``),
for the profile's dialect: what the dialect decides — a PUT's success statuses and whether it
answers with the record, the collections' trailing slash — comes from the dialect, so a new
profile can reuse a builder. The official 1EdTech binding's builder keeps the gradebook resources
with fewer operations — no single-record POST, no PATCH, no PowerPath — its own source and no
documented 404 message. Operation ids are the suite's names, the same in every profile.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from conformance import profiles
from conformance.contract.resources import (
    COLLECTION_QUERY,
    COLLECTION_QUERY_1EDTECH,
    ENTITIES,
    ENTITY,
    GRADEBOOK,
    POWERPATH,
    SEED_ASSESSMENT_RESULT_PUT,
    SEED_IMPORT_RESULTS,
    SEED_LINEITEM_PUT,
    SEED_LINEITEM_RESULTS_POST,
    SEED_RESULT_PUT,
    SOURCE_1EDTECH,
    SOURCE_ONEROSTER,
    SOURCE_POWERPATH,
    Entity,
    Operation,
    Service,
)

# The resources' names are re-exported: every table reader imports them from here.
__all__ = [
    "BY_ID",
    "COLLECTION_QUERY",
    "COLLECTION_QUERY_1EDTECH",
    "ENTITIES",
    "ENTITY",
    "GRADEBOOK",
    "OPERATIONS",
    "POWERPATH",
    "SEED_ASSESSMENT_RESULT_PUT",
    "SEED_IMPORT_RESULTS",
    "SEED_LINEITEM_PUT",
    "SEED_LINEITEM_RESULTS_POST",
    "SEED_RESULT_PUT",
    "SOURCE_1EDTECH",
    "SOURCE_ONEROSTER",
    "SOURCE_POWERPATH",
    "TABLES",
    "Entity",
    "Operation",
    "Service",
    "by_id",
    "has_patch",
    "operations",
]

if TYPE_CHECKING:
    from conformance.dialect import Dialect


def operation_id(verb: str, name: str) -> str:
    """The suite's id for an operation: ``operation_id("put", "lineItem")`` → ``putLineItem``."""
    return verb + name[:1].upper() + name[1:]


def _entity_operations(e: Entity, dialect: Dialect) -> list[Operation]:
    s, p = e.singular, e.plural
    upper, plural_upper = operation_id("", s), operation_id("", p)
    put_source = {
        "result": SEED_RESULT_PUT,
        "lineItem": SEED_LINEITEM_PUT,
        "assessmentResult": SEED_ASSESSMENT_RESULT_PUT,
    }

    def op(op_id: str, method: str, path: str, summary: str, success: tuple[int, ...], **kw: Any) -> Operation:
        source = kw.pop("source", SOURCE_ONEROSTER)
        return Operation(op_id, method, path, "gradebook", p, summary, success, source, entity=s, **kw)

    ops = [
        op(
            f"getAll{plural_upper}",
            "GET",
            e.collection_route(dialect.collection_slash),
            f"List {p}",
            (200,),
            response=f"{s}.collection",
            query=COLLECTION_QUERY,
        ),
        op(
            f"create{upper}",
            "POST",
            e.collection_route(dialect.collection_slash),
            f"Create one {s}",
            (201,),
            request=f"{s}.createRequest",
            response="sourcedIdPairs",
        ),
        op(
            f"get{upper}",
            "GET",
            e.item_path,
            f"Read one {s}",
            (200,),
            response=f"{s}.single",
            query=("fields",),
            not_found=e.not_found,
        ),
        op(
            f"put{upper}",
            "PUT",
            e.item_path,
            f"Create or update one {s} (upsert)",
            dialect.put_success,
            request=f"{s}.putRequest",
            response=f"{s}.single" if dialect.put_answers_record else None,
            source=put_source.get(s, SOURCE_ONEROSTER),
        ),
        op(f"delete{upper}", "DELETE", e.item_path, f"Soft-delete one {s}", (204,), not_found=e.not_found),
    ]
    if e.patch:
        ops.append(
            op(
                f"patch{upper}",
                "PATCH",
                e.item_path,
                f"Partially update one {s}; metadata is merged",
                (200,),
                request=f"{s}.patchRequest",
                response=f"{s}.single",
                not_found=e.not_found,
            )
        )
    return ops


def _scoped_operations() -> list[Operation]:
    g, src = GRADEBOOK, SOURCE_ONEROSTER

    def coll(op_id: str, path: str, entity: str, not_found: str, scope: tuple[str, ...]) -> Operation:
        plural = ENTITY[entity].plural
        return Operation(
            op_id,
            "GET",
            path,
            "gradebook",
            plural,
            f"List {plural} in scope",
            (200,),
            src,
            response=f"{entity}.collection",
            query=COLLECTION_QUERY,
            not_found=not_found,
            entity=entity,
            scope=scope,
        )

    return [
        Operation(
            "createResultForLineItem",
            "POST",
            f"{g}/lineItems/{{sourcedId}}/results",
            "gradebook",
            "results",
            "Post results for one line item",
            (201,),
            SEED_LINEITEM_RESULTS_POST,
            request="result.bulkRequest",
            response="sourcedIdPairs",
            not_found="Line item not found.",
            entity="result",
            scope=("lineItem",),
        ),
        Operation(
            "postLineItemsForClass",
            "POST",
            f"{g}/classes/{{classSourcedId}}/lineItems",
            "gradebook",
            "lineItems",
            "Post line items for one class",
            (201,),
            src,
            request="lineItem.bulkRequest",
            response="sourcedIdPairs",
            not_found="Class not found.",
            entity="lineItem",
            scope=("class",),
        ),
        Operation(
            "postResultsForAcademicSessionForClass",
            "POST",
            f"{g}/classes/{{classSourcedId}}/academicSessions/{{academicSessionSourcedId}}/results",
            "gradebook",
            "results",
            "Post results for a class in an academic session",
            (201,),
            src,
            request="result.bulkRequest",
            response="sourcedIdPairs",
            not_found="Class or academic session not found.",
            entity="result",
            scope=("class", "academicSession"),
        ),
        Operation(
            "createLineItemsForSchool",
            "POST",
            f"{g}/schools/{{sourcedId}}/lineItems",
            "gradebook",
            "lineItems",
            "Post line items for one school",
            (201,),
            src,
            request="lineItem.bulkRequest",
            response="sourcedIdPairs",
            not_found="School not found.",
            entity="lineItem",
            scope=("school",),
        ),
        coll(
            "getCategoriesForClass", f"{g}/classes/{{sourcedId}}/categories", "category", "Class not found.", ("class",)
        ),
        coll(
            "getLineItemsForClass", f"{g}/classes/{{sourcedId}}/lineItems", "lineItem", "Class not found.", ("class",)
        ),
        coll("getResultsForClass", f"{g}/classes/{{sourcedId}}/results", "result", "Class not found.", ("class",)),
        coll(
            "getScoreScalesForClass",
            f"{g}/classes/{{sourcedId}}/scoreScales",
            "scoreScale",
            "Class not found.",
            ("class",),
        ),
        coll(
            "getResultsForLineItemForClass",
            f"{g}/classes/{{classSourcedId}}/lineItems/{{lineItemSourcedId}}/results",
            "result",
            "Class or line item not found.",
            ("class", "lineItem"),
        ),
        coll(
            "getResultsForStudentForClass",
            f"{g}/classes/{{classSourcedId}}/students/{{studentSourcedId}}/results",
            "result",
            "Class or student not found.",
            ("class", "student"),
        ),
        coll(
            "getLineItemsForSchool",
            f"{g}/schools/{{sourcedId}}/lineItems",
            "lineItem",
            "School not found.",
            ("school",),
        ),
        coll(
            "getScoreScalesForSchool",
            f"{g}/schools/{{sourcedId}}/scoreScales",
            "scoreScale",
            "School not found.",
            ("school",),
        ),
    ]


def _powerpath_operations() -> list[Operation]:
    return [
        Operation(
            "makeExternalTestAssignment",
            "POST",
            f"{POWERPATH}/makeExternalTestAssignment",
            "powerpath",
            "externalTests",
            "Assign an external test to a student",
            (200,),
            SOURCE_POWERPATH,
            request="powerpath.makeAssignmentRequest",
            response="powerpath.makeAssignmentResponse",
        ),
        Operation(
            "importExternalTestAssignmentResults",
            "GET",
            f"{POWERPATH}/importExternalTestAssignmentResults",
            "powerpath",
            "externalTests",
            "Import an external test's results; finalize when the tool is done",
            (200,),
            SEED_IMPORT_RESULTS,
            response="powerpath.importResultsResponse",
            query=("student", "lesson", "applicationName"),
            required_query=("student", "lesson"),
        ),
        Operation(
            "getAssessmentProgress",
            "GET",
            f"{POWERPATH}/getAssessmentProgress",
            "powerpath",
            "externalTests",
            "Read a student's progress in a lesson",
            (200,),
            SOURCE_POWERPATH,
            response="powerpath.assessmentProgressResponse",
            query=("student", "lesson", "attempt"),
            required_query=("student", "lesson"),
        ),
    ]


_NOT_IN_1EDTECH = {"getLineItemsForSchool"}  # TimeBack's addition: the official spec lists a school's score scales only


def _gradebook_operations(dialect: Dialect) -> list[Operation]:
    return [op for e in ENTITIES for op in _entity_operations(e, dialect)] + _scoped_operations()


def _timeback_table(dialect: Dialect) -> list[Operation]:
    """TimeBack's published operations: the gradebook's and PowerPath's."""
    return _gradebook_operations(dialect) + _powerpath_operations()


def _oneedtech_table(dialect: Dialect) -> list[Operation]:
    """The official binding: the gradebook rows it shares with TimeBack, re-read by its own document."""
    kept: list[Operation] = []
    for op in _gradebook_operations(dialect):
        if op.method == "PATCH" or (op.method == "POST" and not op.scope) or op.id in _NOT_IN_1EDTECH:
            continue  # no PATCH and no single-record POST in the official binding
        changes: dict[str, Any] = {"source": SOURCE_1EDTECH, "not_found": None}
        if op.query == COLLECTION_QUERY:
            changes["query"] = COLLECTION_QUERY_1EDTECH
        kept.append(replace(op, **changes))
    return kept


# Operation-table builders, by the name a profile gives (``Profile.operations``).
TABLES: dict[str, Callable[[Dialect], list[Operation]]] = {"timeback": _timeback_table, "1edtech": _oneedtech_table}


@functools.cache
def _table(profile: profiles.Profile) -> tuple[tuple[Operation, ...], dict[str, Operation]]:
    ops = tuple(TABLES[profile.operations](profile.dialect))
    by = {op.id: op for op in ops}
    assert len(by) == len(ops), f"operation ids must be unique ({profile.name})"
    return ops, by


def operations(profile: str) -> tuple[Operation, ...]:
    """Every operation of a profile."""
    return _table(profiles.get(profile))[0]


def by_id(profile: str) -> dict[str, Operation]:
    return _table(profiles.get(profile))[1]


# The TimeBack table, for what concerns that dialect only: its seeds, its published specs, PowerPath.
OPERATIONS = operations(profiles.TIMEBACK)
BY_ID = by_id(profiles.TIMEBACK)


def has_patch(entity: Entity, profile: str) -> bool:
    return entity.patch and operation_id("patch", entity.singular) in by_id(profile)
