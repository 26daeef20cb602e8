"""Each gradebook entity's documented operations, one deterministic walk per entity: PUT creates,
GET reads, the collection lists, POST creates, PATCH merges, DELETE soft-deletes — plus the
open points of docs/api.md#open-points, observed and reported (INFO), never failed."""

from __future__ import annotations

import pytest

from conformance.checks import Recorder
from conformance.checks.registry import validates
from conformance.contract.operations import ENTITIES, ENTITY, Entity, by_id, has_patch, operation_id
from conformance.machines.base import allocated_resolves, record_of
from conformance.machines.model import differences
from conformance.session.suite_session import SuiteSession, item_path
from conformance.session.world import baseline
from conformance.suite.harness import RunPlugin
from conformance.suite.judge import COMMON, entity_fixture, recorder_fixture  # noqa: F401 (fixtures)


def _observe(recorder: Recorder, requirement: str, text: str) -> None:
    """An open point of one dialect only: observed where the profile has it."""
    if recorder.applies(requirement):
        recorder.observe(requirement, text)


def _op(verb: str, e: Entity, plural: bool = False) -> str:
    return operation_id(verb, e.plural if plural else e.singular)


@validates(
    "GB-UPSERT-ROUNDTRIP", "GB-LIST-TOTAL-COUNT",
    "GB-LINEITEM-LIST", "GB-RESULT-LIST", "GB-ASSESSMENTLINEITEM-LIST", "GB-ASSESSMENTRESULT-LIST",
    "GB-CATEGORY-LIST", "GB-SCORESCALE-LIST",
    "GEN-PUT-UPDATE-STATUS", "GEN-COLLECTION-NO-SLASH", "GEN-COLLECTION-HEADERS",
    checks=COMMON,
    aspects=("success", "schema"),
    operations=("put{Entity}", "get{Entity}", "getAll{Entities}"),
)  # fmt: skip
def test_put_then_get_then_list(entity: Entity, suite: SuiteSession, recorder: Recorder) -> None:
    e = entity
    sourced_id = suite.world.fresh_id(e.singular)
    body = {e.singular: baseline(e.singular, suite.world, sourced_id)}
    put = suite.send("PUT", item_path(e.singular, sourced_id), json_body=body)
    recorder.judge(put, _op("put", e), expect_success=True)
    again = suite.send("PUT", item_path(e.singular, sourced_id), json_body=body)
    recorder.judge(again, _op("put", e), expect_success=True)
    _observe(recorder, "GEN-PUT-UPDATE-STATUS", f"PUT on an existing {e.singular} answers {again.status}")
    got = suite.get(item_path(e.singular, sourced_id))
    recorder.judge(got, _op("get", e), expect_success=True)
    record = record_of(got, e.singular)
    lost = differences(body[e.singular], record) if record is not None else ["no record"]
    recorder.expect(
        "GB-UPSERT-ROUNDTRIP",
        not lost,
        got,
        title="GET does not return what was PUT",
        expected="every member sent, unchanged (a non-integer score included)",
        actual="; ".join(lost[:5]),
        steps=(put, got),
    )
    listed = suite.get(suite.collection_path(e.singular), params={"filter": f"sourcedId='{sourced_id}'"})
    recorder.judge(listed, _op("getAll", e, plural=True), expect_success=True)
    records = (listed.try_json() or {}).get(e.plural) if isinstance(listed.try_json(), dict) else None
    ids = [r.get("sourcedId") for r in records or [] if isinstance(r, dict)]
    recorder.expect(
        recorder.requirement_for(_op("getAll", e, plural=True)),
        ids == [sourced_id],
        listed,
        title="A filtered collection does not list the record just PUT",
        expected=f"exactly [{sourced_id!r}] for filter sourcedId='{sourced_id}'",
        actual=f"{ids}",
    )
    count = suite.profile.dialect.total_count(listed)
    recorder.expect(
        "GB-LIST-TOTAL-COUNT",
        count == 1,
        listed,
        title="The collection's count of matching records is not 1 for one matching record",
        expected=f"{suite.profile.dialect.count_source} 1 for filter sourcedId='{sourced_id}'",
        actual=f"{suite.profile.dialect.count_source} {count!r}",
    )
    if recorder.applies("GEN-COLLECTION-NO-SLASH"):
        bare = suite.get(suite.collection_path(e.singular, slash=False), params={"limit": 1})
        recorder.observe("GEN-COLLECTION-NO-SLASH", f"GET /{e.plural} without the trailing slash answers {bare.status}")
    headers = [h for h in ("x-total-count", "link") if h in listed.headers]
    _observe(
        recorder,
        "GEN-COLLECTION-HEADERS",
        f"collections send {', '.join(headers) if headers else 'neither X-Total-Count nor Link'}",
    )


# An out-of-vocabulary value for each entity's enumerated member: the kind of input a handler that
# maps enums with a lookup table turns into a 500.
_BAD_ENUMS = {"result": ("scoreStatus", "graded"), "assessmentResult": ("scoreStatus", "graded")}


@validates("GEN-REJECT-INVALID-BODY", checks=COMMON, aspects=("schema",), operations=("put{Entity}",))
def test_an_unknown_enum_value_is_refused(entity: Entity, suite: SuiteSession, recorder: Recorder) -> None:
    """A body whose enumerated member is outside its vocabulary is a 400/422, never stored, never a 5xx."""
    e = entity
    member, value = _BAD_ENUMS.get(e.singular, ("status", "archived"))
    sourced_id = suite.world.fresh_id(e.singular)
    body = {e.singular: baseline(e.singular, suite.world, sourced_id) | {member: value}}
    put = suite.send("PUT", item_path(e.singular, sourced_id), json_body=body)
    recorder.judge(put, _op("put", e))
    recorder.expect(
        "GEN-REJECT-INVALID-BODY",
        put.status in (400, 422),
        put,
        title=f"An unknown {member} was not refused",
        expected=f"400 or 422 for {member} {value!r}",
        actual=f"status {put.status}",
    )


BULK = 5  # records in the deterministic bulk POST: more than a store writing in small batches keeps


@validates(
    "GB-PAIRS-SUPPLIED-ECHO", "GB-PAIRS-ALLOCATED-RESOLVES",
    checks=COMMON, aspects=("success",), operations=("createResultForLineItem",),
)  # fmt: skip
def test_a_bulk_post_answers_a_pair_per_record(suite: SuiteSession, recorder: Recorder) -> None:
    """Every record of a bulk POST has its pair, and every allocated id resolves to its record,
    whatever the generated examples happened to draw."""
    if suite.options.read_only:
        pytest.skip("read-only run: writes are not sent")
    dialect = suite.profile.dialect
    if not dialect.pair_per_record:
        pytest.skip("this profile documents one pair object for a bulk POST (GEN-BULK-SEVERAL observes several)")
    suite.ensure_anchors()
    world = suite.world
    posted = {i: baseline("result", world, i) for i in (world.fresh_id("result") for _ in range(BULK))}
    path = f"{item_path('lineItem', world.anchors['lineItem'])}/results"
    post = suite.send("POST", path, json_body={"results": list(posted.values())})
    recorder.judge(post, "createResultForLineItem", expect_success=True)
    pairs = dialect.pairs(post.try_json())
    for pair in pairs:
        allocated = pair.get("allocatedSourcedId")
        if isinstance(allocated, str) and allocated:
            world.remember("result", allocated)
    echoed = sorted(str(pair.get("suppliedSourcedId")) for pair in pairs)
    recorder.expect(
        "GB-PAIRS-SUPPLIED-ECHO",
        echoed == sorted(posted),
        post,
        title=f"A bulk POST of {BULK} results did not answer one pair per result",
        expected=f"pairs for {sorted(posted)}",
        actual=f"pairs for {echoed}",
    )
    for pair in pairs:
        allocated, sent = pair.get("allocatedSourcedId"), posted.get(str(pair.get("suppliedSourcedId")))
        if not isinstance(allocated, str) or not allocated or sent is None:
            continue
        allocated_resolves(
            suite.send,
            recorder,
            "result",
            allocated,
            sent,
            f"An allocatedSourcedId of a bulk POST of {BULK} results does not resolve to its result",
            steps=(post,),
        )


@validates(
    "GB-PAIRS-SUPPLIED-ECHO", "GB-PAIRS-ALLOCATED-RESOLVES",
    checks=COMMON,
    aspects=("success", "schema"),
    operations=("create{Entity}",),
)  # fmt: skip
def test_post_creates(entity: Entity, suite: SuiteSession, recorder: Recorder) -> None:
    e = entity
    if _op("create", e) not in by_id(recorder.profile):
        pytest.skip("this profile's binding has no single-record POST")
    supplied = suite.world.fresh_id(e.singular)
    post = suite.send(
        "POST", suite.collection_path(e.singular), json_body={e.singular: baseline(e.singular, suite.world, supplied)}
    )
    recorder.judge(post, _op("create", e), expect_success=True)
    pairs = (post.try_json() or {}).get("sourcedIdPairs") if isinstance(post.try_json(), dict) else None
    allocated = pairs.get("allocatedSourcedId") if isinstance(pairs, dict) else None
    echoed = pairs.get("suppliedSourcedId") if isinstance(pairs, dict) else None
    recorder.expect(
        "GB-PAIRS-SUPPLIED-ECHO",
        echoed == supplied,
        post,
        title="suppliedSourcedId does not echo the request",
        expected=f"suppliedSourcedId {supplied!r}",
        actual=f"suppliedSourcedId {echoed!r}",
    )
    if isinstance(allocated, str) and allocated:
        got = suite.get(item_path(e.singular, allocated))
        record = (got.try_json() or {}).get(e.singular) if isinstance(got.try_json(), dict) else None
        recorder.expect(
            "GB-PAIRS-ALLOCATED-RESOLVES",
            got.status == 200 and isinstance(record, dict),
            got,
            title="allocatedSourcedId does not resolve",
            expected=f"GET /{e.plural}/{allocated} → 200 with the record",
            actual=f"status {got.status}",
            steps=(post, got),
        )


@validates(
    "GB-LINEITEM-DELETE", "GB-RESULT-DELETE", "GB-ASSESSMENTLINEITEM-DELETE", "GB-ASSESSMENTRESULT-DELETE",
    "GB-CATEGORY-DELETE", "GB-SCORESCALE-DELETE",
    "GB-SOFT-DELETE", "GB-READ-AFTER-DELETE", "GEN-DELETED-IN-LISTS",
    checks=COMMON,
    aspects=("success", "schema"),
    operations=("put{Entity}", "delete{Entity}"),
)  # fmt: skip
def test_delete_soft_deletes(entity: Entity, suite: SuiteSession, recorder: Recorder) -> None:
    e = entity
    sourced_id, put = suite.create(e.singular)
    recorder.judge(put, _op("put", e), expect_success=True)
    deleted = suite.send("DELETE", item_path(e.singular, sourced_id))
    recorder.judge(deleted, _op("delete", e), expect_success=True)
    recorder.expect(
        recorder.requirement_for(_op("delete", e)),
        deleted.status == 204 and not deleted.body,
        deleted,
        title="DELETE does not answer 204 with an empty body",
        expected="204, empty body",
        actual=f"{deleted.status}, {len(deleted.body)} bytes",
    )
    after = suite.get(item_path(e.singular, sourced_id))
    recorder.judge(after, None)
    record = (after.try_json() or {}).get(e.singular) if isinstance(after.try_json(), dict) else None
    status = record.get("status") if isinstance(record, dict) else None
    accepted = after.status == 404 or (after.status == 200 and status == "tobedeleted")
    for requirement in ("GB-SOFT-DELETE", "GB-READ-AFTER-DELETE"):
        recorder.expect(
            requirement,
            accepted,
            after,
            title="A deleted record still reads as active",
            expected="404, or 200 with status 'tobedeleted'",
            actual=f"{after.status} with status {status!r}",
            steps=(put, deleted, after),
        )
    listed = suite.get(suite.collection_path(e.singular), params={"filter": f"sourcedId='{sourced_id}'"})
    shown = (listed.try_json() or {}).get(e.plural) if isinstance(listed.try_json(), dict) else None
    recorder.observe(
        "GEN-DELETED-IN-LISTS",
        f"after DELETE, a filtered list shows {len(shown) if isinstance(shown, list) else '?'} "
        f"record(s) for the deleted {e.singular}; GET answers {after.status}",
    )
    suite.world.forget(e.singular, sourced_id)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The entities whose PATCH the run's profile documents (at collection: the run decides)."""
    if metafunc.function is test_patch_merges_metadata:
        profile = RunPlugin.profile_of(metafunc.config)
        metafunc.parametrize("name", [e.singular for e in ENTITIES if has_patch(e, profile)])


@validates(
    "GB-ASSESSMENTLINEITEM-PATCH", "GB-ASSESSMENTRESULT-PATCH",
    checks=COMMON,
    aspects=("success", "schema"),
    operations=("put{Entity}", "patch{Entity}"),
)  # fmt: skip
def test_patch_merges_metadata(name: str, suite: SuiteSession, recorder: Recorder) -> None:
    if suite.options.read_only:
        pytest.skip("read-only run: writes are not sent")
    e = ENTITY[name]
    sourced_id = suite.world.fresh_id(name)
    suite.ensure_anchors()
    body = baseline(name, suite.world, sourced_id) | {"metadata": {"kept": "yes", "changed": "before"}}
    put = suite.send("PUT", item_path(name, sourced_id), json_body={name: body})
    recorder.judge(put, _op("put", e), expect_success=True)
    patch = suite.send("PATCH", item_path(name, sourced_id), json_body={name: {"metadata": {"changed": "after"}}})
    recorder.judge(patch, _op("patch", e), expect_success=True)
    got = suite.get(item_path(name, sourced_id))
    record = (got.try_json() or {}).get(name) if isinstance(got.try_json(), dict) else None
    metadata = record.get("metadata") if isinstance(record, dict) else None
    merged = isinstance(metadata, dict) and metadata.get("kept") == "yes" and metadata.get("changed") == "after"
    recorder.expect(
        recorder.requirement_for(_op("patch", e)),
        merged,
        got,
        title="PATCH did not merge metadata",
        expected="metadata holding kept='yes' and changed='after'",
        actual=f"metadata {metadata!r}",
        steps=(put, patch, got),
    )


@validates(
    "GEN-PUT-BODY-ID-MISMATCH", "GEN-DATE-ONLY-SCORE-DATE", "GEN-BULK-SEVERAL"
)  # fmt: skip
def test_open_points(suite: SuiteSession, recorder: Recorder) -> None:
    """The open points on writes (docs/api.md#open-points): observed, never failed."""
    if suite.options.read_only:
        pytest.skip("read-only run: writes are not sent")
    world = suite.world
    suite.ensure_anchors()
    path_id, body_id = world.fresh_id("result"), world.fresh_id("result")
    mismatch = suite.send("PUT", item_path("result", path_id), json_body={"result": baseline("result", world, body_id)})
    stored = suite.get(item_path("result", path_id))
    world.remember("result", body_id)
    recorder.observe(
        "GEN-PUT-BODY-ID-MISMATCH",
        f"PUT with body sourcedId ≠ path answers {mismatch.status}; GET by the path id then answers {stored.status}",
    )
    if recorder.applies("GEN-DATE-ONLY-SCORE-DATE"):
        dated = world.fresh_id("result")
        date_only = suite.send(
            "PUT",
            item_path("result", dated),
            json_body={"result": baseline("result", world, dated) | {"scoreDate": "2024-09-02"}},
        )
        recorder.observe("GEN-DATE-ONLY-SCORE-DATE", f"a date-only scoreDate is answered {date_only.status}")
    line_item = world.anchors.get("lineItem")
    if line_item and recorder.applies("GEN-BULK-SEVERAL"):
        items = [baseline("result", world, world.fresh_id("result"), key=i) for i in range(2)]
        several = suite.send("POST", f"{item_path('lineItem', line_item)}/results", json_body={"results": items})
        pairs = (several.try_json() or {}).get("sourcedIdPairs") if isinstance(several.try_json(), dict) else None
        shape = (
            "an array" if isinstance(pairs, list) else "one object" if isinstance(pairs, dict) else repr(type(pairs))
        )
        recorder.observe(
            "GEN-BULK-SEVERAL", f"posting 2 results answers {several.status} with sourcedIdPairs as {shape}"
        )
        for item in items:
            world.remember("result", item["sourcedId"])
