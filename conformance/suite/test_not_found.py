"""404 behaviour: records that were never created, parents that do not exist, and results posted to
an unknown line item — which must store nothing (seed 001)."""

from __future__ import annotations

import pytest

from conformance.checks import Recorder
from conformance.checks.registry import validates
from conformance.contract.operations import ENTITIES, Entity, Operation, operation_id, operations
from conformance.session.suite_session import SuiteSession, item_path
from conformance.session.world import baseline
from conformance.suite.harness import RunPlugin
from conformance.suite.judge import COMMON, recorder_fixture  # noqa: F401 (a fixture)


@pytest.mark.parametrize("entity", ENTITIES, ids=lambda e: e.singular)
@pytest.mark.parametrize("method", ["GET", "DELETE"])
@validates(checks=COMMON, aspects=("not-found",), operations=("get{Entity}", "delete{Entity}"))
def test_unknown_record(entity: Entity, method: str, suite: SuiteSession, recorder: Recorder) -> None:
    if method == "DELETE" and suite.options.read_only:
        pytest.skip("read-only run: writes are not sent")
    missing = suite.world.fresh_id(entity.singular) + "-never-created"
    exchange = suite.send(method, item_path(entity.singular, missing))
    op = operation_id("get" if method == "GET" else "delete", entity.singular)
    recorder.judge(exchange, op, expect_not_found=True)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The scoped lists of the run's profile (at collection: the run decides the table)."""
    if metafunc.function is test_unknown_parent:
        ops = operations(RunPlugin.profile_of(metafunc.config))
        scoped = [op for op in ops if op.scope and op.method == "GET"]
        metafunc.parametrize("op", scoped, ids=[op.id for op in scoped])


@validates(checks=COMMON, aspects=("not-found",))
def test_unknown_parent(op: Operation, suite: SuiteSession, recorder: Recorder) -> None:
    """Each scoped list names its missing parent with the documented message."""
    values = {
        name: suite.world.fresh_id(kind) + "-never-created" for name, kind in zip(op.path_params, op.scope, strict=True)
    }
    exchange = suite.get(op.path.format(**values))
    recorder.judge(exchange, op.id, expect_not_found=True)


@validates(
    "GB-RESULT-POST-UNKNOWN-LINEITEM", checks=COMMON, aspects=("not-found",), operations=("createResultForLineItem",)
)
def test_results_for_unknown_line_item_store_nothing(suite: SuiteSession, recorder: Recorder) -> None:
    if suite.options.read_only:
        pytest.skip("read-only run: writes are not sent")
    suite.ensure_anchors()
    world = suite.world
    missing = world.fresh_id("lineItem") + "-never-created"
    supplied = world.fresh_id("result")
    result = baseline("result", world, supplied) | {"lineItem": world.ref("lineItem", missing)}
    post = suite.send("POST", f"{item_path('lineItem', missing)}/results", json_body={"results": [result]})
    recorder.judge(post, "createResultForLineItem", expect_not_found=True)
    got = suite.get(item_path("result", supplied))
    listed = suite.get(suite.collection_path("result"), params={"filter": f"sourcedId='{supplied}'"})
    body = listed.try_json()
    count = len(body.get("results", [])) if isinstance(body, dict) and isinstance(body.get("results"), list) else None
    recorder.expect(
        "GB-RESULT-POST-UNKNOWN-LINEITEM",
        got.status == 404 and count == 0,
        listed,
        title="Results posted to an unknown line item were stored",
        expected=f"GET /results/{supplied} → 404 and no listed record",
        actual=f"GET → {got.status}; listed {count}",
        steps=(post, got, listed),
    )
