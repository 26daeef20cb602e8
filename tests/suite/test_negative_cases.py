"""Which operations can have a negative case: the suite skips the others without drawing, so what it
decides up front must be what schemathesis would find after exhausting its draws."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from conformance import profiles
from conformance.contract.operations import operations
from conformance.session.suite_session import api_schema
from conformance.suite.cases import negatable


def _draws_a_negative_case(operation: object) -> bool:
    strategy = operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)  # type: ignore[attr-defined]

    @seed(0)
    @settings(
        max_examples=1,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],
    )
    @given(case=strategy)
    def draw(case: object) -> None:
        pass

    try:
        draw()
    except Unsatisfiable:
        return False
    return True


@pytest.mark.parametrize("profile", profiles.NAMES)
def test_negatable_agrees_with_what_schemathesis_can_draw(profile: str) -> None:
    document = api_schema("lenient", profile)
    decided = {op.id: negatable(document[op.path][op.method]) for op in operations(profile)}
    assert sorted(i for i, can in decided.items() if not can) == sorted(
        op.id for op in operations(profile) if op.method == "DELETE"
    ), "only a DELETE by id has nothing to negate in the documents as they stand"
    for op in operations(profile):
        drawn = _draws_a_negative_case(document[op.path][op.method])
        assert drawn is decided[op.id], (op.id, "negatable says", decided[op.id], "schemathesis drew", drawn)
