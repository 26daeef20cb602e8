"""The gradebook state machines, run against the target: upsert and round-trip,
sourcedIdPairs and 404s, soft delete and collections. A failure prints the shrunk step sequence
as curl commands."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from conformance.machines.base import ConformanceMachine
from conformance.machines.collections import CollectionMachine
from conformance.machines.pairs import PairsMachine
from conformance.machines.upsert import UpsertMachine
from conformance.session.suite_session import SuiteSession

MACHINES: dict[str, type[ConformanceMachine]] = {
    "upsert": UpsertMachine,
    "pairs": PairsMachine,
    "collections": CollectionMachine,
}
COSTS = {"upsert": 530, "pairs": 480, "collections": 710}  # requests at the default settings


@pytest.mark.parametrize("name", [pytest.param(name, marks=pytest.mark.cost(COSTS[name])) for name in MACHINES])
def test_machine(name: str, suite: SuiteSession) -> None:
    if suite.options.read_only:
        pytest.skip("read-only run: the state machines write")
    machine = MACHINES[name].bind(suite)
    budget = max(3, suite.options.max_examples // 2)
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=budget,
            stateful_step_count=12,
            deadline=None,
            database=None,
            phases=suite.options.phases,
            suppress_health_check=list(HealthCheck),
        ),
    )
