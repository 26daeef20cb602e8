"""The operation table: every operation of API.md the suite covers, as data, per profile.

One row per (method, path). The OpenAPI document, the reference server's routing and the
requirements catalogue all read this table, so an operation is described exactly once.

The official 1EdTech binding (``profiles.ONEEDTECH``) has the same gradebook resources with
fewer operations — no single-record POST, no PATCH, no PowerPath — and different answers: a PUT
is 201 with no body, collections are documented without the trailing slash, and no 404 message
is documented. Operation ids are the suite's names, the same in both profiles.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from conformance import profiles

Service = Literal["gradebook", "powerpath"]
GRADEBOOK = "/ims/oneroster/gradebook/v1p2"
POWERPATH = "/powerpath"

SOURCE_ONEROSTER = "reference/timeback-oneroster-openapi.yaml"
SOURCE_POWERPATH = "reference/timeback-powerpath-openapi.json"
SEED_ASSESSMENT_RESULT_PUT = "seeds/000_d09e5bbf02c0d353.txt"
SEED_LINEITEM_RESULTS_POST = "seeds/001_960a73b78fda8c07.txt"
SEED_RESULT_PUT = "seeds/002_0a84947811081404.txt"
SEED_LINEITEM_PUT = "seeds/003_42de73f7dd3cb7a3.txt"
SEED_IMPORT_RESULTS = "seeds/004_ebac228a1807b255.txt"
SOURCE_1EDTECH = "reference/1edtech-oneroster-1p2-gradebook-openapi.yaml"

COLLECTION_QUERY = ("limit", "offset", "sort", "orderBy", "filter", "fields", "search")
COLLECTION_QUERY_1EDTECH = ("limit", "offset", "sort", "orderBy", "filter", "fields")  # no free-text search


@dataclass(frozen=True, slots=True)
class Entity:
    """One of the six gradebook resources; they all follow the same pattern (API.md)."""

    singular: str
    plural: str
    title: str
    not_found: str | None  # the documented 404 message for GET/DELETE by id, when there is one
    patch: bool = False

    @property
    def collection_path(self) -> str:
        # TimeBack documents collections with a trailing slash; servers must answer both.
        return f"{GRADEBOOK}/{self.plural}/"

    @property
    def item_path(self) -> str:
        return f"{GRADEBOOK}/{self.plural}/{{sourcedId}}"


ENTITIES: tuple[Entity, ...] = (
    Entity("lineItem", "lineItems", "Line item", "Line item not found."),
    Entity("result", "results", "Result", "Result not found."),
    Entity(
        "assessmentLineItem",
        "assessmentLineItems",
        "Assessment line item",
        "Assessment line item not found.",
        patch=True,
    ),
    Entity("assessmentResult", "assessmentResults", "Assessment result", "Assessment result not found.", patch=True),
    Entity("category", "categories", "Category", "Category not found."),
    Entity("scoreScale", "scoreScales", "Score scale", None),
)
ENTITY = {entity.singular: entity for entity in ENTITIES}


@dataclass(frozen=True, slots=True)
class Operation:
    """One documented operation.

    ``request`` and ``response`` are schema kinds (see ``contract.schemas``); the reading is chosen
    by whoever uses the table: the suite sends the strict reading, a server must accept the lenient.
    """

    id: str
    method: str
    path: str
    service: Service
    resource: str
    summary: str
    success: tuple[int, ...]
    source: str
    request: str | None = None
    response: str | None = None
    query: tuple[str, ...] = ()
    required_query: tuple[str, ...] = ()
    not_found: str | None = None  # documented 404 message
    entity: str | None = None  # the entity whose records the operation reads or writes
    scope: tuple[str, ...] = ()  # path parameters that name existing parent records, in order
    tags: tuple[str, ...] = field(default=())

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(part[1:-1] for part in self.path.split("/") if part.startswith("{"))

    @property
    def writes(self) -> bool:
        return self.method != "GET"

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _entity_operations(e: Entity) -> list[Operation]:
    s, p = e.singular, e.plural
    upper = s[0].upper() + s[1:]
    plural_upper = p[0].upper() + p[1:]
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
            e.collection_path,
            f"List {p}",
            (200,),
            response=f"{s}.collection",
            query=COLLECTION_QUERY,
        ),
        op(
            f"create{upper}",
            "POST",
            e.collection_path,
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
            (201, 200),
            request=f"{s}.putRequest",
            response=f"{s}.single",
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


def _oneedtech_operations() -> list[Operation]:
    """The official binding: the TimeBack rows it shares, re-read by its own document."""
    kept: list[Operation] = []
    for op in _timeback_gradebook_operations():
        if op.method == "PATCH" or (op.method == "POST" and not op.scope) or op.id in _NOT_IN_1EDTECH:
            continue  # no PATCH and no single-record POST in the official binding
        changes: dict[str, Any] = {"source": SOURCE_1EDTECH, "not_found": None}
        if op.method == "PUT":
            changes.update(success=(201,), response=None)  # "201 without body"
        if op.method == "GET" and op.path.endswith("/"):
            changes["path"] = op.path.rstrip("/")
        if op.query == COLLECTION_QUERY:
            changes["query"] = COLLECTION_QUERY_1EDTECH
        kept.append(replace(op, **changes))
    return kept


def _timeback_gradebook_operations() -> list[Operation]:
    return [op for e in ENTITIES for op in _entity_operations(e)] + _scoped_operations()


_TABLES: dict[str, tuple[Operation, ...]] = {
    profiles.TIMEBACK: tuple(_timeback_gradebook_operations() + _powerpath_operations()),
    profiles.ONEEDTECH: tuple(_oneedtech_operations()),
}
_BY_ID: dict[str, dict[str, Operation]] = {name: {op.id: op for op in ops} for name, ops in _TABLES.items()}
assert all(len(_BY_ID[name]) == len(ops) for name, ops in _TABLES.items()), "operation ids must be unique"


# The TimeBack table, for what concerns that dialect only: its seeds, its published specs, PowerPath.
OPERATIONS = _TABLES[profiles.TIMEBACK]
BY_ID = _BY_ID[profiles.TIMEBACK]


def operations(profile: str | None = None) -> tuple[Operation, ...]:
    """Every operation of a profile (None: the active one)."""
    return _TABLES[profiles.resolve(profile)]


def by_id(profile: str | None = None) -> dict[str, Operation]:
    return _BY_ID[profiles.resolve(profile)]


def has_patch(entity: Entity, profile: str | None = None) -> bool:
    return entity.patch and f"patch{entity.singular[0].upper()}{entity.singular[1:]}" in by_id(profile)
