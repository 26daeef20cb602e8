"""Authentication: the token endpoint grants client credentials, and no operation answers a
request that carries no token or an invalid one with anything but 401 (and an imsx body)."""

from __future__ import annotations

import pytest

from conformance.checks import Recorder
from conformance.checks.registry import validates
from conformance.contract.operations import ENTITY, Operation, operations
from conformance.session.suite_session import SuiteSession
from conformance.session.tokens import request_token
from conformance.session.world import baseline
from conformance.suite.harness import RunPlugin
from conformance.suite.judge import COMMON, recorder_fixture  # noqa: F401 (a fixture)


@validates("GEN-AUTH-TOKEN")
def test_token_endpoint(suite: SuiteSession, recorder: Recorder) -> None:
    target = suite.target
    if not target.uses_oauth:
        recorder.skip("GEN-AUTH-TOKEN", "a static --token was given: the token endpoint was not used")
        pytest.skip("static token: no token endpoint")
    exchange = request_token(suite).exchange
    body = exchange.try_json()
    ok = (
        exchange.status == 200
        and isinstance(body, dict)
        and isinstance(body.get("access_token"), str)
        and str(body.get("token_type", "")).lower() == "bearer"
        and isinstance(body.get("expires_in"), int | float)
    )
    recorder.expect(
        "GEN-AUTH-TOKEN",
        ok,
        exchange,
        title="The token endpoint did not grant client credentials",
        expected="200 {access_token, expires_in, token_type: Bearer}",
        actual=f"{exchange.status} with keys {sorted(body) if isinstance(body, dict) else type(body).__name__}",
    )


def _probe_body(op: Operation, suite: SuiteSession) -> object:
    """A valid body, so that only the missing token can explain a refusal."""
    if op.request is None:
        return None
    if op.service == "powerpath":
        lesson = suite.world.external_lesson(op.id)
        return {"student": suite.world.klass.students[0], "lesson": lesson.sourcedId if lesson else "x"}
    assert op.entity is not None
    record = baseline(op.entity, suite.world, suite.world.fresh_id(op.entity))
    if op.request.endswith("bulkRequest"):
        return {ENTITY[op.entity].plural: [record]}
    if op.method == "PATCH":
        return {op.entity: {"metadata": {"probe": "1"}}}
    return {op.entity: record}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every operation of the run's profile (at collection: the run decides the table)."""
    if metafunc.function is test_refused_without_valid_token:
        ops = operations(RunPlugin.profile_of(metafunc.config))
        metafunc.parametrize("op", ops, ids=[op.id for op in ops])


@pytest.mark.parametrize("credential", ["none", "bogus"])
@validates("GEN-AUTH-REQUIRED", checks=COMMON, aspects=("schema",))
def test_refused_without_valid_token(op: Operation, credential: str, suite: SuiteSession, recorder: Recorder) -> None:
    if suite.options.read_only and op.writes:
        pytest.skip("read-only run: writes are not sent")
    suite.ensure_anchors()
    values = {name: suite.world.fresh_id("probe") for name in op.path_params}
    exchange = suite.send(
        op.method,
        op.path.format(**values),
        json_body=_probe_body(op, suite),
        auth=credential,
        params={name: "probe" for name in op.required_query} or None,
    )
    recorder.judge(exchange, op.id)
    recorder.expect(
        "GEN-AUTH-REQUIRED",
        exchange.status == 401,
        exchange,
        title="A request without a valid token was not refused with 401",
        expected="401 unauthorisedrequest",
        actual=f"status {exchange.status}",
    )
