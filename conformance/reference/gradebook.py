"""The gradebook handlers: one per kind of operation in the operation table, shared by all six entities
and by both profiles (the few answers whose shape differs come from the server's dialect).

Check order in every handler: query parameters (400), then the body's transport (400), then the
existence of what the path names (404), then the body's schema (422).
"""

from __future__ import annotations

import functools
import math
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from conformance.contract import schemas
from conformance.contract.operations import ENTITY, Entity, Operation
from conformance.contract.schemas import Problem
from conformance.reference import query, records, scopes
from conformance.reference.body import check_query, read_json
from conformance.reference.context import ServerContext
from conformance.reference.imsx_errors import ApiError, bad_request, invalid_body
from conformance.reference.store import TOBEDELETED


@functools.cache
def known_fields(entity: str, profile: str | None = None) -> frozenset[str]:
    """The top-level fields a query may sort, filter or select on: the record schema's properties."""
    return frozenset(schemas.resolve(f"{entity}.record", profile=profile)["properties"])


BATCH = 3  # under bulk-stores-first-batch, what one write of a bulk POST stores
TITLE_COLUMN = 100  # under title-cut-at-100, the most of a title that is kept


def not_found(ctx: ServerContext, entity: Entity) -> ApiError:
    # Score scales have no documented message; the same pattern is used for them.
    return ApiError(404, ctx.dialect.not_found(entity.not_found or f"{entity.title} not found."))


def scope_not_found(ctx: ServerContext, op: Operation) -> ApiError:
    return ApiError(404, ctx.dialect.not_found(op.not_found or scopes.missing_message(op.scope)))


def _check_body(ctx: ServerContext, op: Operation, body: Any, request: Request, path_id: str | None = None) -> None:
    """422 for a body that fails its schema's base reading, with every failing pointer; first the
    answers to what the documents leave open (``_readings``), which may refuse more or change ``body``."""
    kind = op.request
    assert kind is not None, "write operations name their request schema"
    profile = ctx.dialect.profile
    entity = ENTITY[op.entity or ""]
    found = _readings(ctx, entity, kind, body, request, path_id) + _exempt_refused(ctx, entity, body)
    found += schemas.problems(kind, body, records.READING, profile)
    if ctx.faults.on("benign-unanchored-patterns"):
        # The binding's extension pattern read literally, as JSON Schema reads a pattern: anywhere in the value.
        loose = records.unanchored_matches(kind, body, profile)
        found = [problem for problem in found if problem.pointer not in loose]
    if not found:
        return
    found.sort(key=lambda p: (p.pointer, p.message))
    if (ctx.faults.on("server-error-on-bad-enum") or ctx.faults.on("bad-enum-502")) and any(
        p.pointer.endswith("/scoreStatus") and p.message != "is required but missing" for p in found
    ):
        if ctx.faults.on("bad-enum-502"):  # the crash, as the gateway in front of the handler reports it
            raise ApiError(502, "Bad gateway: the upstream handler failed.")
        raise ApiError(500, "Internal server error.")
    if not ctx.faults.on("accept-invalid-body"):
        raise invalid_body(found)


def _readings(
    ctx: ServerContext, entity: Entity, kind: str, body: Any, request: Request, path_id: str | None
) -> list[Problem]:
    """Refuse or rewrite, in place, what a write body sends where the documents leave a choice
    (docs/readings.md): the base reading answers each question one way, a benign variant the other."""
    profile = ctx.dialect.profile
    required = records.required_members(entity.singular, kind, profile)
    references = records.reference_types(entity.singular, profile)
    found: list[Problem] = []
    for pointer, record in records.written(body, entity.singular, entity.plural):
        if ctx.faults.on("benign-unknown-members-refused"):  # by default stored and sent back
            found += records.undefined_members(pointer, record, known_fields(entity.singular, profile))
        if ctx.faults.on("benign-value-limits"):  # a store whose columns have a size
            found += records.over_limits(pointer, record)
        if ctx.faults.on("benign-null-metadata-rejected") and "metadata" in record and record["metadata"] is None:
            found.append(Problem(f"{pointer}/metadata", "is null; metadata must be an object"))
        sent_id = record.get("sourcedId")
        differs = path_id is not None and isinstance(sent_id, str) and sent_id != path_id
        if differs and ctx.faults.on("benign-body-id-mismatch-refused"):  # by default the path's sourcedId wins
            found.append(Problem(f"{pointer}/sourcedId", f"differs from the path's sourcedId {path_id!r}"))
        if ctx.faults.on("benign-null-as-absent"):
            # At any depth; a member the schema requires is then missing, and refused as such.
            records.drop_nulls(record)
        # Real clients (Google Classroom's grade sync, for one) leave out what the server manages;
        # the variant holds them to what the profile's schema requires.
        if not ctx.faults.on("benign-server-members-required"):
            _complete(ctx, record, required, references, request)
        moment = records.date_only(record.get("scoreDate"))
        if moment is not None and ctx.faults.on("benign-date-only-accepted"):
            record["scoreDate"] = moment  # stored as a date-time, so every answer keeps the documented type
        if "scoreDate" in record and not ctx.faults.on("benign-score-date-time-refused"):
            record["scoreDate"] = ctx.dialect.written_score_date(record["scoreDate"])
        found += ctx.dialect.reference_problems(pointer, record, tuple(references))
    if ctx.faults.on("benign-empty-strings-rejected"):
        found += [
            Problem(at, "is empty, which counts as missing") for at in records.empty_required(kind, body, profile)
        ]
    if ctx.faults.on("benign-numeric-strings-coerced"):
        for path, number in records.numbers_in_strings(kind, body, profile):
            records.set_at(body, path, number)
    return found


def _exempt_refused(ctx: ServerContext, entity: Entity, body: Any) -> list[Problem]:
    """The results ``body`` writes as exempt, where the server keeps no such score status."""
    if entity.singular != "result" or not ctx.faults.on("exempt-refused"):
        return []
    return [
        Problem(f"{pointer}/scoreStatus", "exempt is not a score status this server keeps")
        for pointer, record in records.written(body, entity.singular, entity.plural)
        if record.get("scoreStatus") == "exempt"
    ]


def _complete(
    ctx: ServerContext, record: dict[str, Any], required: frozenset[str], references: dict[str, str], request: Request
) -> None:
    """Fill in what the server sets or can derive, where a write left it out: status (active) and
    dateLastModified (replaced on storing anyway), and a reference's missing href and type. What no
    reading lets a client leave out (a title, the line item of a result) stays missing, and refused."""
    if "status" in required:
        record.setdefault("status", records.ACTIVE)
    if "dateLastModified" in required:
        record.setdefault("dateLastModified", ctx.clock.now())
    for member, kind in references.items():
        sent = record.get(member)
        if isinstance(sent, dict) and isinstance(sent.get("sourcedId"), str):
            record[member] = ctx.dialect.completed_reference(member, kind, sent, request)


def _prepare(
    ctx: ServerContext, entity: Entity, record: dict[str, Any], sourced_id: str, previous: dict[str, Any] | None
) -> dict[str, Any]:
    """The record to store, as ``records.prepare`` makes it, and as a store narrower than the documents
    would keep it."""
    out = records.prepare(record, sourced_id, previous, ctx.faults, ctx.clock)
    title = out.get("title")
    titled = entity.singular in ("lineItem", "assessmentLineItem") and isinstance(title, str)
    if titled and ctx.faults.on("title-cut-at-100"):  # a VARCHAR(100) column
        out["title"] = str(title)[:TITLE_COLUMN]
    if entity.singular == "result" and ctx.faults.on("score-clamped-to-max"):  # a grade book without extra credit
        _clamp_score(ctx, out)
    return out


def _clamp_score(ctx: ServerContext, result: dict[str, Any]) -> None:
    """Bring a result's score down to its line item's resultValueMax, where it is above it."""
    line_item_id = scopes.ref(result, "lineItem")
    line_item = ctx.store.get("lineItem", line_item_id) if line_item_id is not None else None
    maximum = (line_item or {}).get("resultValueMax")
    if _number(result.get("score")) > _number(maximum):
        result["score"] = maximum


def _number(value: Any) -> float:
    """A JSON number as a float; NaN for anything else, which compares false with everything."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else math.nan


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _one(body: Any, key: str) -> dict[str, Any]:
    value = body.get(key) if isinstance(body, dict) else None
    return value if isinstance(value, dict) else {}


def _many(body: Any, key: str) -> list[dict[str, Any]]:
    value = body.get(key) if isinstance(body, dict) else None
    return [item if isinstance(item, dict) else {} for item in value] if isinstance(value, list) else []


def _supplied(record: dict[str, Any]) -> str | None:
    value = record.get("sourcedId")
    return value if isinstance(value, str) and value else None


def _create(ctx: ServerContext, entity: Entity, items: list[dict[str, Any]], bulk: bool) -> list[dict[str, str]]:
    """Store POSTed records (all or none) and return their sourcedIdPairs. A supplied sourcedId is
    kept; one that is already stored, or repeated in the same body, is a 422."""
    # The official binding's other reading: a supplied sourcedId is the client's temporary name.
    allocate_all = ctx.faults.on("benign-server-allocated-ids")
    # TimeBack's other reading of a supplied sourcedId that is taken: the server names the record itself.
    reallocate = ctx.faults.on("benign-post-duplicate-allocates")
    seen: set[str] = set()
    kept: list[str | None] = []  # per item, the supplied sourcedId the record is stored under
    conflicts = []
    for index, item in enumerate(items):
        supplied = None if allocate_all else _supplied(item)
        taken = supplied is not None and (supplied in seen or ctx.store.get(entity.singular, supplied) is not None)
        if taken and not reallocate:
            where = f"/{entity.plural}/{index}/sourcedId" if bulk else f"/{entity.singular}/sourcedId"
            conflicts.append(Problem(where, f"sourcedId {supplied!r} already exists"))
        if supplied is not None:
            seen.add(supplied)
        kept.append(None if taken else supplied)
    if conflicts:
        raise ApiError(422, f"Invalid request body: {conflicts[0].message}.", conflicts)
    pairs = []
    with ctx.store.transaction():
        for index, (item, keep) in enumerate(zip(items, kept, strict=True)):
            supplied = _supplied(item)
            sourced_id = keep or ctx.allocator.allocate()
            previous = ctx.store.get(entity.singular, sourced_id)  # only ever set under allocation-reuse
            if index < BATCH or not ctx.faults.on("bulk-stores-first-batch"):
                ctx.store.put(entity.singular, sourced_id, _prepare(ctx, entity, item, sourced_id, previous))
            pairs.append(ctx.allocator.pair(supplied, sourced_id))
    return pairs


def _created(ctx: ServerContext, entity: Entity, body: dict[str, Any]) -> Response:
    return ctx.render.json(body, 200 if ctx.faults.on("post-returns-200", entity.singular) else 201)


def _fields(ctx: ServerContext, entity: Entity) -> frozenset[str]:
    return known_fields(entity.singular, ctx.dialect.profile)


async def list_records(ctx: ServerContext, op: Operation, request: Request, path: dict[str, str]) -> Response:
    entity = ENTITY[op.entity or ""]
    params = check_query(request, op.query, ctx.dialect.repeatable_query)
    if not op.scope and "limit" not in params and ctx.faults.on("list-requires-limit", entity.singular):
        raise bad_request("The limit query parameter is required.")
    wanted = query.parse(params, _fields(ctx, entity), ctx.faults, ctx.dialect.page_limit(ctx.faults))
    rows = ctx.store.all(entity.singular)
    if op.scope:
        if "limit" not in params and ctx.faults.on("scoped-list-requires-limit"):
            raise bad_request("The limit query parameter is required.")
        scope = scopes.values(op, path)
        if not scopes.all_exist(ctx.store, scope) and not ctx.faults.on("scoped-list-unknown-parent-empty"):
            raise scope_not_found(ctx, op)
        belongs = scopes.member(ctx.store, entity.singular, scope)
        rows = [row for row in rows if belongs(row)]
        if op.id == "getResultsForClass" and ctx.faults.on("class-results-by-own-class-only"):
            rows = [row for row in rows if scopes.ref(row, "class") == scope["class"]]
    page, total = query.run(query.visible(rows, wanted, ctx.faults), wanted, ctx.faults)
    shown = [records.present(r, wanted.fields, ctx.faults, entity.singular) for r in page]
    return ctx.dialect.collection_answer(ctx, request, entity, shown, total, wanted)


async def get_record(ctx: ServerContext, op: Operation, request: Request, path: dict[str, str]) -> Response:
    entity = ENTITY[op.entity or ""]
    params = check_query(request, op.query, ctx.dialect.repeatable_query)
    fields = query.fields_param(params, _fields(ctx, entity), ctx.faults)
    if ctx.faults.on("get-refuses-non-uuid", entity.singular) and not _is_uuid(path["sourcedId"]):
        raise bad_request(f"sourcedId {path['sourcedId']!r} is not a UUID.")
    record = ctx.store.get(entity.singular, path["sourcedId"])
    if record is None:
        if ctx.faults.on("missing-returns-200", entity.singular):
            return ctx.render.json({}, 200)
        raise not_found(ctx, entity)
    if record.get("status") == TOBEDELETED and ctx.faults.on("benign-hard-delete"):
        raise not_found(ctx, entity)
    if record.get("status") == TOBEDELETED and ctx.faults.on("deleted-read-as-active"):
        record = {**record, "status": records.ACTIVE}  # a read cache that missed the deletion
    shown = records.present(record, fields, ctx.faults, entity.singular)
    return ctx.render.json(shown if ctx.faults.on("missing-envelope") else {entity.singular: shown})


async def put_record(ctx: ServerContext, op: Operation, request: Request, path: dict[str, str]) -> Response:
    entity = ENTITY[op.entity or ""]
    check_query(request, op.query)
    body = await read_json(request, ctx.faults)
    sourced_id = path["sourcedId"]
    _check_body(ctx, op, body, request, sourced_id)
    existing = ctx.store.get(entity.singular, sourced_id)
    stored = _prepare(ctx, entity, _one(body, entity.singular), sourced_id, existing)
    deleted_before = existing is not None and existing.get("status") == TOBEDELETED
    if deleted_before and ctx.faults.on("benign-put-after-delete-refused"):
        raise ApiError(422, f"Invalid request body: sourcedId {sourced_id!r} belongs to a deleted record.")
    if deleted_before and ctx.faults.on("put-after-delete-stays-deleted"):
        stored["status"] = TOBEDELETED  # the write lands in the deleted row, which keeps its status
    if existing is not None and ctx.faults.on("put-bumps-revision"):  # a version stamp kept in metadata
        kept = records.metadata_of(existing).get("revision")
        revision = kept + 1 if isinstance(kept, int) and not isinstance(kept, bool) else 1
        stored["metadata"] = {**records.metadata_of(stored), "revision": revision}
    identical = existing is not None and records.same(existing, stored)
    if identical and existing is not None and ctx.faults.on("benign-identical-put-keeps-date"):
        stored["dateLastModified"] = existing[
            "dateLastModified"
        ]  # nothing changed: nor did the time of the last change
    with ctx.store.transaction():
        if existing is not None and ctx.faults.on("put-duplicates"):
            ctx.store.put(entity.singular, f"{sourced_id}#dup-{uuid.uuid4()}", existing)
        if existing is None or not ctx.faults.on("put-update-not-persisted"):
            ctx.store.put(entity.singular, sourced_id, stored)
    if existing is not None and ctx.faults.on("put-update-answers-204"):
        return ctx.render.empty(204)
    return ctx.dialect.put_answer(ctx, entity, stored, updated=existing is not None)


async def patch_record(ctx: ServerContext, op: Operation, request: Request, path: dict[str, str]) -> Response:
    entity = ENTITY[op.entity or ""]
    check_query(request, op.query)
    body = await read_json(request, ctx.faults)
    existing = ctx.store.get(entity.singular, path["sourcedId"])
    if existing is None or existing.get("status") == TOBEDELETED:
        raise not_found(ctx, entity)
    _check_body(ctx, op, body, request)
    merged = records.merge(existing, _one(body, entity.singular), ctx.faults, entity.singular)
    stored = _prepare(ctx, entity, merged, path["sourcedId"], existing)
    ctx.store.put(entity.singular, path["sourcedId"], stored)
    return ctx.render.json({entity.singular: records.present(stored, None, ctx.faults, entity.singular)}, 200)


async def delete_record(ctx: ServerContext, op: Operation, request: Request, path: dict[str, str]) -> Response:
    entity = ENTITY[op.entity or ""]
    check_query(request, op.query)
    existing = ctx.store.get(entity.singular, path["sourcedId"])
    if existing is None or existing.get("status") == TOBEDELETED:
        if ctx.faults.on("delete-unknown-204"):
            return ctx.render.empty(204)
        raise not_found(ctx, entity)
    if not ctx.faults.on("delete-noop"):
        deleted = {
            **existing,
            "status": TOBEDELETED,
            "dateLastModified": ctx.clock.stamp(existing.get("dateLastModified")),
        }
        ctx.store.put(entity.singular, path["sourcedId"], deleted)
    return ctx.render.empty(200 if ctx.faults.on("delete-returns-200", entity.singular) else 204)


async def create_record(ctx: ServerContext, op: Operation, request: Request, path: dict[str, str]) -> Response:
    entity = ENTITY[op.entity or ""]
    check_query(request, op.query)
    body = await read_json(request, ctx.faults)
    _check_body(ctx, op, body, request)
    pairs = _create(ctx, entity, [_one(body, entity.singular)], bulk=False)
    return _created(ctx, entity, {"sourcedIdPairs": pairs[0]})


async def create_in_scope(ctx: ServerContext, op: Operation, request: Request, path: dict[str, str]) -> Response:
    """The bulk POSTs under a line item, class, school or class + academic session."""
    entity = ENTITY[op.entity or ""]
    check_query(request, op.query)
    body = await read_json(request, ctx.faults)
    scope = scopes.values(op, path)
    missing = not scopes.all_exist(ctx.store, scope)
    line_item_results = op.id == "createResultForLineItem"
    store_anyway = missing and line_item_results and ctx.faults.on("results-post-unknown-lineitem-stores")
    if missing and not store_anyway and not (line_item_results and ctx.faults.on("results-post-unknown-lineitem-201")):
        raise scope_not_found(ctx, op)
    _check_body(ctx, op, body, request)
    items = _many(body, entity.plural)
    if not items and not ctx.dialect.bulk_may_be_empty:
        raise ApiError(
            422,
            f"Invalid request body: {entity.plural} is empty.",
            (Problem(f"/{entity.plural}", "must contain at least one record"),),
        )
    for item in items:
        # The parent named by the path wins over the body (e.g. the path's line item over result.lineItem).
        for kind, sourced_id in scope.items():
            if kind in _fields(ctx, entity):
                item[kind] = ctx.dialect.parent_reference(kind, sourced_id, item.get(kind), request)
    pairs = _create(ctx, entity, items, bulk=True)
    if store_anyway:
        raise scope_not_found(ctx, op)
    body = ctx.dialect.pairs_body(ctx.faults, pairs)
    if (
        ctx.faults.on("line-item-results-post-returns-200")
        if line_item_results
        else ctx.faults.on("scoped-post-returns-200")
    ):
        return ctx.render.json(body, 200)
    return _created(ctx, entity, body)
