"""How a hand-written suite test records: through the ``recorder`` fixture, the session's recorder
bound to what the test declares (``@validates``). ``recorder.judge`` runs the common checks on one
exchange (each finding lands in the ledger, a MUST failure fails the test with its evidence);
``expect``, ``observe`` and ``skip`` record the test's own verdicts.

A test module takes the fixture with ``from conformance.suite.judge import recorder_fixture  # noqa: F401``.
"""

from __future__ import annotations

import pytest

from conformance.checks import Recorder
from conformance.checks.error_bodies import ERROR_CHECKS
from conformance.checks.responses import RESPONSE_CHECKS
from conformance.contract.operations import ENTITIES, Entity
from conformance.session.suite_session import SuiteSession

COMMON = (*ERROR_CHECKS, *RESPONSE_CHECKS)


@pytest.fixture(name="recorder")
def recorder_fixture(request: pytest.FixtureRequest, suite: SuiteSession) -> Recorder:
    """The session's recorder, bound to the requesting test's declaration."""
    return suite.recorder.bound(request.function)


@pytest.fixture(name="entity", params=ENTITIES, ids=lambda e: e.singular)
def entity_fixture(request: pytest.FixtureRequest, suite: SuiteSession) -> Entity:
    """Each gradebook entity in turn, for tests that write one: the anchors made, writes allowed."""
    if suite.options.read_only:
        pytest.skip("read-only run: writes are not sent")
    suite.ensure_anchors()
    return request.param  # type: ignore[no-any-return]
