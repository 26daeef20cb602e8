"""Per-operation contract fuzzing: every documented operation, positive and negative cases.

Positive cases come from the strict OpenAPI document and are made consistent with the target's
records (see ``cases``): a conformant server must accept every one. Negative cases come from the
lenient document: a body that violates what every source requires must be rejected. Every
exchange passes schemathesis's standard checks and the suite's own (imsx errors, envelopes,
documented 404 messages).
"""

from __future__ import annotations

import zlib

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from conformance.checks import raise_for, verify
from conformance.checks.contract import schemathesis_checks
from conformance.checks.errors import ERROR_CHECKS
from conformance.checks.responses import RESPONSE_CHECKS
from conformance.contract.operations import Operation, operations
from conformance.suite.cases import prepare_negative, prepare_positive, send_case
from conformance.suite.session import SuiteSession, api_schema

CHECKS = (schemathesis_checks, *ERROR_CHECKS, *RESPONSE_CHECKS)
MODES = {"positive": ("strict", GenerationMode.POSITIVE), "negative": ("lenient", GenerationMode.NEGATIVE)}


def _params() -> list[object]:
    return [pytest.param(op, mode, id=f"{op.id}-{mode}") for op in operations() for mode in MODES]


@pytest.mark.parametrize(("op", "mode"), _params())
def test_operation(op: Operation, mode: str, suite: SuiteSession) -> None:
    if suite.options.read_only and op.writes:
        pytest.skip("read-only run: writes are not sent")
    if op.service == "powerpath" and not suite.world.fixtures.external_lessons:
        pytest.skip("the fixtures name no external-test lesson")
    reading, generation = MODES[mode]
    strategy = api_schema(reading)[op.path][op.method].as_strategy(generation_mode=generation)
    prepare = prepare_positive if mode == "positive" else prepare_negative

    @seed(suite.options.seed ^ zlib.crc32(f"{op.id}/{mode}".encode()))
    @settings(
        max_examples=suite.options.max_examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=suite.options.phases,
        report_multiple_bugs=False,
    )
    @given(case=strategy)
    def run(case: object) -> None:
        ctx = prepare(suite, op, case)
        exchange = send_case(suite, case)
        raise_for(verify(ctx, exchange, CHECKS))

    try:
        run()
    except Unsatisfiable:
        pytest.skip(f"no {mode} case can be generated for {op.id}: its parameters admit every value")
