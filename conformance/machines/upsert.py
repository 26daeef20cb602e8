"""Upsert and round-trip: PUT creates, PUT again changes nothing, PUT changed updates; after each,
GET returns every member sent plus the server-set ones; dateLastModified never goes backwards; a
collection never lists a sourcedId twice."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, consumes, initialize, invariant, precondition, rule

from conformance.checks.registry import validates
from conformance.client import instant
from conformance.contract.operations import by_id, operation_id
from conformance.machines.base import ConformanceMachine, record_of
from conformance.machines.model import differences
from conformance.machines.payloads import records
from conformance.session.suite_session import item_path

ENTITIES = ("result", "lineItem", "assessmentResult", "assessmentLineItem", "category", "scoreScale")


@validates(
    "GB-LINEITEM-PUT-UPSERT", "GB-RESULT-PUT-UPSERT", "GB-ASSESSMENTLINEITEM-PUT-UPSERT",
    "GB-ASSESSMENTRESULT-PUT-UPSERT", "GB-CATEGORY-PUT-UPSERT", "GB-SCORESCALE-PUT-UPSERT",
    "GB-LINEITEM-GET", "GB-RESULT-GET", "GB-ASSESSMENTLINEITEM-GET", "GB-ASSESSMENTRESULT-GET",
    "GB-CATEGORY-GET", "GB-SCORESCALE-GET",
    "GB-LINEITEM-DELETE", "GB-RESULT-DELETE", "GB-ASSESSMENTLINEITEM-DELETE", "GB-ASSESSMENTRESULT-DELETE",
    "GB-CATEGORY-DELETE", "GB-SCORESCALE-DELETE",
    "GB-UPSERT-ROUNDTRIP", "GB-UPSERT-UPDATES", "GB-UPSERT-IDEMPOTENT", "GB-UPSERT-NO-DUPLICATES",
    "GB-DATE-LAST-MODIFIED", "GB-READ-AFTER-DELETE",
)  # fmt: skip
class UpsertMachine(ConformanceMachine):
    ids = Bundle("ids")

    def __init__(self) -> None:
        super().__init__()
        self.model: dict[str, tuple[str, dict[str, Any]]] = {}  # sourcedId → (entity, record sent last)
        self.modified: dict[str, str] = {}  # sourcedId → last dateLastModified seen

    def _put_and_compare(self, entity: str, sourced_id: str, record: dict[str, Any]) -> None:
        """PUT, then GET: every member sent must come back. When an update comes back as the record
        it replaced, the update was not persisted (GB-UPSERT-UPDATES); any other loss is a broken
        round trip (GB-UPSERT-ROUNDTRIP)."""
        previous = self.model.get(sourced_id)
        put = self.put(entity, sourced_id, record)
        success = by_id(self.recorder.profile)[operation_id("put", entity)].success
        self.recorder.expect(
            self.recorder.requirement_for(operation_id("put", entity)),
            put.status in success,
            put,
            title="PUT was not accepted",
            expected=" or ".join(str(s) for s in success),
            actual=f"status {put.status}",
        )
        self.model[sourced_id] = (entity, record)
        got = self.send("GET", item_path(entity, sourced_id))
        stored = record_of(got, entity)
        self.recorder.expect(
            self.recorder.requirement_for(operation_id("get", entity)),
            got.status == 200 and stored is not None,
            got,
            title="A record just PUT cannot be read",
            expected=f"200 with a {entity!r} envelope",
            actual=f"status {got.status}",
        )
        assert stored is not None
        missing = differences(record, stored)
        stale = bool(missing) and previous is not None and not differences(previous[1], stored)
        requirement = "GB-UPSERT-UPDATES" if stale else "GB-UPSERT-ROUNDTRIP"
        title = (
            "An update was not persisted: GET returns the record it replaced"
            if stale
            else "GET does not return what was PUT"
        )
        self.recorder.expect(
            requirement,
            not missing,
            got,
            title=title,
            expected="every member sent, unchanged",
            actual="; ".join(missing[:5]),
        )
        if previous is not None and not missing:
            self.recorder.expect("GB-UPSERT-UPDATES", True, got, title="", expected="", actual="")
        self._check_modified(sourced_id, stored, got)

    def _check_modified(self, sourced_id: str, stored: dict[str, Any], exchange: Any) -> None:
        value = stored.get("dateLastModified")
        moment = instant(value) if isinstance(value, str) else None
        before = self.modified.get(sourced_id)
        ok = moment is not None and (before is None or moment >= (instant(before) or moment))
        self.recorder.expect(
            "GB-DATE-LAST-MODIFIED",
            ok,
            exchange,
            title="dateLastModified is missing or went backwards",
            expected=f"an RFC 3339 date-time not before {before!r}",
            actual=repr(value),
        )
        if isinstance(value, str):
            self.modified[sourced_id] = value

    @initialize(target=ids, entity=st.sampled_from(ENTITIES), data=st.data())
    def first_record(self, entity: str, data: st.DataObject) -> Any:
        """Every run starts with the documented cycle: create with every member set, repeat it,
        change every nullable member to null — then goes its own way. (The entity is drawn, never
        taken from outside state: Hypothesis must be able to replay a run exactly.)"""
        self.session.ensure_anchors()
        sourced_id = self.session.world.fresh_id(entity)
        full = data.draw(records(entity, self.session.world, sourced_id, "full"), label="full record")
        self._put_and_compare(entity, sourced_id, full)
        self.put_same_again(sourced_id)
        nulls = data.draw(records(entity, self.session.world, sourced_id, "nulls"), label="nulls record")
        self._put_and_compare(entity, sourced_id, nulls)
        return sourced_id

    @rule(target=ids, entity=st.sampled_from(ENTITIES), data=st.data())
    def put_new(self, entity: str, data: st.DataObject) -> Any:
        self.session.ensure_anchors()
        sourced_id = self.session.world.fresh_id(entity)
        record = data.draw(records(entity, self.session.world, sourced_id), label="record")
        self._put_and_compare(entity, sourced_id, record)
        return sourced_id

    @rule(sourced_id=ids)
    def put_same_again(self, sourced_id: str) -> None:
        entity, record = self.model[sourced_id]
        before = record_of(self.send("GET", item_path(entity, sourced_id)), entity) or {}
        self._put_and_compare(entity, sourced_id, record)
        after = record_of(self.steps[-1], entity) or {}
        changed = sorted(
            k for k in set(before) | set(after) if k != "dateLastModified" and before.get(k) != after.get(k)
        )
        self.recorder.expect(
            "GB-UPSERT-IDEMPOTENT",
            not changed,
            self.steps[-1],
            title="An identical PUT changed the record",
            expected="nothing changed but dateLastModified",
            actual=f"changed: {', '.join(changed)}",
        )

    @rule(sourced_id=ids, data=st.data())
    def put_changed(self, sourced_id: str, data: st.DataObject) -> None:
        entity, _ = self.model[sourced_id]
        record = data.draw(records(entity, self.session.world, sourced_id), label="changed record")
        self._put_and_compare(entity, sourced_id, record)

    @rule(sourced_id=consumes(ids))
    def delete(self, sourced_id: str) -> None:
        entity, _ = self.model.pop(sourced_id)
        deleted = self.send("DELETE", item_path(entity, sourced_id))
        self.recorder.expect(
            self.recorder.requirement_for(operation_id("delete", entity)),
            deleted.status == 204,
            deleted,
            title="DELETE was not answered 204",
            expected="204",
            actual=f"status {deleted.status}",
        )
        got = self.send("GET", item_path(entity, sourced_id))
        stored = record_of(got, entity)
        ok = got.status == 404 or (got.status == 200 and stored is not None and stored.get("status") == "tobedeleted")
        self.recorder.expect(
            "GB-READ-AFTER-DELETE",
            ok,
            got,
            title="A deleted record still reads as active",
            expected="404, or 200 with status 'tobedeleted'",
            actual=f"{got.status} status={stored.get('status') if stored else None!r}",
        )

    @precondition(lambda self: bool(self.model))
    @invariant()
    def listed_once(self) -> None:
        """However often a sourcedId was PUT, its collection lists it exactly once."""
        for sourced_id, (entity, _) in list(self.model.items())[-2:]:  # the newest: enough to catch, cheap
            listed, found = self.listed(entity, sourced_id)
            self.recorder.expect(
                "GB-UPSERT-NO-DUPLICATES",
                found.count(sourced_id) == 1,
                listed,
                title="The collection does not list an upserted record exactly once",
                expected=f"{sourced_id!r} listed once",
                actual=f"listed {found.count(sourced_id)} times",
            )
