"""Turning a schemathesis case into a request the suite sends, and knowing what to expect of it.

Positive cases are rewritten so that every conformant server must accept them (ids agree,
references exist, only documented query values); negative cases are left as generated except for
ids that cleanup must be able to find.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schemathesis.core.parameters import ParameterLocation

from conformance.checks import Context
from conformance.client import Exchange
from conformance.contract.operations import ENTITY, Operation
from conformance.session.suite_session import SuiteSession
from conformance.session.world import adapt_record, pick

_DROP_HEADERS = {"authorization", "user-agent", "x-schemathesis-testcaseid", "accept-encoding", "connection", "accept"}
SORTABLE = ("sourcedId", "dateLastModified", "status")


@dataclass
class Prepared:
    context: Context
    exchange: Exchange


def _filters(session: SuiteSession) -> tuple[str, ...]:
    return (
        "status='active'",
        f"sourcedId~'{session.world.prefix}'",
        "dateLastModified>'2000-01-01T00:00:00Z'",
        "status='active' AND dateLastModified>='2000-01-01T00:00:00Z'",
    )


# A URL carries a path parameter as a non-empty string segment: a string parameter that asks for no
# more than that admits every value a request can carry.
_SENDABLE_ANYWAY = {"type", "minLength", "description", "title", "example"}


def negatable(operation: Any) -> bool:
    """Whether schemathesis can draw a negative case of ``operation`` (an ``APIOperation`` of the lenient
    document) at all. When it cannot, it says so only after exhausting its draws, seconds per test."""
    if any(list(part) for part in (operation.body, operation.query, operation.headers, operation.cookies)):
        return True
    for parameter in operation.path_parameters:
        schema = parameter.definition.get("schema", {})
        if schema.get("type") != "string" or not set(schema) <= _SENDABLE_ANYWAY or schema.get("minLength", 0) > 1:
            return True
    return False


def _path_negated(case: Any) -> bool:
    meta = getattr(case, "meta", None)
    return bool(meta is not None and meta.is_negative_at(ParameterLocation.PATH))


def prepare_positive(session: SuiteSession, op: Operation, case: Any) -> Context:
    world = session.world
    session.ensure_anchors()
    key = (repr(case.path_parameters), repr(case.query), repr(case.body))
    expect_success, expect_not_found = True, False
    params = case.path_parameters if case.path_parameters is not None else {}
    klass = world.class_of(key)
    line_item: str | None = None
    school: str | None = None

    if op.entity and not op.scope and "sourcedId" in op.path_params:  # an entity's item route
        entity = op.entity
        if op.method == "PUT":
            params["sourcedId"] = (
                pick(world.existing(entity) or [world.fresh_id(entity)], key)
                if pick((True, False), key)
                else world.fresh_id(entity)
            )
        elif op.method == "DELETE":
            params["sourcedId"], _ = session.create(entity, key)
        elif pick((True, False, True), key) and (created := session.create(entity, key))[1].status in (200, 201):
            # A record made for this case: one from the pool may have been deleted or replaced since.
            params["sourcedId"] = created[0]
        else:
            params["sourcedId"] = world.fresh_id(entity) + "-missing"
            expect_success, expect_not_found = False, True
    if "lineItem" in op.scope:
        klass, line_item = world.klass, world.anchors.get("lineItem")  # the anchor line item's class
    for name, kind in zip(op.path_params, op.scope, strict=False) if op.scope else ():  # fixtures or anchors
        if kind == "class":
            params[name] = klass.sourcedId
        elif kind == "school":
            school = params[name] = klass.school
        elif kind == "lineItem":
            params[name] = line_item or world.fresh_id("lineItem") + "-missing"
            if line_item is None:  # no anchor (a read-only run): the parent is missing, a 404 is due
                expect_success, expect_not_found = False, True
        elif kind == "student":
            params[name] = world.student_in(klass, key)
        elif kind == "academicSession":
            params[name] = world.session() or world.fresh_id("academicSession") + "-missing"
            if world.session() is None:
                expect_success, expect_not_found = False, True
    case.path_parameters = params

    if op.request and op.entity:
        sourced = params.get("sourcedId") if op.method == "PUT" else None
        case.body = _adapt_body(session, op, case.body, sourced, key, klass, line_item, school)
    elif op.id == "makeExternalTestAssignment" and isinstance(case.body, dict):
        lesson = world.external_lesson(key)
        case.body = {k: v for k, v in case.body.items() if k != "testId"}
        case.body["student"] = world.student_in(klass, key)
        case.body["lesson"] = lesson.sourcedId if lesson else "missing"
        expect_success = lesson is not None
    if op.query:
        case.query = _adapt_query(session, op, dict(case.query or {}), key)
        if op.service == "powerpath":
            student, lesson_id = session.assigned(key)
            case.query.update(student=student, lesson=lesson_id)
            case.query.pop("attempt", None)
    return Context(op, "positive", expect_success=expect_success, expect_not_found=expect_not_found, case=case)


def _adapt_body(
    session: SuiteSession,
    op: Operation,
    body: Any,
    sourced: str | None,
    key: object,
    klass: Any,
    line_item: str | None,
    school: str | None,
) -> Any:
    assert op.entity is not None
    world = session.world
    singular, plural = op.entity, ENTITY[op.entity].plural
    if not isinstance(body, dict):
        return body
    if plural in body and isinstance(body[plural], list):  # a bulk POST
        scoped_class = klass if op.scope and op.scope[0] == "class" else None
        items = [
            adapt_record(
                singular,
                item,
                world,
                sourced_id=world.fresh_id(singular),
                key=(key, i),
                klass=scoped_class,
                line_item=line_item,
                school=school,
            )
            for i, item in enumerate(body[plural])
        ]
        return {plural: items}
    if singular in body:
        if op.method == "POST":
            sourced = world.fresh_id(singular)
        elif op.method == "PATCH":
            sourced = None
            body[singular].pop("sourcedId", None)
        return {singular: adapt_record(singular, body[singular], world, sourced_id=sourced, key=key)}
    return body


def _adapt_query(session: SuiteSession, op: Operation, query: dict[str, Any], key: object) -> dict[str, Any]:
    # fields is judged by the stateful collection checks: a field subset cannot satisfy the record schema.
    query.pop("fields", None)
    if "sort" in query:
        query["sort"] = pick(SORTABLE, key)
    if "filter" in query:
        query["filter"] = pick(_filters(session), key)
    if "search" in query:
        query["search"] = "".join(ch for ch in str(query["search"]) if ch.isalnum())[:20] or "a"
    return query


def prepare_negative(session: SuiteSession, op: Operation, case: Any) -> Context:
    """Keep the mutation; only make ids findable by cleanup when the path was not what was mutated."""
    if op.entity and "sourcedId" in op.path_params and not op.scope and not _path_negated(case):
        case.path_parameters = {**(case.path_parameters or {}), "sourcedId": session.world.fresh_id(op.entity)}
    if op.writes and op.entity:
        _own_written_ids(session.world.prefix, op, case)
    return Context(op, "negative", case=case)


def _own_written_ids(prefix: str, op: Operation, case: Any) -> None:
    """Every record a write names carries the run's prefix, a negative case's generated ids too, so
    that no write can touch a record that is not the run's on a server lenient enough to take it (the
    target may hold records that are not the suite's). Prefixing keeps a generated id's oddness; the
    checks judge the body as sent (``true_negative`` reads ``case.body``), so an id the prefix happens
    to make valid is judged as valid."""

    def own(value: Any) -> Any:
        return value if not isinstance(value, str) or value.startswith(prefix) else prefix + value

    if "sourcedId" in op.path_params and not op.scope and case.path_parameters:
        named = case.path_parameters.get("sourcedId")
        if named is not None:
            case.path_parameters = {**case.path_parameters, "sourcedId": own(str(named))}
    assert op.entity is not None
    body, plural = case.body, ENTITY[op.entity].plural
    if not isinstance(body, dict):
        return
    listed = body.get(plural)
    for record in [body.get(op.entity), *(listed if isinstance(listed, list) else [])]:
        if isinstance(record, dict) and "sourcedId" in record:
            record["sourcedId"] = own(record["sourcedId"])


def send_case(session: SuiteSession, case: Any) -> Exchange:
    kwargs = case.as_transport_kwargs(base_url=session.target.base_url)
    headers = {k: v for k, v in (kwargs.get("headers") or {}).items() if k.lower() not in _DROP_HEADERS}
    content = kwargs.get("data")
    if isinstance(content, str):
        content = content.encode("utf-8")
    return session.send(
        kwargs["method"],
        kwargs["url"],
        params=kwargs.get("params"),
        json_body=kwargs.get("json"),
        content=content,
        headers=headers,
    )
