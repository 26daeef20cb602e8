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

from conformance.checks import Recorder, raise_for
from conformance.checks.contract import schemathesis_checks
from conformance.checks.error_bodies import ERROR_CHECKS
from conformance.checks.registry import validates
from conformance.checks.responses import RESPONSE_CHECKS
from conformance.contract.operations import Operation, operations
from conformance.machines.external_tests_model import SHARED_ATTEMPTS
from conformance.session.suite_session import SuiteSession, api_schema
from conformance.suite.cases import negatable, prepare_negative, prepare_positive, send_case
from conformance.suite.harness import RunPlugin
from conformance.suite.judge import recorder_fixture  # noqa: F401 (a fixture)

CHECKS = (schemathesis_checks, *ERROR_CHECKS, *RESPONSE_CHECKS)
MODES = {"positive": ("strict", GenerationMode.POSITIVE), "negative": ("lenient", GenerationMode.NEGATIVE)}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every operation of the run's profile, in both modes (at collection: the run decides the table)."""
    if metafunc.function is test_operation:
        ops = operations(RunPlugin.profile_of(metafunc.config))
        params = [
            pytest.param(op, mode, id=f"{op.id}-{mode}", marks=[pytest.mark.shares(SHARED_ATTEMPTS)] * powerpath(op))
            for op in ops
            for mode in MODES
        ]
        metafunc.parametrize(("op", "mode"), params)


def powerpath(op: Operation) -> bool:
    return op.service == "powerpath"


@validates(checks=CHECKS, aspects=("success", "schema", "not-found"))
def test_operation(op: Operation, mode: str, suite: SuiteSession, recorder: Recorder) -> None:
    if suite.options.read_only and op.writes:
        pytest.skip("read-only run: writes are not sent")
    if op.service == "powerpath" and not suite.world.fixtures.external_lessons:
        pytest.skip("the fixtures name no external-test lesson")
    reading, generation = MODES[mode]
    operation = api_schema(reading, suite.target.profile)[op.path][op.method]
    unsatisfiable = f"no {mode} case can be generated for {op.id}: its parameters admit every value"
    if mode == "negative" and not negatable(operation):
        pytest.skip(unsatisfiable)
    strategy = operation.as_strategy(generation_mode=generation)
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
        raise_for(recorder.verify(ctx, exchange, CHECKS))

    try:
        run()
    except Unsatisfiable:
        pytest.skip(unsatisfiable)
