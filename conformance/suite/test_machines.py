"""The gradebook state machines, run against the target: upsert and round-trip,
sourcedIdPairs and 404s, soft delete and collections. A failure prints the shrunk step sequence
as curl commands.

Each machine's examples are split into ``PARTS`` tests of equal shares, each drawing from a seed of its
own: every example works on records of its own, so the shares may run together, and the longest
machine no longer sets how long a far target's run takes (its steps wait one after another).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, seed, settings
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
COSTS = {"upsert": 530, "pairs": 480, "collections": 710}  # requests at the default settings, all shares
PARTS = 2
MIN_EXAMPLES = 3  # of a whole machine, however small the run's budget
# Hypothesis's first examples are the same whatever the seed (the simplest, then one more): every share
# after the first draws them again, and runs as many more, so the machine draws as many at random as
# it would whole.
SEED_INDEPENDENT = 2


@dataclass(frozen=True)
class Part:
    """One share of a machine's examples."""

    number: int
    of: int

    def __str__(self) -> str:
        return f"part {self.number} of {self.of}"

    def examples(self, max_examples: int) -> int:
        """Its share of the machine's budget (half the run's examples per operation, at least three)."""
        budget = max(MIN_EXAMPLES, max_examples // 2)
        share = budget // self.of + (1 if self.number <= budget % self.of else 0)
        return share if self.number == 1 else share + SEED_INDEPENDENT


def _params() -> list[object]:
    return [
        pytest.param(name, Part(n, PARTS), marks=pytest.mark.cost(COSTS[name] // PARTS), id=f"{name}-{n}")
        for name in MACHINES
        for n in range(1, PARTS + 1)
    ]


@pytest.mark.parametrize(("name", "part"), _params())
def test_machine(name: str, part: Part, suite: SuiteSession) -> None:
    if suite.options.read_only:
        pytest.skip("read-only run: the state machines write")
    # Hypothesis's global seed (the run's) would draw the same examples in every share.
    machine = seed(suite.options.seed ^ zlib.crc32(f"machine/{name}/{part.number}".encode()))(
        MACHINES[name].bind(suite)
    )
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=part.examples(suite.options.max_examples),
            stateful_step_count=12,
            deadline=None,
            database=None,
            phases=suite.options.phases,
            suppress_health_check=list(HealthCheck),
        ),
    )
